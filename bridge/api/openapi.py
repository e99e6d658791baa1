"""`/api` made exact: every response with its status codes and schema (the official CSAPI schemas, bundled), every
request body with the schema it is validated against, and the error bodies.

FastAPI writes the paths, parameters and operation texts from the routes; this module completes what it cannot
know (the routes build their responses by hand, in several encodings), so clients that generate code from
`/api`, and property-based testers, see what the server really does.
"""

from __future__ import annotations

import re
from typing import Any

from bridge.api import syntax
from bridge.api.media import GEOJSON, JSON, SML_JSON, SWE_BINARY, SWE_CSV, SWE_JSON, SWE_TEXT, URI_LIST, f_values
from bridge.api.openapi_schemas import bundled
from bridge.model.kinds import PART1_KINDS
from bridge.settings import Limits

P1 = "api/part1/openapi/schemas/"
P2 = "api/part2/openapi/schemas/json/"
_X = r"\{[^}]+\}"  # a path parameter
_SINGULAR = {"systems": "system", "deployments": "deployment", "procedures": "procedure",
             "samplingFeatures": "samplingFeature", "properties": "property"}  # fmt: skip
_NESTED_LISTS = {
    rf"/systems/{_X}/subsystems": "systems",
    rf"/systems/{_X}/samplingFeatures": "samplingFeatures",
    rf"/systems/{_X}/deployments": "deployments",
    rf"/systems/{_X}/history": "systems",
    rf"/deployments/{_X}/subdeployments": "deployments",
    rf"/(datastreams|controlstreams)/{_X}/(samplingFeatures|featuresOfInterest)": "samplingFeatures",
}
# Part 2 paths → (JSON response schema, request body schema) under the Part 2 JSON schemas.
_PART2: list[tuple[str, str | None, str | None]] = [
    (rf"/(datastreams|(systems|deployments)/{_X}/datastreams)", "dataStreamCollection", "dataStream_create"),
    (rf"/(systems/{_X}/)?datastreams/{_X}", "dataStream", "dataStream_create"),
    (rf"/datastreams/{_X}/schema", "observationSchema", "observationSchema"),
    (rf"/(datastreams/{_X}/)?observations", "observationCollection", "observation"),
    (rf"/(datastreams/{_X}/)?observations/{_X}", "observation", "observation"),
    (
        rf"/(controlstreams|(systems|deployments)/{_X}/controlstreams)",
        "controlStreamCollection",
        "controlStream_create",
    ),
    (rf"/(systems/{_X}/)?controlstreams/{_X}", "controlStream", "controlStream_create"),
    (rf"/controlstreams/{_X}/schema", "commandSchema", "commandSchema"),
    (rf"/((controlstreams/{_X}/)?commands|(controlstreams/{_X}/)?feasibility)", "commandCollection", "command"),
    (rf"/((controlstreams/{_X}/)?commands|(controlstreams/{_X}/)?feasibility)/{_X}", "command", "command"),
    (rf"/(commands|feasibility)/{_X}/status", "commandStatusCollection", "commandStatus"),
    (rf"/(commands|feasibility)/{_X}/status/{_X}", "commandStatus", "commandStatus"),
    (rf"/(commands|feasibility)/{_X}/result", "commandResultCollection", "commandResult"),
    (rf"/(commands|feasibility)/{_X}/result/{_X}", "commandResult", "commandResult"),
    (rf"/(systemEvents|systems/{_X}/events)", "systemEventCollection", "systemEvent"),
    (rf"/(systemEvents|systems/{_X}/events)/{_X}", "systemEvent", "systemEvent"),
]
_SWE = (SWE_JSON, SWE_CSV, SWE_TEXT, SWE_BINARY)
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["code", "description"],
    "properties": {
        "code": {"type": "string", "description": "OGC exception code (InvalidParameterValue, NotFound…)"},
        "description": {"type": "string", "description": "What is wrong, naming the parameter, JSON path or limit"},
        "details": {"description": "The parameter, limit or JSON paths at fault"},
    },
}
_ERRORS = {
    "400": "Invalid parameter or body (the error names it)",
    "404": "No such resource",
    "405": "The resource does not allow this method (see the `Allow` header)",
    "406": "None of the formats asked for by `f` or `Accept` is offered",
    "409": "Conflicts with stored state (duplicate UID, dependents, illegal status transition)",
    "413": "The body exceeds its size limit",
    "414": "The request target is too long",
    "415": "The body's media type is not accepted here",
    "500": "Internal error",
}
_SIMPLE: dict[str, dict[str, Any]] = {
    "/": {"type": "object", "required": ["links"], "properties": {"links": {"type": "array"}}},
    "/conformance": {"type": "object", "required": ["conformsTo"],
                     "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}}},
    "/collections": {"type": "object", "required": ["collections", "links"],
                     "properties": {"collections": {"type": "array"}, "links": {"type": "array"}}},
}  # fmt: skip


ID_LISTS = {"id", "parent", "procedure", "system", "foi", "observedProperty", "controlledProperty", "baseProperty",
            "objectType", "dataStream", "controlStream"}  # fmt: skip
TIMES = {"datetime", "phenomenonTime", "executionTime", "issueTime", "reportTime", "validTime"}
_FIXED = {"bbox": syntax.BBOX, "geom": syntax.GEOM, "cursor": syntax.CURSOR, "resultTime": syntax.LATEST_TIME,
          "statusCode": syntax.STATUS_LIST, "sender": syntax.TEXT_LIST, "eventType": syntax.TEXT_LIST}  # fmt: skip


def _pattern(name: str, limits: Limits) -> str:
    """The exact pattern of a query parameter (the one its parser enforces)."""
    if name in ID_LISTS:
        return syntax.id_list(limits.list_items)
    if name == "q":
        return syntax.keywords(limits.keywords)
    if name in TIMES:
        return syntax.TIME
    return _FIXED.get(name, r"[^\x00]*")


def _refine(parameter: dict[str, Any], offered: list[str], limits: Limits) -> None:
    """A query parameter's schema exactly as its parser reads it (descriptions kept; no `null`)."""
    name, schema = parameter["name"], parameter.get("schema", {})
    base = next((s for s in schema.get("anyOf", []) if s.get("type") != "null"), None) or schema
    refined: dict[str, Any] = {k: v for k, v in base.items() if k != "title"}
    if "ge" in schema:  # a constraint beside a validator ends up outside the type in FastAPI's output
        refined["minimum"] = schema["ge"]
    if base.get("type") == "string":
        refined.pop("pattern", None)
        if name in ("obsFormat", "cmdFormat"):
            refined["enum"] = list(syntax.FORMATS)
        elif name == "f":
            refined["pattern"] = f"^{syntax.any_case([*f_values(offered), 'html'])}$"
        else:
            refined["pattern"] = f"^{_pattern(name, limits)}$"
    if "description" in schema:
        refined["description"] = schema["description"]
    parameter["schema"] = refined


def _part1(path: str) -> tuple[str, bool] | None:
    """(kind path, is a list) of a Part 1 resources path."""
    for desc in PART1_KINDS:
        if re.fullmatch(f"/{desc.path}", path):
            return desc.path, True
        if re.fullmatch(f"/{desc.path}/{_X}", path):
            return desc.path, False
    for pattern, kind in _NESTED_LISTS.items():
        if re.fullmatch(pattern, path):
            return kind, True
    return None


def _part1_schema(kind: str, many: bool, media: str) -> str | None:
    folder = {GEOJSON: "geojson", SML_JSON: "sensorml"}.get(media)
    if (
        folder is None
        or (kind == "properties" and folder == "geojson")
        or (kind == "samplingFeatures" and folder == "sensorml")
    ):
        return None
    return f"{P1}{folder}/{_SINGULAR[kind]}{'Collection' if many else ''}.json"


def _part2(path: str) -> tuple[str | None, str | None] | None:
    for pattern, response, body in _PART2:
        if re.fullmatch(pattern, path):
            return (P2 + response + ".json" if response else None), (P2 + body + ".json" if body else None)
    return None


class _Completer:
    """Fills the responses and request bodies of one OpenAPI document; collects the schema files used."""

    def __init__(self, limits: Limits) -> None:
        self.files: set[str] = set()
        self.limits = limits

    def ref(self, file: str | None) -> dict[str, Any]:
        if file is None:
            return {"type": "object"}
        self.files.add(file)
        return {"$ref": "#/components/schemas/" + file}  # rewritten to the component name at the end

    def schema_for(self, path: str, media: str) -> dict[str, Any]:
        if media in (SWE_CSV, SWE_TEXT):
            return {"type": "string"}
        if media == SWE_BINARY:
            return {"type": "string", "format": "binary"}
        if media == SWE_JSON:
            return {"type": "array", "items": {"type": "object"}}
        if path in _SIMPLE:
            return _SIMPLE[path]
        part1 = _part1(path)
        if part1 is not None:
            return self.ref(_part1_schema(part1[0], part1[1], media))
        part2 = _part2(path)
        return self.ref(part2[0] if part2 else None)

    def body_for(self, path: str, media: str) -> dict[str, Any]:
        if media in (SWE_CSV, SWE_TEXT, SWE_BINARY, URI_LIST):
            return {"type": "string"}
        if media == SWE_JSON:
            return {"type": "array", "items": {"type": "object"}}
        part1 = _part1(path.removesuffix("/items"))
        if part1 is not None:
            return self.ref(_part1_schema(part1[0], False, media))
        part2 = _part2(path)
        if part2 is None or part2[1] is None:
            return {"type": "object"}
        single = self.ref(part2[1])
        if path.endswith(("/observations", "/commands")):
            return {"oneOf": [single, {"type": "array", "items": single}]}
        return single

    def operation(self, path: str, method: str, op: dict[str, Any]) -> None:
        responses: dict[str, Any] = op.setdefault("responses", {})
        responses.pop("422", None)
        if method == "get":
            ok = responses.setdefault("200", {"description": "OK"})
            media_types = list(ok.get("content") or {}) or [JSON]
            ok["content"] = {m: {"schema": self.schema_for(path, m)} for m in media_types}
            for parameter in op.get("parameters", []):
                if parameter.get("in") == "query":
                    _refine(parameter, media_types, self.limits)
                    if parameter["name"] == "obsFormat":  # a datastream's schema is asked for in one format
                        parameter["required"] = True
        elif method in ("put", "patch", "delete"):
            responses.pop("200", None)
            responses["204"] = {"description": "Done"}
        elif method == "post":
            self._created(path, responses)
        body = op.get("requestBody")
        if body is not None:
            media_types = list(body.get("content") or {}) or [JSON]
            body["content"] = {m: {"schema": self.body_for(path, m)} for m in media_types}
        self._errors(path, method, responses, body is not None)

    def _created(self, path: str, responses: dict[str, Any]) -> None:
        responses.pop("200", None)
        location = {"Location": {"description": "URL of what was created", "schema": {"type": "string"}}}
        created = responses.setdefault("201", {"description": "Created"})
        created["headers"] = location
        if path.endswith(("/observations", "/commands", "/feasibility")):  # batches answer with what they created
            created["content"] = {JSON: {"schema": {"type": "object"}}}
        if path.endswith("/items"):  # a uri-list adds members: no content
            responses["204"] = {"description": "Members added"}

    def _errors(self, path: str, method: str, responses: dict[str, Any], has_body: bool) -> None:
        statuses = ["400", "414", "500"]
        if "{" in path:
            statuses.append("404")
        if method == "get":
            statuses.append("406")
        else:
            statuses += ["404", "409"]
        if has_body or method in ("post", "put", "patch"):
            statuses += ["413", "415"]
        if path.startswith("/collections/") and method != "get":
            statuses.append("405")
        error: dict[str, Any] = {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}
        if method == "get":  # a browser asking for a page gets the error as a page
            error["text/html"] = {"schema": {"type": "string"}}
        for status in sorted(set(statuses)):
            entry = responses.setdefault(status, {"description": _ERRORS[status]})
            entry["description"] = _ERRORS[status]
            entry["content"] = error
            if status == "405":
                entry["headers"] = {"Allow": {"description": "The methods allowed", "schema": {"type": "string"}}}


def complete(document: dict[str, Any], limits: Limits) -> dict[str, Any]:
    """Add response/request schemas and error responses to a FastAPI-generated document (in place); parameter
    patterns follow the app's `limits` (how many IDs a list or keywords a `q` may hold)."""
    completer = _Completer(limits)
    for path, operations in document.get("paths", {}).items():
        for method, op in operations.items():
            if isinstance(op, dict):
                completer.operation(path, method, op)
    files = sorted(completer.files)
    names, components = bundled(*files)
    prefix = "#/components/schemas/"
    rename = {prefix + file: prefix + name for file, name in zip(files, names, strict=True)}
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(components)
    schemas["Error"] = ERROR_SCHEMA
    _rename_refs(document.get("paths", {}), rename)
    return document


def _rename_refs(node: Any, rename: dict[str, str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref in rename:
            node["$ref"] = rename[ref]
        for value in node.values():
            _rename_refs(value, rename)
    elif isinstance(node, list):
        for item in node:
            _rename_refs(item, rename)
