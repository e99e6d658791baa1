"""Checks of one scalar value against nil values and constraints (shared by validation and codecs)."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from bridge.swe.constraints import (
    SPECIAL_NUMBERS,
    AllowedTimes,
    AllowedTokens,
    AllowedValues,
    NilValue,
    as_float,
)
from bridge.swe.timefmt import parse_iso


def fmt_bound(v: Any) -> str:
    """A constraint bound or value as written in messages (numbers as in the schema, strings bare)."""
    return str(v)


def number_is_nil(x: float, nils: list[NilValue] | None) -> bool:
    """True when number `x` is one of the declared nil values."""
    if not nils:
        return False
    for nil in nils:
        try:
            n = as_float(nil.value)
        except (KeyError, TypeError, ValueError):
            continue
        if n == x or (math.isnan(n) and math.isnan(x)):
            return True
    return False


def token_is_nil(s: str, nils: list[NilValue] | None) -> bool:
    """True when text `s` is one of the declared nil values."""
    return bool(nils) and any(nil.value == s for nil in nils or ())


def check_number(x: float, c: AllowedValues, shown: Any = None) -> str | None:
    """None if `x` satisfies the AllowedValues constraint, else the reason (`shown`: value as given)."""
    if c.values is not None and any(as_float(v) == x for v in c.values):
        return None
    if c.intervals is not None and any(as_float(lo) <= x <= as_float(hi) for lo, hi in c.intervals):
        return _sig_figs(x, c.significant_figures)
    if c.values is None and c.intervals is None:
        return _sig_figs(x, c.significant_figures)
    return f"{_show(x if shown is None else shown)} {_not_allowed(c.values, c.intervals)}"


def _show(x: Any) -> str:
    if isinstance(x, float) and math.isnan(x):
        return "NaN"
    if isinstance(x, float) and math.isinf(x):
        return "+Infinity" if x > 0 else "-Infinity"
    return x if isinstance(x, str) else repr(x)


def _not_allowed(values: list[Any] | None, intervals: list[list[Any]] | None) -> str:
    parts = []
    if intervals:
        shown = ", ".join(f"[{fmt_bound(lo)}, {fmt_bound(hi)}]" for lo, hi in intervals)
        plural = "s" if len(intervals) > 1 else ""
        parts.append(f"is outside the allowed interval{plural} {shown}")
    if values:
        joiner = "and " if parts else ""
        parts.append(f"{joiner}is not one of the allowed values {', '.join(fmt_bound(v) for v in values)}")
    return " ".join(parts)


def _sig_figs(x: float, limit: int | None) -> str | None:
    if limit is None or not math.isfinite(x) or x == 0:
        return None
    mantissa = repr(abs(float(x))).split("e")[0].replace(".", "").lstrip("0")
    digits = len(mantissa.rstrip("0")) or 1
    if digits > limit:
        return f"{_show(x)} has {digits} significant figures, more than the allowed {limit}"
    return None


def check_token(s: str, c: AllowedTokens) -> str | None:
    """None if `s` satisfies the AllowedTokens constraint, else the reason."""
    if c.values is not None and s not in c.values:
        return f"'{s}' is not one of the allowed values {', '.join(c.values)}"
    if c.regex is not None and not c.regex.fullmatch(s):
        return f"'{s}' does not match the pattern {c.pattern}"
    return None


def _time_key(v: Any) -> float:
    """Comparable number for a time bound/value: POSIX seconds for ISO strings, else the number."""
    if isinstance(v, str) and v not in SPECIAL_NUMBERS:
        return parse_iso(v).timestamp()
    return as_float(v)


def check_time(v: Any, c: AllowedTimes) -> str | None:
    """None if time value `v` (ISO string or number) satisfies the AllowedTimes constraint."""
    key = _time_key(v.isoformat() if isinstance(v, datetime) else v)
    if c.values is not None and any(_time_key(x) == key for x in c.values):
        return None
    if c.intervals is not None and any(_time_key(lo) <= key <= _time_key(hi) for lo, hi in c.intervals):
        return None
    if c.values is None and c.intervals is None:
        return None
    return f"{v} {_not_allowed(c.values, c.intervals)}"
