"""Observation and command schemas of a stream, in every format the facade serves.

A stream is created with one schema in one format (Part 2 §4.5): a JSON schema (`resultSchema` /
`parametersSchema`) or a SWE Common one (`recordSchema` + `encoding`). `StreamSchema` normalises
either into the record layout of the SWE formats — a time field, an optional sampling-feature
field, then the result (or command parameter) fields — and derives the equivalent schema in the
other formats, so every format in the stream's `formats` can be served and accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import orjson

from bridge import swe
from bridge.errors import InvalidBody, InvalidParameter
from bridge.swe import Component, DataRecord

JSON = "application/json"
SWE_FORMATS = (swe.SWE_JSON, swe.SWE_CSV, swe.SWE_TEXT, swe.SWE_BINARY)
FORMATS = [JSON, swe.SWE_JSON, swe.SWE_CSV, swe.SWE_BINARY]

PHENOMENON_TIME = "http://www.w3.org/ns/sosa/phenomenonTime"
SAMPLING_TIME = "http://www.opengis.net/def/property/OGC/0/SamplingTime"
RESULT_TIME = "http://www.w3.org/ns/sosa/resultTime"
ISSUE_TIME = "http://www.opengis.net/def/property/OGC/0/IssueTime"
FOI = "http://www.w3.org/ns/sosa/FeatureOfInterest"
ISO_UOM = {"href": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
UTC = "http://www.opengis.net/def/trs/BIPM/0/UTC"


def _scalar_kind(component: Component) -> str:
    kinds = {"Quantity": "num", "Count": "int", "Boolean": "bool", "Text": "text", "Category": "text", "Time": "text"}
    return kinds.get(component.to_json().get("type", ""), "json")


def _result_type(component: Component) -> str:
    kind = component.to_json().get("type", "")
    if kind in ("Quantity", "Count", "Boolean", "Text", "Category", "Time"):
        return "measure"
    if kind == "Vector":
        return "vector"
    if kind in ("DataArray", "Matrix"):
        return "coverage"
    if kind == "DataRecord":
        fields = component.to_json().get("fields", [])
        simple = all(
            f.get("type") in ("Quantity", "Count", "Boolean", "Text", "Category", "Time", "Vector") for f in fields
        )
        return "record" if simple else "complex"
    return "complex"


def _definitions(doc: Any) -> list[dict[str, str]]:
    """Observable properties of a result: leaf definitions with labels (time/FOI fields excluded)."""
    out: list[dict[str, str]] = []
    if isinstance(doc, dict):
        kind = doc.get("type")
        if kind in ("DataRecord", "Vector", "DataChoice"):
            for child in doc.get("fields") or doc.get("coordinates") or doc.get("items") or []:
                out += _definitions(child)
        elif kind in ("DataArray", "Matrix"):
            out += _definitions(doc.get("elementType"))
        elif doc.get("definition") and doc["definition"] not in (PHENOMENON_TIME, SAMPLING_TIME, RESULT_TIME, FOI):
            prop = {"definition": doc["definition"]}
            if doc.get("label"):
                prop["label"] = doc["label"]
            out.append(prop)
    seen: set[str] = set()
    return [p for p in out if not (p["definition"] in seen or seen.add(p["definition"]))]  # type: ignore[func-returns-value]


@dataclass(slots=True)
class StreamSchema:
    """A stream's schema compiled for encoding/decoding (observations when `command` is False)."""

    command: bool
    result: Component  # the result (or parameters) component
    result_name: str
    time_field: str
    foi_field: str | None
    result_fields: list[str]  # record fields holding the result (one: scalar-or-component; several: a record)
    parameters_schema: dict[str, Any] | None = None
    source_format: str = JSON
    source_encoding: dict[str, Any] | None = None
    record_json: dict[str, Any] = field(default_factory=dict)
    result_link: dict[str, Any] | None = None

    @property
    def result_kind(self) -> str:
        """How the store keeps results: num | int | bool | text | json."""
        return _scalar_kind(self.result) if len(self.result_fields) == 1 else "json"

    @property
    def result_type(self) -> str:
        """The datastream's `resultType`: measure, vector, record, coverage or complex, from the result component."""
        return _result_type(self.result)

    @property
    def properties(self) -> list[dict[str, str]]:
        """Observed/controlled properties of the result: leaf definitions with labels (time and FOI fields left out)."""
        return _definitions(self.result.to_json())

    def json_schema(self) -> dict[str, Any]:
        """The `application/json` form (observationSchemaJson / commandSchemaJson)."""
        if self.command:
            return {"commandFormat": JSON, "parametersSchema": self.result.to_json()}
        if self.result_link is not None:
            return {"obsFormat": JSON, "resultLink": self.result_link}
        out: dict[str, Any] = {"obsFormat": JSON, "resultSchema": self.result.to_json()}
        if self.parameters_schema:
            out["parametersSchema"] = self.parameters_schema
        return out

    def swe_schema(self, media_type: str) -> dict[str, Any]:
        """The SWE form for one of the SWE media types (observationSchemaSwe / commandSchemaSwe)."""
        key = "commandFormat" if self.command else "obsFormat"
        return {key: media_type, "recordSchema": self.record_json, "encoding": self.encoding_json(media_type)}

    def encoding_json(self, media_type: str) -> dict[str, Any]:
        """The SWE encoding for a media type: the one given at creation for its own format, else the default one."""
        if self.source_encoding is not None and media_type == self.source_format:
            return self.source_encoding
        return _encoding_json(self.record_json, media_type)

    def schema_for(self, media_type: str, param: str) -> dict[str, Any]:
        """`GET …/schema?obsFormat=` / `?cmdFormat=`; 400 for a format the stream does not offer."""
        if media_type == JSON:
            return self.json_schema()
        if media_type in SWE_FORMATS and self.result_link is None:
            return self.swe_schema(media_type)
        raise InvalidParameter(param, f"'{media_type}' is not one of this stream's formats ({', '.join(self.formats)})")

    @property
    def formats(self) -> list[str]:
        """The formats the stream is served in: JSON only for a `resultLink` stream, else JSON and the SWE formats."""
        return [JSON] if self.result_link is not None else list(FORMATS)

    def codec(self, media_type: str) -> swe.RecordCodec:
        """The record codec of a SWE media type."""
        return _codec(orjson.dumps(self.record_json), orjson.dumps(self.encoding_json(media_type)), media_type)


@lru_cache(maxsize=512)
def _codec(record: bytes, encoding: bytes, media_type: str) -> swe.RecordCodec:
    return swe.make_codec(
        swe.parse_component(orjson.loads(record)), swe.parse_encoding(orjson.loads(encoding)), media_type
    )


def _encoding_json(record_json: dict[str, Any], media_type: str) -> dict[str, Any]:
    if media_type == swe.SWE_JSON:
        return swe.json_encoding().to_json()
    if media_type == swe.SWE_BINARY:
        return swe.default_binary_encoding(swe.parse_component(record_json)).to_json()
    return swe.csv_encoding().to_json()


def _time_field(command: bool) -> dict[str, Any]:
    return {
        "name": "issueTime" if command else "time",
        "type": "Time",
        "definition": ISSUE_TIME if command else SAMPLING_TIME,
        "label": "Issue Time" if command else "Sampling Time",
        "referenceFrame": UTC,
        "uom": ISO_UOM,
    }


def _from_json(doc: dict[str, Any], command: bool) -> StreamSchema:
    key = "parametersSchema" if command else "resultSchema"
    if not command and "resultLink" in doc and key not in doc:
        link = doc["resultLink"]
        if not isinstance(link, dict) or "mediaType" not in link:
            raise InvalidBody("schema.resultLink needs a mediaType")
        placeholder = swe.parse_component({"type": "Text", "name": "result", "label": "Result link"})
        return StreamSchema(command, placeholder, "result", "time", None, ["result"], result_link=link)
    if key not in doc:
        raise InvalidBody(f"an application/json schema needs '{key}'")
    result = _parse(doc[key], f"schema.{key}")
    name = result.to_json().get("name") or ("params" if command else "result")
    fields: list[dict[str, Any]] = [_time_field(command)]
    result_json = result.to_json()
    if result_json.get("type") == "DataRecord":
        inner = [f for f in result_json.get("fields", [])]
        fields += inner
        result_fields = [str(f["name"]) for f in inner]
    else:
        fields.append({**result_json, "name": name})
        result_fields = [name]
    record = {"type": "DataRecord", "fields": fields}
    params = doc.get("parametersSchema") if not command else None
    return StreamSchema(command, result, name, fields[0]["name"], None, result_fields, params, JSON, None, record)


def _from_swe(doc: dict[str, Any], command: bool, fmt: str) -> StreamSchema:
    record_doc = doc.get("recordSchema")
    if not isinstance(record_doc, dict):
        raise InvalidBody(f"a {fmt} schema needs 'recordSchema'")
    record = _parse(record_doc, "schema.recordSchema")
    if not isinstance(record, DataRecord):
        raise InvalidBody("schema.recordSchema must be a DataRecord (time field + result fields)")
    try:
        encoding = swe.parse_encoding(doc.get("encoding") or _encoding_json(record_doc, fmt)).to_json()
    except swe.SweSchemaError as exc:
        raise InvalidBody(f"schema.encoding: {exc}") from None
    fields = record.to_json()["fields"]
    time_defs = (ISSUE_TIME,) if command else (PHENOMENON_TIME, SAMPLING_TIME, RESULT_TIME)
    time_name = next((f["name"] for f in fields if f.get("type") == "Time" and f.get("definition") in time_defs), None)
    if time_name is None:
        wanted = "IssueTime" if command else "phenomenonTime/SamplingTime/resultTime"
        raise InvalidBody(f"schema.recordSchema needs a Time field with a {wanted} definition")
    foi_name = next((f["name"] for f in fields if f.get("type") == "Text" and f.get("definition") == FOI), None)
    rest = [f for f in fields if f["name"] not in (time_name, foi_name)]
    if not rest:
        raise InvalidBody("schema.recordSchema has no result field besides time and feature of interest")
    result_doc = rest[0] if len(rest) == 1 else {"type": "DataRecord", "name": "result", "fields": rest}
    result = _parse(result_doc, "schema.recordSchema")
    names = [str(f["name"]) for f in rest]
    return StreamSchema(command, result, names[0] if len(rest) == 1 else "result", time_name, foi_name, names, None,
                        fmt, encoding, record.to_json())  # fmt: skip


def _parse(doc: Any, path: str) -> Component:
    try:
        return swe.parse_component(doc)
    except swe.SweSchemaError as exc:
        raise InvalidBody(f"{path}: {exc}") from None


def compile_schema(doc: Any, command: bool = False) -> StreamSchema:
    """Compile a stream's schema as given at creation (400 naming the problem when it is unusable)."""
    if not isinstance(doc, dict):
        raise InvalidBody("the stream needs a 'schema' object")
    key = "commandFormat" if command else "obsFormat"
    fmt = swe.canonical_media_type(str(doc.get(key) or doc.get("obsFormat") or doc.get("commandFormat") or JSON))
    if fmt in ("application/om+json", "application/cmd+json"):
        fmt = JSON
    if fmt == JSON:
        return _from_json(doc, command)
    if fmt in SWE_FORMATS:
        return _from_swe(doc, command, fmt)
    raise InvalidBody(f"schema.{key}: unsupported format '{fmt}' (use application/json or a SWE Common format)")


@lru_cache(maxsize=1024)
def cached_schema(doc: bytes, command: bool = False) -> StreamSchema:
    """`compile_schema` memoised on the serialized schema (streams are read far more than written)."""
    return compile_schema(orjson.loads(doc), command)
