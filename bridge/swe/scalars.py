"""Per-type scalar conversions shared by the codecs: numbers, booleans, ISO and numeric times.

Values are in SWE Common JSON form: finite numbers stay numbers; NaN and infinities are the strings
"NaN", "+Infinity", "-Infinity"; ISO times are canonical UTC strings (`format_iso`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bridge.swe.components import Time, TimeRange
from bridge.swe.constraints import SPECIAL_NUMBERS
from bridge.swe.timefmt import (
    EPOCH,
    US_PER_UNIT,
    format_iso,
    from_units,
    normalize_iso,
    parse_iso,
    reference_time,
    to_units,
)

SPECIAL_OF_FLOAT = {"nan": "NaN", "inf": "+Infinity", "-inf": "-Infinity"}
CANONICAL_SPECIAL = {"NaN": "NaN", "Infinity": "+Infinity", "+Infinity": "+Infinity", "-Infinity": "-Infinity"}


def number_out(x: float) -> float | str:
    """A decoded float in JSON form (non-finite values as special strings)."""
    if x - x == 0.0:
        return x
    return SPECIAL_OF_FLOAT[repr(x)]


def to_float(v: Any) -> float:
    """The float of a number or special string (ValueError/TypeError otherwise)."""
    if v.__class__ is str:
        return SPECIAL_NUMBERS[v]
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise TypeError(f"expected a number, got {v!r}")
    return float(v)


def to_int(v: Any) -> int:
    """An integer value (integral floats accepted), else ValueError/TypeError."""
    if v.__class__ is int:
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    raise TypeError(f"expected an integer, got {v!r}")


def to_bool(v: Any) -> bool:
    """A boolean value, else TypeError."""
    if v is True or v is False:
        return v
    raise TypeError(f"expected true or false, got {v!r}")


def is_canonical_iso(v: str) -> bool:
    """Cheap shape test for the canonical form of `format_iso` ('…T…:SSZ' or '…:SS.fffZ', no trailing 0)."""
    n = len(v)
    return (
        v[-1:] == "Z" and (n == 20 or (21 < n < 28 and v[19] == "." and v[-2] != "0")) and v[10] == "T" and v[4] == "-"
    )


def iso_in(v: str) -> str:
    """A received ISO time (or special) string in canonical form; ValueError if it is not one."""
    if is_canonical_iso(v):
        try:
            datetime.fromisoformat(v)
            return v
        except ValueError:
            pass
    return CANONICAL_SPECIAL.get(v) or normalize_iso(v)


def iso_out(v: Any) -> str:
    """An ISO time value (string, datetime or special) as its canonical string, for writing."""
    if v.__class__ is str:
        if is_canonical_iso(v):  # written as is: values to encode come from the bridge's own store
            return v
        return CANONICAL_SPECIAL.get(v) or normalize_iso(v)
    if isinstance(v, datetime) and v.tzinfo is not None:
        return format_iso(v)
    raise TypeError(f"expected an ISO 8601 time (or an aware datetime), got {v!r}")


def time_scale(c: Time | TimeRange) -> tuple[datetime, float | None]:
    """Origin and microseconds per unit of a numeric time (unit None when unknown)."""
    origin = reference_time(c.reference_time)
    if c.is_iso:
        return origin, US_PER_UNIT["s"]
    code = c.uom.code if c.uom is not None else None
    return origin, US_PER_UNIT.get(code or "")


def numeric_time_in(c: Time | TimeRange) -> Callable[[Any], float]:
    """Converter of a time value (number, special, ISO string or datetime) to a number of units."""
    origin, us = time_scale(c)
    posix = origin == EPOCH and us == US_PER_UNIT["s"]

    def convert(v: Any) -> float:
        if v.__class__ is str:
            if is_canonical_iso(v):
                dt = datetime.fromisoformat(v)
            elif v in SPECIAL_NUMBERS:
                return SPECIAL_NUMBERS[v]
            else:
                dt = parse_iso(v)
        elif isinstance(v, datetime):
            dt = v
        else:
            return to_float(v)
        if us is None:
            raise ValueError("ISO time given for a numeric time of unknown unit")
        return dt.timestamp() if posix and dt.tzinfo is not None else to_units(dt, origin, us)

    return convert


def numeric_time_out(c: Time | TimeRange) -> Callable[[float], Any]:
    """Converter of a decoded number of units to the component's JSON form (ISO string or number)."""
    origin, us = time_scale(c)
    if not c.is_iso or us is None:
        return number_out

    def convert(x: float) -> Any:
        if x - x != 0.0:
            return SPECIAL_OF_FLOAT[repr(x)]
        try:
            return format_iso(from_units(x, origin, us))
        except OverflowError:
            raise ValueError(f"time {x} is out of range") from None

    return convert
