"""Named transforms used by mapping tables (`transform: [name, ...]`), registered explicitly.

Each transform is pure: `(value, context) -> value`; the context gives the source name and the
table's lookups. Unknown names in a table are reported at startup.
"""

from __future__ import annotations

import hashlib
import math
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

from bridge.model.csapi import Link, TimeExtent

Transform = Callable[[Any, Mapping[str, Any]], Any]
REGISTRY: dict[str, Transform] = {}
_ALPHABET = "0123456789abcdefghijklmnopqrstuv"
UID_NAMESPACE = uuid.UUID("3f7c1c8e-7a51-5c2b-9d0e-2b1a6c5e4f10")  # csapi-bridge UIDs (uuid5)
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")


def transform(name: str) -> Callable[[Transform], Transform]:
    """Register a transform under `name`."""

    def register(fn: Transform) -> Transform:
        REGISTRY[name] = fn
        return fn

    return register


def stable_id(key: str) -> str:
    """A deterministic 13-character local id (base32 of SHA-1) for a legacy identity key."""
    digest = int.from_bytes(hashlib.sha1(key.encode("utf-8")).digest()[:8], "big")
    return "".join(_ALPHABET[(digest >> (5 * i)) & 31] for i in range(13))


def numeric_result(value: Any) -> float | None:
    """A result as the number column of an observation row: booleans as 0/1, numeric text parsed, other
    text NaN (kept in the text column by the caller), anything else None."""
    if isinstance(value, bool | int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "false"):
            return 1.0 if text == "true" else 0.0
        try:
            return float(text)
        except ValueError:
            return math.nan
    return None


def stable_key(key: str) -> int:
    """A deterministic signed 64-bit key (observation de-duplication) for a legacy identity."""
    return int.from_bytes(hashlib.sha1(key.encode("utf-8")).digest()[:8], "big", signed=True)


def uri_segment(value: Any) -> str:
    """A legacy identifier made safe inside a URN/URI (spaces, colons, parentheses... percent-encoded)."""
    return quote(str(value), safe="-._~")


@transform("local_id")
def _local_id(value: Any, ctx: Mapping[str, Any]) -> str:
    return stable_id(str(value))


@transform("uri")
def _uri(value: Any, ctx: Mapping[str, Any]) -> str | None:
    """The value if it already is a URI, else None (so a `default`/template can take over)."""
    return str(value) if value is not None and _URI.match(str(value)) else None


@transform("non_empty")
def _non_empty(value: Any, ctx: Mapping[str, Any]) -> Any:
    return None if value in ("", [], {}) else value


@transform("text")
def _text(value: Any, ctx: Mapping[str, Any]) -> str | None:
    return None if value is None else (str(value).strip() or None)


@transform("properties")
def _properties(value: Any, ctx: Mapping[str, Any]) -> dict[str, Any]:
    """Legacy free-form properties kept as extra GeoJSON properties (under one member, no clashes)."""
    return {"legacyProperties": value} if isinstance(value, dict) and value else {}


@transform("period")
def _period(value: Any, ctx: Mapping[str, Any]) -> TimeExtent | None:
    """A legacy time extent (object with start/end, or a datetime) as a CSAPI period."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return TimeExtent(value, value)
    start = getattr(value, "start", None)
    end = getattr(value, "end", None) or start
    return TimeExtent(start, end) if start is not None else None


@transform("via")
def _via(value: Any, ctx: Mapping[str, Any]) -> list[Link]:
    """A `via` link back to the legacy entity (provenance)."""
    return [Link(href=str(value), rel="via", title="legacy source entity")] if value else []


@transform("lookup")
def _lookup(value: Any, ctx: Mapping[str, Any]) -> Any:
    """Replace the value through the table's lookup named by the field (`ctx['lookup']`)."""
    table: Mapping[str, Any] = ctx.get("lookup_table", {})
    return table.get(str(value), value) if value is not None else None


@transform("geometry")
def _geometry(value: Any, ctx: Mapping[str, Any]) -> dict[str, Any] | None:
    """A GeoJSON geometry (Features unwrapped) or None."""
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if isinstance(value, dict) and isinstance(value.get("type"), str) and "coordinates" in value:
        return {"type": value["type"], "coordinates": value["coordinates"]}
    if isinstance(value, dict) and value.get("type") == "GeometryCollection":
        return value
    return None


@transform("link")
def _link(value: Any, ctx: Mapping[str, Any]) -> Link | None:
    return Link(href=str(value)) if value else None


@transform("uuid")
def _uuid(value: Any, ctx: Mapping[str, Any]) -> str:
    """A deterministic `urn:uuid:` UID (RFC 4122 v5, Rec 1) for a legacy identity key."""
    return uuid.uuid5(UID_NAMESPACE, str(value)).urn


def system_key(procedure: str, source: str) -> str:
    """The identity key of a procedure's System: global for a URI, per source otherwise.

    A URI names the same procedure whichever service lists it (SOS, SPS), so a procedure harvested from
    an SOS and from an SPS lands on one System; an id like `8` only means something inside one service.
    """
    text = procedure.strip()
    return f"procedure:{text}" if _URI.match(text) else f"{source}/Procedure/{text}"


@transform("system_key")
def _system_key(value: Any, ctx: Mapping[str, Any]) -> str:
    return system_key(str(value), str(ctx["source"]))
