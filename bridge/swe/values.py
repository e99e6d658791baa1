"""`validate_value`: check a value in SWE Common JSON form against its component (HTTP 400 on error)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from bridge.swe.checks import check_number, check_time, check_token, number_is_nil, token_is_nil
from bridge.swe.components import (
    Boolean,
    Category,
    CategoryRange,
    Component,
    ComponentRef,
    Count,
    CountRange,
    DataArray,
    DataChoice,
    DataRecord,
    Geometry,
    Matrix,
    Quantity,
    QuantityRange,
    Text,
    Time,
    TimeRange,
    Vector,
)
from bridge.swe.constraints import GEOMETRY_TYPES, SPECIAL_NUMBERS
from bridge.swe.errors import SweValueError
from bridge.swe.serde import type_name
from bridge.swe.timefmt import parse_iso

Check = Callable[[Any, Any, str], None]


def validate_value(component: Component, value: Any, path: str = "") -> None:
    """Raise SweValueError(path, message) unless `value` is a valid value of `component`."""
    check = _CHECKS.get(type(component))
    if check is not None:
        check(component, value, path)


def child_path(path: str, name: str) -> str:
    """Path of member `name` below `path` ('pos' + 'lat' → 'pos.lat')."""
    return f"{path}.{name}" if path else name


def _fields(c: Any, v: Any, path: str, members: list[Component]) -> None:
    if not isinstance(v, dict):
        raise SweValueError(path, f"expected an object, got {type_name(v)}")
    for member in members:
        name = member.name or ""
        item = v.get(name)
        if item is None:
            if member.is_optional:
                continue
            raise SweValueError(child_path(path, name), "a value is required")
        validate_value(member, item, child_path(path, name))
    names = {m.name for m in members}
    for key in v:
        if key not in names:
            raise SweValueError(child_path(path, str(key)), "unknown field")


def _record(c: DataRecord, v: Any, path: str) -> None:
    _fields(c, v, path, c.fields)


def _vector(c: Vector, v: Any, path: str) -> None:
    _fields(c, v, path, c.coordinates)


def _array(c: DataArray, v: Any, path: str) -> None:
    if not isinstance(v, list):
        raise SweValueError(path, f"expected an array, got {type_name(v)}")
    size = c.fixed_size
    if size is not None and len(v) != size:
        raise SweValueError(path, f"expected {size} elements, got {len(v)}")
    count = c.element_count
    if count is not None and not isinstance(count, ComponentRef) and count.constraint is not None:
        reason = check_number(len(v), count.constraint)
        if reason:
            raise SweValueError(path, f"element count {reason}")
    for i, item in enumerate(v):
        validate_value(c.element_type, item, f"{path}[{i}]")


def _choice(c: DataChoice, v: Any, path: str) -> None:
    if not isinstance(v, dict) or len(v) != 1:
        raise SweValueError(path, "expected an object with exactly one member naming the chosen item")
    ((name, item),) = v.items()
    for option in c.items:
        if option.name == name:
            validate_value(option, item, child_path(path, name))
            return
    names = ", ".join(str(i.name) for i in c.items)
    raise SweValueError(child_path(path, str(name)), f"unknown choice item (expected one of {names})")


def number_value(v: Any, path: str) -> float:
    """The float of a JSON number or special string, else SweValueError."""
    if isinstance(v, bool) or not isinstance(v, int | float | str):
        raise SweValueError(path, f"expected a number, got {type_name(v)}")
    if isinstance(v, str):
        if v not in SPECIAL_NUMBERS:
            raise SweValueError(path, f"expected a number, got '{v}'")
        return SPECIAL_NUMBERS[v]
    try:
        return float(v)
    except OverflowError:
        raise SweValueError(path, f"{v} is out of the range of a double") from None


def _quantity(c: Quantity | QuantityRange, v: Any, path: str) -> None:
    x = number_value(v, path)
    if number_is_nil(x, c.nil_values) or c.constraint is None:
        return
    reason = check_number(x, c.constraint, v)
    if reason:
        raise SweValueError(path, reason)


def _count(c: Count | CountRange, v: Any, path: str) -> None:
    if isinstance(v, bool) or not isinstance(v, int):
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        else:
            raise SweValueError(path, f"expected an integer, got {v!r}")
    if number_is_nil(v, c.nil_values) or c.constraint is None:
        return
    reason = check_number(v, c.constraint, v)
    if reason:
        raise SweValueError(path, reason)


def _boolean(c: Boolean, v: Any, path: str) -> None:
    if not isinstance(v, bool):
        raise SweValueError(path, f"expected true or false, got {v!r}")


def _token(c: Text | Category | CategoryRange, v: Any, path: str) -> None:
    if not isinstance(v, str):
        raise SweValueError(path, f"expected a string, got {type_name(v)}")
    if token_is_nil(v, c.nil_values) or c.constraint is None:
        return
    reason = check_token(v, c.constraint)
    if reason:
        raise SweValueError(path, reason)


def _time(c: Time | TimeRange, v: Any, path: str) -> None:
    if isinstance(v, str) and v not in SPECIAL_NUMBERS:
        if not c.is_iso:
            raise SweValueError(path, f"expected a number of '{c.uom and c.uom.code}', got '{v}'")
        try:
            parse_iso(v)
        except ValueError as exc:
            raise SweValueError(path, str(exc)) from None
        if token_is_nil(v, c.nil_values):
            return
    else:
        x = number_value(v, path)
        if c.is_iso and not isinstance(v, str):
            raise SweValueError(path, f"expected an ISO 8601 date-time string, got {v!r}")
        if number_is_nil(x, c.nil_values):
            return
    if c.constraint is not None:
        reason = check_time(v, c.constraint)
        if reason:
            raise SweValueError(path, reason)


def _range(scalar: Check) -> Check:
    def check(c: Any, v: Any, path: str) -> None:
        if not isinstance(v, list) or len(v) != 2:
            raise SweValueError(path, "expected an array of two values [min, max]")
        scalar(c, v[0], f"{path}[0]")
        scalar(c, v[1], f"{path}[1]")

    return check


_DEPTH = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}


def _geometry(c: Geometry, v: Any, path: str) -> None:
    if not isinstance(v, dict) or v.get("type") not in GEOMETRY_TYPES:
        raise SweValueError(path, "expected a GeoJSON geometry object")
    kind = v["type"]
    if c.constraint is not None and c.constraint.geom_types and kind not in c.constraint.geom_types:
        raise SweValueError(path, f"geometry type {kind} is not one of {', '.join(c.constraint.geom_types)}")
    if not _positions(v.get("coordinates"), _DEPTH[kind]):
        raise SweValueError(f"{path}.coordinates", f"invalid coordinates for a {kind}")


def _positions(v: Any, depth: int) -> bool:
    if not isinstance(v, list):
        return False
    if depth == 0:
        return 2 <= len(v) <= 4 and all(
            isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) for x in v
        )
    return all(_positions(item, depth - 1) for item in v)


_CHECKS: dict[type, Check] = {
    DataRecord: _record,
    Vector: _vector,
    DataArray: _array,
    Matrix: _array,
    DataChoice: _choice,
    Quantity: _quantity,
    QuantityRange: _range(_quantity),
    Count: _count,
    CountRange: _range(_count),
    Boolean: _boolean,
    Text: _token,
    Category: _token,
    CategoryRange: _range(_token),
    Time: _time,
    TimeRange: _range(_time),
    Geometry: _geometry,
}
