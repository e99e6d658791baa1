"""Units, nil values and value constraints (AllowedValues, AllowedTokens, AllowedTimes, geomTypes)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Annotated, Any

from bridge.swe.errors import SweSchemaError
from bridge.swe.serde import (
    J,
    dump_attrs,
    expect_object,
    parse_attrs,
    register_kind,
    type_name,
)
from bridge.swe.timefmt import parse_iso

SPECIAL_NUMBERS = {"NaN": math.nan, "Infinity": math.inf, "+Infinity": math.inf, "-Infinity": -math.inf}
GEOMETRY_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon")


def number_or_special(v: Any, path: str) -> int | float | str:
    """Validate a JSON number or one of the special strings "NaN", "+Infinity", "-Infinity"."""
    if isinstance(v, bool) or not (isinstance(v, int | float) or v in SPECIAL_NUMBERS):
        raise SweSchemaError(path, f"expected a number or 'NaN'/'+Infinity'/'-Infinity', got {v!r}")
    return v  # type: ignore[no-any-return]


def as_float(v: int | float | str) -> float:
    """The float meaning of a number or special string (see `number_or_special`)."""
    return SPECIAL_NUMBERS[v] if isinstance(v, str) else float(v)


def time_or_number(v: Any, path: str) -> int | float | str:
    """Validate an ISO 8601 date-time string, a number or a special numeric string."""
    if isinstance(v, str) and v not in SPECIAL_NUMBERS:
        try:
            parse_iso(v)
        except ValueError as exc:
            raise SweSchemaError(path, str(exc)) from None
        return v
    return number_or_special(v, path)


@dataclass(kw_only=True, slots=True)
class UnitReference:
    """Unit of measure: UCUM `code` and/or `href`, optional `label` and `symbol`."""

    code: Annotated[str | None, J("code", "str")] = None
    href: Annotated[str | None, J("href", "str")] = None
    label: Annotated[str | None, J("label", "str")] = None
    symbol: Annotated[str | None, J("symbol", "str")] = None

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return dump_attrs(self)


def _parse_uom(v: Any, path: str) -> UnitReference:
    uom = UnitReference(**parse_attrs(UnitReference, expect_object(v, path), path, keep_extras=False))
    if uom.code is None and uom.href is None:
        raise SweSchemaError(path, "a unit needs 'code' or 'href'")
    return uom


@dataclass(kw_only=True, slots=True)
class NilValue:
    """A reserved value with a special meaning (`reason` URI)."""

    reason: Annotated[str, J("reason", "str")] = ""
    value: Annotated[Any, J("value", "raw")] = None

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {"reason": self.reason, "value": self.value}


def _parse_nils(v: Any, path: str) -> list[NilValue]:
    if not isinstance(v, list) or not v:
        raise SweSchemaError(path, "nilValues must be a non-empty array")
    nils = []
    for i, item in enumerate(v):
        p = f"{path}[{i}]"
        kw = parse_attrs(NilValue, expect_object(item, p), p, keep_extras=False)
        if "reason" not in kw or "value" not in kw:
            raise SweSchemaError(p, "a nil value needs 'reason' and 'value'")
        nils.append(NilValue(**kw))
    return nils


def _dump_list(v: list[Any]) -> list[Any]:
    return [item.to_json() for item in v]


def _interval_list(v: Any, path: str, item: Any) -> list[list[Any]]:
    if not isinstance(v, list):
        raise SweSchemaError(path, f"expected an array of intervals, got {type_name(v)}")
    out = []
    for i, pair in enumerate(v):
        if not isinstance(pair, list) or len(pair) != 2:
            raise SweSchemaError(f"{path}[{i}]", "an interval is an array of two bounds")
        out.append([item(pair[0], f"{path}[{i}][0]"), item(pair[1], f"{path}[{i}][1]")])
    return out


def _value_list(v: Any, path: str, item: Any) -> list[Any]:
    if not isinstance(v, list) or not v:
        raise SweSchemaError(path, "expected a non-empty array")
    return [item(x, f"{path}[{i}]") for i, x in enumerate(v)]


def _check_type_member(d: dict[str, Any], expected: str, path: str) -> None:
    if "type" in d and d["type"] != expected:
        raise SweSchemaError(f"{path}.type", f"expected '{expected}', got {d['type']!r}")


@dataclass(kw_only=True, slots=True)
class AllowedValues:
    """Numeric constraint: enumerated `values` and/or inclusive `intervals`, `significantFigures`."""

    id: Annotated[str | None, J("id", "str")] = None
    values: Annotated[list[Any] | None, J("values", "numbers")] = None
    intervals: Annotated[list[list[Any]] | None, J("intervals", "number_intervals")] = None
    significant_figures: Annotated[int | None, J("significantFigures", "int")] = None
    extras: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return dump_attrs(self)


@dataclass(kw_only=True, slots=True)
class AllowedTokens:
    """Text constraint: enumerated `values` or a regular expression `pattern` (fully matched)."""

    id: Annotated[str | None, J("id", "str")] = None
    values: Annotated[list[str] | None, J("values", "tokens")] = None
    pattern: Annotated[str | None, J("pattern", "str")] = None
    extras: dict[str, Any] = field(default_factory=dict)
    regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return dump_attrs(self)


@dataclass(kw_only=True, slots=True)
class AllowedTimes:
    """Time constraint: enumerated `values` and/or `intervals` of ISO times or numbers."""

    id: Annotated[str | None, J("id", "str")] = None
    values: Annotated[list[Any] | None, J("values", "times")] = None
    intervals: Annotated[list[list[Any]] | None, J("intervals", "time_intervals")] = None
    significant_figures: Annotated[int | None, J("significantFigures", "int")] = None
    extras: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return dump_attrs(self)


@dataclass(kw_only=True, slots=True)
class GeometryConstraint:
    """Geometry constraint: the permitted GeoJSON geometry types."""

    geom_types: Annotated[list[str] | None, J("geomTypes", "geom_types")] = None

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return dump_attrs(self)


def _parse_allowed_values(v: Any, path: str) -> AllowedValues:
    d = expect_object(v, path)
    _check_type_member(d, "AllowedValues", path)
    c = AllowedValues(**parse_attrs(AllowedValues, d, path))
    if c.values is None and c.intervals is None:
        raise SweSchemaError(path, "AllowedValues needs 'values' or 'intervals'")
    if "type" in d:
        c.extras = {"type": d["type"], **c.extras}
    return c


def _parse_allowed_tokens(v: Any, path: str) -> AllowedTokens:
    d = expect_object(v, path)
    _check_type_member(d, "AllowedTokens", path)
    c = AllowedTokens(**parse_attrs(AllowedTokens, d, path))
    if c.values is None and c.pattern is None:
        raise SweSchemaError(path, "AllowedTokens needs 'values' or 'pattern'")
    if c.pattern is not None:
        try:
            c.regex = re.compile(c.pattern)
        except re.error as exc:
            raise SweSchemaError(f"{path}.pattern", f"invalid regular expression: {exc}") from None
    if "type" in d:
        c.extras = {"type": d["type"], **c.extras}
    return c


def _parse_allowed_times(v: Any, path: str) -> AllowedTimes:
    d = expect_object(v, path)
    _check_type_member(d, "AllowedTimes", path)
    c = AllowedTimes(**parse_attrs(AllowedTimes, d, path))
    if c.values is None and c.intervals is None:
        raise SweSchemaError(path, "AllowedTimes needs 'values' or 'intervals'")
    if "type" in d:
        c.extras = {"type": d["type"], **c.extras}
    return c


def _parse_geom_constraint(v: Any, path: str) -> GeometryConstraint:
    return GeometryConstraint(**parse_attrs(GeometryConstraint, expect_object(v, path), path, keep_extras=False))


def _parse_geom_types(v: Any, path: str) -> list[str]:
    def item(x: Any, p: str) -> str:
        if x not in GEOMETRY_TYPES:
            raise SweSchemaError(p, f"unknown geometry type {x!r}")
        return str(x)

    return _value_list(v, path, item)


def _parse_token(x: Any, p: str) -> str:
    if not isinstance(x, str) or not x:
        raise SweSchemaError(p, "expected a non-empty string")
    return x


def _identity(v: Any) -> Any:
    return v


register_kind("uom", _parse_uom, lambda v: v.to_json())
register_kind("nil", _parse_nils, _dump_list)
register_kind("numbers", lambda v, p: _value_list(v, p, number_or_special), _identity)
register_kind("number_intervals", lambda v, p: _interval_list(v, p, number_or_special), _identity)
register_kind("times", lambda v, p: _value_list(v, p, time_or_number), _identity)
register_kind("time_intervals", lambda v, p: _interval_list(v, p, time_or_number), _identity)
register_kind("tokens", lambda v, p: _value_list(v, p, _parse_token), _identity)
register_kind("geom_types", _parse_geom_types, _identity)
register_kind("allowed_values", _parse_allowed_values, lambda v: v.to_json())
register_kind("allowed_tokens", _parse_allowed_tokens, lambda v: v.to_json())
register_kind("allowed_times", _parse_allowed_times, lambda v: v.to_json())
register_kind("geom_constraint", _parse_geom_constraint, lambda v: v.to_json())
