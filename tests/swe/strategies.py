"""Hypothesis strategies: random SWE Common record schemas and values valid for them.

Each scalar of a generated schema carries its binary data type in the (unknown, so preserved)
member `x-dataType`; values are drawn so that every encoding can represent them exactly.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

from bridge.swe import (
    BinaryComponent,
    BinaryEncoding,
    Component,
    DataArray,
    DataChoice,
    DataRecord,
    Geometry,
    Vector,
)
from bridge.swe.encodings import DATA_TYPE_PREFIX
from bridge.swe.timefmt import format_iso

ISO = {"href": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
SPECIALS = st.sampled_from(["NaN", "+Infinity", "-Infinity"])
# Text values: no white space, no separator characters used by the text tests.
TEXT = st.text(
    alphabet=st.sampled_from(string.ascii_letters + string.digits + "-_.()/+éßЖ漢字"), min_size=1, max_size=12
)
INT_RANGES = {
    "signedByte": (-128, 127),
    "unsignedByte": (0, 255),
    "signedShort": (-(2**15), 2**15 - 1),
    "unsignedShort": (0, 2**16 - 1),
    "signedInt": (-(2**31), 2**31 - 1),
    "unsignedInt": (0, 2**32 - 1),
    "signedLong": (-(2**63), 2**63 - 1),
    "unsignedLong": (0, 2**64 - 1),
}
names = st.text(alphabet=string.ascii_letters, min_size=1, max_size=6)


def _scalar(kind: str, data_type: str, **extra: Any) -> dict[str, Any]:
    return {"type": kind, "definition": "urn:x:def", "label": kind, "x-dataType": data_type, **extra}


def scalar_schemas(allow_geometry: bool = True) -> st.SearchStrategy[dict[str, Any]]:
    """A scalar, range or geometry component (JSON), with its binary data type."""
    options = [
        st.sampled_from(["double", "float32", "float16", "signedInt", "signedShort"]).map(
            lambda t: _scalar("Quantity", t, uom={"code": "m"})
        ),
        st.sampled_from(sorted(INT_RANGES)).map(lambda t: _scalar("Count", t)),
        st.sampled_from(["unsignedByte", "boolean", ""]).map(lambda t: _scalar("Boolean", t)),
        st.sampled_from(["string-utf-8", "string-utf-8:40"]).map(lambda t: _scalar("Text", t)),
        st.sampled_from(["string-utf-8"]).map(lambda t: _scalar("Category", t)),
        st.sampled_from(["double", "string-utf-8", "signedLong"]).map(lambda t: _scalar("Time", t, uom=ISO)),
        st.sampled_from(["double", "signedLong"]).map(
            lambda t: _scalar("Time", t, uom={"code": "s"}, referenceTime="2000-01-01T00:00:00Z")
        ),
        st.sampled_from(["double", "float32"]).map(lambda t: _scalar("QuantityRange", t, uom={"code": "m"})),
        st.sampled_from(["signedInt", "unsignedShort"]).map(lambda t: _scalar("CountRange", t)),
        st.just(_scalar("TimeRange", "string-utf-8", uom=ISO)),
        st.just(_scalar("CategoryRange", "string-utf-8")),
    ]
    if allow_geometry:
        options.append(st.just({"type": "Geometry", "definition": "urn:x", "label": "G", "srs": "urn:crs"}))
    return st.one_of(options)


def _vector(coords: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "Vector", "definition": "urn:x", "label": "V", "referenceFrame": "urn:crs", "coordinates": coords}


@st.composite
def _named(draw: st.DrawFn, children: st.SearchStrategy[dict[str, Any]], lo: int, hi: int) -> list[dict[str, Any]]:
    keys = draw(st.lists(names, min_size=lo, max_size=hi, unique=True))
    return [{"name": k, **draw(children)} for k in keys]


def component_schemas(allow_geometry: bool = True) -> st.SearchStrategy[dict[str, Any]]:
    """Any component: nested records, vectors, fixed/variable arrays and choices of scalars."""
    coordinate = st.sampled_from(["double", "float32"]).map(lambda t: _scalar("Quantity", t, uom={"code": "m"}))

    def extend(inner: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
        optional_field = st.tuples(inner, st.booleans()).map(lambda p: {**p[0], "optional": True} if p[1] else p[0])
        return st.one_of(
            _named(optional_field, 1, 4).map(lambda f: {"type": "DataRecord", "fields": f}),
            _named(coordinate, 1, 3).map(_vector),
            st.tuples(inner, st.none() | st.integers(1, 3)).map(_array),
            _named(inner, 1, 3).map(lambda items: {"type": "DataChoice", "items": items}),
        )

    return st.recursive(scalar_schemas(allow_geometry), extend, max_leaves=8)


def _array(p: tuple[dict[str, Any], int | None]) -> dict[str, Any]:
    element, size = p
    count = {"definition": "urn:x:count"} if size is None else {"value": size}
    return {"type": "DataArray", "elementCount": count, "elementType": {"name": "elem", **element}}


def record_schemas(allow_geometry: bool = True) -> st.SearchStrategy[dict[str, Any]]:
    """A DataRecord at the root (the shape of observation/command records)."""
    field = st.tuples(component_schemas(allow_geometry), st.booleans()).map(
        lambda p: {**p[0], "optional": True} if p[1] else p[0]
    )
    return _named(field, 1, 5).map(lambda f: {"type": "DataRecord", "fields": f})


def _times(data_type: str) -> st.SearchStrategy[str]:
    stamps = st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC))
    if data_type == "signedLong":
        stamps = stamps.map(lambda d: d.replace(microsecond=0))
    elif data_type == "double":  # a double of POSIX seconds keeps microseconds only until 2106
        stamps = stamps.map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))
    return stamps.map(format_iso)


def _floats(data_type: str) -> st.SearchStrategy[Any]:
    if data_type.startswith("signed"):
        lo, hi = INT_RANGES[data_type]
        return st.integers(lo, hi).map(float)
    width = {"float32": 32, "float16": 16}.get(data_type, 64)
    return st.floats(allow_nan=False, allow_infinity=False, width=width) | SPECIALS  # type: ignore[arg-type]


def _positions() -> st.SearchStrategy[list[float]]:
    return st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=2, max_size=2)


def _scalar_values(c: Component) -> st.SearchStrategy[Any]:
    kind, data_type = type(c).__name__, str(c.extras.get("x-dataType", ""))
    if kind in ("Quantity", "QuantityRange"):
        one = _floats(data_type)
    elif kind in ("Count", "CountRange"):
        one = st.integers(*INT_RANGES[data_type])
    elif kind == "Boolean":
        one = st.booleans()
    elif kind in ("Text", "Category", "CategoryRange"):
        one = TEXT
    elif getattr(c, "is_iso", False):
        one = _times(data_type)
    elif kind in ("Time", "TimeRange"):
        one = st.integers(-(2**40), 2**40).map(float) if data_type == "signedLong" else _floats("double")
    elif isinstance(c, Geometry):
        point = _positions().map(lambda p: {"type": "Point", "coordinates": p})
        line = st.lists(_positions(), min_size=2, max_size=4).map(lambda p: {"type": "LineString", "coordinates": p})
        return point | line
    else:
        raise AssertionError(kind)
    return st.lists(one, min_size=2, max_size=2) if kind.endswith("Range") else one


def values_of(c: Component) -> st.SearchStrategy[Any]:
    """Values of component `c` in SWE Common JSON form (optional fields sometimes omitted)."""
    if isinstance(c, DataRecord | Vector):
        members = c.children()
        required = {m.name or "": values_of(m) for m in members if not m.is_optional}
        optional = {m.name or "": values_of(m) for m in members if m.is_optional}
        return st.fixed_dictionaries(required, optional=optional)
    if isinstance(c, DataArray):
        size = c.fixed_size
        element = values_of(c.element_type)
        if size is not None:
            return st.lists(element, min_size=size, max_size=size)
        return st.lists(element, max_size=3)
    if isinstance(c, DataChoice):
        return st.one_of([values_of(item).map(_wrap(item.name or "")) for item in c.items])
    return _scalar_values(c)


def _wrap(name: str) -> Callable[[Any], dict[str, Any]]:
    return lambda v: {name: v}


def binary_encoding_for(c: Component, big_endian: bool, base64: bool) -> BinaryEncoding:
    """A BinaryEncoding with one member per scalar, using each scalar's `x-dataType`."""
    members: list[Any] = []
    _members(c, "", members)
    return BinaryEncoding(
        byte_order="bigEndian" if big_endian else "littleEndian",
        byte_encoding="base64" if base64 else "raw",
        members=members,
    )


def _members(c: Component, ref: str, out: list[Any]) -> None:
    data_type = c.extras.get("x-dataType")
    if data_type is not None:
        if data_type:
            name, _, length = str(data_type).partition(":")
            byte_length = int(length) if length else None
            out.append(BinaryComponent(ref=ref, data_type=DATA_TYPE_PREFIX + name, byte_length=byte_length))
        return
    if isinstance(c, DataArray):
        _members(c.element_type, f"{ref}/{c.element_type.name}", out)
        return
    for child in c.children():
        _members(child, f"{ref}/{child.name}", out)


def contains_geometry(c: Component) -> bool:
    """True when a Geometry occurs anywhere in `c`."""
    return isinstance(c, Geometry) or any(contains_geometry(child) for child in c.children())
