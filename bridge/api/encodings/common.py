"""Pieces shared by the encoders: time periods, links, schema validation of request bodies."""

from __future__ import annotations

import re
from typing import Any

from shapely.errors import ShapelyError
from shapely.geometry import shape

from bridge import validation
from bridge.errors import InvalidBody, LimitExceeded
from bridge.model.csapi import Feature, JsonDict, Link, TimeExtent
from bridge.model.kinds import FEATURE_KINDS
from bridge.model.time import format_datetime, parse_datetime, utcnow

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")


def type_of(feature: Feature) -> str | None:
    """`featureType` / `definition` of a resource, defaulted per kind (the schemas require one; a harvested
    resource may have none)."""
    return feature.feature_type or FEATURE_KINDS[feature.kind].default_type


def encode_period(period: TimeExtent | None) -> list[str] | None:
    """`[start, end]` with an open end as "now" (checklist D6)."""
    if period is None or period.start is None:
        return None
    end = format_datetime(period.end) if period.end else "now"
    return [format_datetime(period.start), end]


def decode_period(value: Any, path: str) -> TimeExtent | None:
    """Parse a TimePeriod `[start, end]` (either may be "now"; end "now" stays open)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.split("/")
    if not isinstance(value, list) or len(value) != 2:
        raise InvalidBody(f"{path}: a time period is a 2-element array [start, end]")
    start_raw, end_raw = value
    try:
        start = utcnow() if start_raw == "now" else parse_datetime(str(start_raw))
        end = None if end_raw in ("now", "..", None) else parse_datetime(str(end_raw))
    except (ValueError, OverflowError) as exc:
        raise InvalidBody(f"{path}: {exc}") from None
    if end is not None and end < start:
        raise InvalidBody(f"{path}: the period ends before it starts")
    return TimeExtent(start, end)


def decode_link(value: Any, path: str) -> Link:
    """A link object from a request body."""
    if not isinstance(value, dict) or not isinstance(value.get("href"), str) or not value["href"]:
        raise InvalidBody(f"{path}: a link needs a non-empty 'href'")
    return Link.from_json(value)


def check_uid(uid: Any, path: str) -> str:
    """UIDs must be URIs (Req 2B)."""
    if not isinstance(uid, str) or not _URI.match(uid):
        raise InvalidBody(f"{path}: the unique identifier must be a URI (e.g. urn:x-org:sensor:1), got {uid!r}")
    return uid


def check_geometry(value: Any, path: str) -> None:
    """A GeoJSON geometry the schema accepts but that cannot be used (e.g. 5-number positions) is a 400."""
    if value is None:
        return
    try:
        shape(value)
    except (ValueError, TypeError, AttributeError, KeyError, IndexError, ShapelyError) as exc:
        raise InvalidBody(f"{path}: unusable GeoJSON geometry ({exc})") from None


def check_vertices(geometry: Any, maximum: int) -> None:
    """A geometry with more positions than `limits.geometry_vertices` is refused (400 naming the limit)."""
    if geometry is None:
        return
    count, stack = 0, [geometry.get("coordinates"), *[g.get("coordinates") for g in geometry.get("geometries", [])]]
    while stack:
        item = stack.pop()
        if isinstance(item, list) and item and isinstance(item[0], list):
            stack.extend(item)
        elif isinstance(item, list):
            count += 1
            if count > maximum:
                raise LimitExceeded("geometry_vertices", maximum, "the geometry")


def validate_body(schema: str, body: JsonDict, what: str) -> None:
    """Validate a request body against an official schema; 400 naming the JSON paths at fault."""
    found = validation.errors(schema, body)
    if found:
        detail = "; ".join(f"{e['path']}: {e['message']}" for e in found[:5])
        raise InvalidBody(f"invalid {what}: {detail}", details={"errors": found})


def drop_none(data: JsonDict) -> JsonDict:
    """Remove members whose value is None or an empty string (schemas require minLength 1)."""
    return {k: v for k, v in data.items() if v is not None and v != ""}
