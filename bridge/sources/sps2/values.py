"""Check tasking parameter values (CSAPI command `parameters` JSON) against a SWE Common 3 JSON schema.

Value shapes: DataRecord and Vector → object keyed by field/coordinate name (a Vector may also be a
list in coordinate order); DataChoice → object with exactly one key, the selected item name;
TimeRange/QuantityRange/CountRange/CategoryRange → two-element list; DataArray → list; Boolean →
bool; Count → int; Quantity → number; Time → ISO 8601 string; Text/Category → string. An absent
or null value is allowed only for an `optional` component or one with a fixed `value`.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

from bridge.errors import InvalidBody

JsonDict = dict[str, Any]

SIMPLE = ("Boolean", "Count", "Quantity", "Time", "Text", "Category")
RANGES = ("TimeRange", "QuantityRange", "CountRange", "CategoryRange")
_SPECIAL = {"NaN": math.nan, "INF": math.inf, "+INF": math.inf, "-INF": -math.inf}
_SPECIAL.update({"Infinity": math.inf, "+Infinity": math.inf, "-Infinity": -math.inf})


class TaskingParameterError(InvalidBody):
    """Tasking parameters do not match the DescribeTasking schema (400); lists every problem found."""

    code = "InvalidParameterValue"

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid tasking parameters: " + "; ".join(problems), details={"problems": problems})
        self.problems = problems


def members(component: JsonDict) -> list[JsonDict]:
    """Named children of an aggregate: record fields, vector coordinates or choice items."""
    kind = component.get("type")
    key = {"DataRecord": "fields", "Vector": "coordinates", "DataChoice": "items"}.get(str(kind))
    return list(component.get(key, [])) if key else []


def number(value: Any) -> float | None:
    """A JSON number or special-value string as float; None when it is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value in _SPECIAL:
        return _SPECIAL[value]
    return None


def time_value(value: Any) -> datetime | None:
    """An ISO 8601 string (or datetime) as an aware datetime; None when unreadable."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _in_intervals(x: float, intervals: list[Any]) -> bool:
    for pair in intervals:
        lo, hi = number(pair[0]), number(pair[1])
        if lo is not None and hi is not None and lo <= x <= hi:
            return True
    return False


def _check_numeric(constraint: JsonDict, x: float, path: str, problems: list[str]) -> None:
    allowed = [n for n in (number(v) for v in constraint.get("values", [])) if n is not None]
    intervals = constraint.get("intervals", [])
    if not allowed and not intervals:
        return
    if x in allowed or _in_intervals(x, intervals):
        return
    problems.append(f"{path}: {x:g} is outside the allowed values {allowed or ''}{intervals or ''}".strip())


def _check_time(constraint: JsonDict, t: datetime, path: str, problems: list[str]) -> None:
    values = [v for v in (time_value(v) for v in constraint.get("values", [])) if v is not None]
    intervals = constraint.get("intervals", [])
    if not values and not intervals:
        return
    if t in values:
        return
    for pair in intervals:
        lo, hi = time_value(pair[0]), time_value(pair[1])
        if lo is not None and hi is not None and lo <= t <= hi:
            return
    problems.append(f"{path}: {t.isoformat()} is outside the allowed times {intervals or values}")


def _check_token(constraint: JsonDict, s: str, path: str, problems: list[str]) -> None:
    tokens = constraint.get("values")
    if tokens and s not in tokens:
        problems.append(f"{path}: {s!r} is not one of {tokens}")
    pattern = constraint.get("pattern")
    if pattern and not re.fullmatch(pattern, s):
        problems.append(f"{path}: {s!r} does not match the pattern {pattern!r}")


def _check_scalar(kind: str, component: JsonDict, value: Any, path: str, problems: list[str]) -> None:
    constraint = component.get("constraint") or {}
    if kind == "Boolean":
        if not isinstance(value, bool):
            problems.append(f"{path}: expected a boolean, got {value!r}")
    elif kind in ("Quantity", "Count"):
        x = number(value)
        if x is None or (kind == "Count" and (not isinstance(value, int) or isinstance(value, bool))):
            problems.append(f"{path}: expected {'an integer' if kind == 'Count' else 'a number'}, got {value!r}")
        elif not math.isnan(x):
            _check_numeric(constraint, x, path, problems)
    elif kind == "Time":
        t = time_value(value)
        if t is None and number(value) is None:
            problems.append(f"{path}: expected an ISO 8601 time, got {value!r}")
        elif t is not None:
            _check_time(constraint, t, path, problems)
    elif not isinstance(value, str):
        problems.append(f"{path}: expected a string, got {value!r}")
    else:
        _check_token(constraint, value, path, problems)


def _check_aggregate(kind: str, component: JsonDict, value: Any, path: str, problems: list[str]) -> None:
    if kind == "Vector" and isinstance(value, list):
        coords = members(component)
        if len(value) != len(coords):
            problems.append(f"{path}: expected {len(coords)} coordinates, got {len(value)}")
            return
        value = {c["name"]: v for c, v in zip(coords, value, strict=True)}
    if not isinstance(value, dict):
        problems.append(f"{path}: expected an object, got {value!r}")
        return
    names = [str(m.get("name")) for m in members(component)]
    unknown = sorted(set(value) - set(names))
    if unknown:
        problems.append(f"{path}: unknown member(s) {unknown}")
    if kind == "DataChoice":
        if len(value) != 1 or unknown:
            problems.append(f"{path}: a choice needs exactly one of {names}")
            return
        ((name, item_value),) = value.items()
        item = next(m for m in members(component) if m.get("name") == name)
        check(item, item_value, f"{path}.{name}", problems)
        return
    for member in members(component):
        name = str(member.get("name"))
        check(member, value.get(name), f"{path}.{name}", problems)


def check(component: JsonDict, value: Any, path: str = "$", problems: list[str] | None = None) -> list[str]:
    """Problems (human-readable, with JSON paths) of `value` against `component`; empty when valid."""
    found = problems if problems is not None else []
    kind = str(component.get("type"))
    if value is None:
        if not component.get("optional") and "value" not in component:
            found.append(f"{path}: a value is required")
        return found
    if kind in SIMPLE:
        _check_scalar(kind, component, value, path, found)
    elif kind in RANGES:
        if not isinstance(value, list | tuple) or len(value) != 2:
            found.append(f"{path}: expected a [start, end] pair, got {value!r}")
        else:
            scalar = {"TimeRange": "Time", "QuantityRange": "Quantity", "CountRange": "Count"}.get(kind, "Category")
            for i, bound in enumerate(value):
                _check_scalar(scalar, component, bound, f"{path}[{i}]", found)
    elif kind in ("DataRecord", "Vector", "DataChoice"):
        _check_aggregate(kind, component, value, path, found)
    elif kind in ("DataArray", "Matrix"):
        if not isinstance(value, list):
            found.append(f"{path}: expected a list, got {value!r}")
        else:
            for i, element in enumerate(value):
                check(component.get("elementType") or {}, element, f"{path}[{i}]", found)
    else:
        found.append(f"{path}: unsupported component type {kind!r}")
    return found


def validate_parameters(component: JsonDict, values: Any) -> None:
    """Raise `TaskingParameterError` listing every problem of `values` against `component`."""
    problems = check(component, values)
    if problems:
        raise TaskingParameterError(problems)
