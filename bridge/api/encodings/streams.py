"""JSON encoding of datastreams and control streams (`dataStream.json`, `controlStream.json`).

Request bodies are checked here member by member: the official schemas describe responses and
mark server-generated members (`id`, `system@link`, `formats`...) as required, so they cannot
validate a creation body (checklist: Part 2 request payloads fail the response schemas).
"""

from __future__ import annotations

from typing import Any

import orjson

from bridge.api.encodings.common import decode_link, decode_period, drop_none, encode_period, validate_body
from bridge.api.links import LinkContext, link
from bridge.api.media import JSON
from bridge.errors import InvalidBody
from bridge.model.csapi import ControlStream, Datastream, JsonDict, Kind, ref_target
from bridge.model.stream_schema import JSON as JSON_FORMAT
from bridge.model.stream_schema import StreamSchema, cached_schema, compile_schema
from bridge.validation import PART2

Stream = Datastream | ControlStream
_LINKS = {
    "feature_of_interest": "featureOfInterest@link",
    "procedure": "procedure@link",
    "deployment": "deployment@link",
}
DS_TYPES = ("status", "observation")
CS_TYPES = ("self", "external")


def stream_schema(stream: Stream) -> StreamSchema:
    """The compiled schema of a stored stream (memoised)."""
    return cached_schema(orjson.dumps(stream.schema), isinstance(stream, ControlStream))


def encode_stream(stream: Stream, ctx: LinkContext, canonical_view: bool) -> JsonDict:
    """A datastream or control stream as JSON, with its association links."""
    is_ds = isinstance(stream, Datastream)
    kind = Kind.DATASTREAM if is_ds else Kind.CONTROL_STREAM
    schema = stream_schema(stream)
    href = ctx.canonical(kind, stream.id)
    body: JsonDict = drop_none(
        {
            "id": stream.id,
            "name": stream.name,
            "description": stream.description,
            "validTime": encode_period(stream.valid_time),
            "outputName" if is_ds else "inputName": stream.output_name if is_ds else stream.input_name,  # type: ignore[union-attr]
            "type": stream.stream_type,
        }
    )
    body["system@link"] = {"href": ctx.canonical(Kind.SYSTEM, stream.system_id), "type": "application/geo+json"}
    for attr, member in _LINKS.items():
        value = getattr(stream, attr)
        if value is not None:
            body[member] = value.to_json()
    if stream.sampling_feature_id:
        body["samplingFeature@link"] = {"href": ctx.canonical(Kind.SAMPLING_FEATURE, stream.sampling_feature_id)}
    if isinstance(stream, Datastream):
        has_data = stream.phenomenon_time is not None
        body["observedProperties"] = (stream.observed_properties or schema.properties) if has_data else None
        body["phenomenonTime"] = encode_period(stream.phenomenon_time) if has_data else None
        body["resultTime"] = encode_period(stream.result_time) if has_data else None
        body["resultType"] = schema.result_type if has_data else None
        body["live"] = stream.live
    else:
        body["controlledProperties"] = stream.controlled_properties or schema.properties
        body["issueTime"] = encode_period(stream.issue_time)
        body["executionTime"] = encode_period(stream.execution_time)
        body["live"] = stream.live
        body["async"] = stream.is_async
    body["formats"] = schema.formats
    body["links"] = _links(stream, kind, href, ctx, canonical_view)
    return body


def _links(stream: Stream, kind: Kind, href: str, ctx: LinkContext, canonical_view: bool) -> list[dict[str, str]]:
    out = [link(href, "self" if canonical_view else "canonical", JSON, "this resource")]
    children = "observations" if kind is Kind.DATASTREAM else "commands"
    out.append(link(f"{href}/{children}", children, JSON, children.capitalize()))
    fmt = "obsFormat" if kind is Kind.DATASTREAM else "cmdFormat"
    out.append(link(f"{href}/schema?{fmt}={JSON}", "schema", JSON, "Schema"))
    out.append(link(ctx.canonical(Kind.SYSTEM, stream.system_id), "system", "application/geo+json", "Parent system"))
    out.append(link(f"{href}/samplingFeatures", "samplingFeatures", "application/geo+json", "Sampling features"))
    out.append(link(f"{href}/featuresOfInterest", "featuresOfInterest", "application/geo+json", "Features of interest"))
    # a stored href starting with "/" is API-relative (e.g. between linked control streams)
    out += [
        link(ctx.href(lk.href) if lk.href.startswith("/") else lk.href, lk.rel or "related", lk.type, lk.title)
        for lk in stream.links
    ]
    return out


def _text(body: JsonDict, key: str, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise InvalidBody(f"$.{key} is required")
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidBody(f"$.{key} must be a non-empty string")
    return value


def _check_official(schema: StreamSchema, command: bool) -> None:
    """The schema, in the format it was given in, must be valid against the official schema of that format,
    or `/schema` would later serve an invalid document (e.g. a Quantity without `uom`); 400 naming the paths.

    SWE formats are checked against observationSchemaSwe.json / commandSchemaSwe.json directly: the upstream
    `oneOf` of observationSchema.json also matches the "any other" branch for swe+csv and then fails.
    """
    kind = "command" if command else "observation"
    if schema.source_format == JSON_FORMAT:
        validate_body(f"{PART2}{kind}SchemaJson.json", schema.json_schema(), "schema")
    else:
        validate_body(f"{PART2}{kind}SchemaSwe.json", schema.swe_schema(schema.source_format), "schema")


def decode_stream(
    kind: Kind, body: Any, system_id: str, stored_schema: JsonDict | None = None
) -> tuple[Stream, StreamSchema]:
    """A stream (and its compiled schema) from a creation or replacement body.

    The schema is checked against the official schemas when it is new (not when a replacement keeps the
    stored one: a harvested stream stays editable even if its legacy-derived schema lacks a label).
    """
    if not isinstance(body, dict):
        raise InvalidBody("the body must be a JSON object")
    is_ds = kind is Kind.DATASTREAM
    if "schema" not in body:
        raise InvalidBody("$.schema is required (the observation/command schema of the stream)")
    schema = compile_schema(body["schema"], command=not is_ds)
    if body["schema"] != stored_schema:
        _check_official(schema, not is_ds)
    common: dict[str, Any] = {
        "system_id": system_id,
        "name": _text(body, "name", required=True),
        "description": _text(body, "description"),
        "valid_time": decode_period(body.get("validTime"), "$.validTime"),
        "schema": body["schema"],
        **{attr: decode_link(body[m], f"$['{m}']") for attr, m in _LINKS.items() if m in body},
    }
    if "samplingFeature@link" in body:
        common["sampling_feature_id"] = ref_target(
            decode_link(body["samplingFeature@link"], "$['samplingFeature@link']").href
        )
    stream_type = body.get("type")
    allowed = DS_TYPES if is_ds else CS_TYPES
    if stream_type is not None and stream_type not in allowed:
        raise InvalidBody(f"$.type must be one of {', '.join(allowed)}")
    common["stream_type"] = stream_type
    for flag in ("live", "async"):
        if flag in body and not isinstance(body[flag], bool):
            raise InvalidBody(f"$.{flag} must be a boolean")
    if is_ds:
        stream: Stream = Datastream(
            **common, output_name=_text(body, "outputName"), live=bool(body.get("live", False)),
            observed_properties=schema.properties,
        )  # fmt: skip
    else:
        stream = ControlStream(
            **common, input_name=_text(body, "inputName"), live=bool(body.get("live", True)),
            is_async=bool(body.get("async", True)), controlled_properties=schema.properties,
        )  # fmt: skip
    return stream, schema
