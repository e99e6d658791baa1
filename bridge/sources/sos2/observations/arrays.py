"""Rows of SWE text-encoded arrays (O&M DataArray results, GetResult values) → typed observation rows.

The record's phenomenon-time field (definition …/PhenomenonTime, else the first Time field) becomes the
row's phenomenonTime; a …/ResultTime field its resultTime; a featureOfInterest field its FOI; the
remaining fields are the result (a scalar when one is left, else a dict keyed by field name).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from bridge.model.legacy.sos2 import JsonDict, TimeExtent, build_time_extent
from bridge.model.time import EPOCH, zoned_iso
from bridge.sources.gml import GmlError, parse_time_value
from bridge.sources.swe_xml import SweError, decode_block, flat_leaves, token_parser

_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0}


class Row(NamedTuple):
    """One decoded block of an array."""

    phenomenon_time: TimeExtent | None
    result_time: datetime | None
    foi: str | None
    value: Any
    issues: tuple[str, ...] = ()


@dataclass(slots=True)
class RowPlan:
    """How the columns of a flat record map onto observation members."""

    component: JsonDict
    encoding: JsonDict
    leaves: list[JsonDict] | None
    time_index: int | None = None
    result_time_index: int | None = None
    foi_index: int | None = None
    value_indices: list[int] = field(default_factory=list)
    parsers: list[Callable[[str], Any]] = field(default_factory=list)
    value_component: JsonDict | None = None  # SWE 3 JSON of the result part of a row


def _is(leaf: JsonDict, suffix: str, names: tuple[str, ...]) -> bool:
    definition = str(leaf.get("definition", "")).lower()
    return definition.endswith(suffix.lower()) or str(leaf.get("name", "")) in names


def plan_rows(component: JsonDict, encoding: JsonDict) -> RowPlan:
    """Decide which record fields are times, FOI and values (see module docstring)."""
    leaves = flat_leaves(component)
    plan = RowPlan(component, encoding, leaves)
    if leaves is None or any(leaf["type"].endswith("Range") for leaf in leaves):
        plan.leaves = None
        plan.value_component = component
        return plan
    for i, leaf in enumerate(leaves):
        if leaf["type"] == "Time" and plan.result_time_index is None and _is(leaf, "ResultTime", ("resultTime",)):
            plan.result_time_index = i
        elif (
            leaf["type"] == "Time"
            and plan.time_index is None
            and _is(leaf, "PhenomenonTime", ("phenomenonTime", "time", "samplingTime"))
        ):
            plan.time_index = i
        elif plan.foi_index is None and _is(leaf, "featureOfInterest", ("featureOfInterest", "foi")):
            plan.foi_index = i
    if plan.time_index is None:
        plan.time_index = next(
            (i for i, leaf in enumerate(leaves) if leaf["type"] == "Time" and i != plan.result_time_index),
            None,
        )
    special = {plan.time_index, plan.result_time_index, plan.foi_index}
    plan.value_indices = [i for i in range(len(leaves)) if i not in special]
    decimal = encoding.get("decimalSeparator") or "."
    plan.parsers = [token_parser(leaf, decimal) for leaf in leaves]
    values = [leaves[i] for i in plan.value_indices]
    if len(values) == 1:
        plan.value_component = values[0]
    elif values:
        plan.value_component = {"type": "DataRecord", "fields": values}
    return plan


def time_token(token: str, leaf: JsonDict) -> TimeExtent:
    """A Time token: ISO 8601 (reduced precision → interval) or a number in the leaf's unit."""
    stamp = zoned_iso(token)  # full date-time with a zone: the common case, no regex or cache
    if stamp is not None:
        return build_time_extent(stamp, stamp, None, None, False, None)
    try:
        start, end, assumed = parse_time_value(token)
        return TimeExtent(start, end, assumed_utc=assumed)
    except GmlError:
        pass
    unit = str((leaf.get("uom") or {}).get("code", "s"))
    try:
        seconds = float(token) * _UNIT_SECONDS.get(unit, 1.0)
    except ValueError as exc:
        raise SweError(f"invalid time token {token!r}") from exc
    base = EPOCH
    if leaf.get("referenceTime"):
        base = parse_time_value(str(leaf["referenceTime"]))[0]
    stamp = base + timedelta(seconds=seconds)
    return TimeExtent(stamp, stamp)


def decode_rows(plan: RowPlan, rows: list[list[str]]) -> Iterator[Row]:
    """Typed rows following a `RowPlan`."""
    if plan.leaves is None:
        decimal = plan.encoding.get("decimalSeparator") or "."
        for tokens in rows:
            yield Row(None, None, None, decode_block(tokens, plan.component, decimal))
        return
    leaves, parsers, indices = plan.leaves, plan.parsers, plan.value_indices
    ti, ri, fi = plan.time_index, plan.result_time_index, plan.foi_index
    single = indices[0] if len(indices) == 1 else None
    names = [leaves[i].get("name", f"field{i}") for i in indices]
    width = len(leaves)
    for tokens in rows:
        if len(tokens) != width:
            raise SweError(f"block has {len(tokens)} tokens, the record has {width} fields")
        ptime = time_token(tokens[ti], leaves[ti]) if ti is not None else None
        rtime = time_token(tokens[ri], leaves[ri]).start if ri is not None else None
        foi = tokens[fi].strip() if fi is not None else None
        if single is not None:
            token = tokens[single]
            value = parsers[single](token) if token else None
        else:
            value = {n: (parsers[i](tokens[i]) if tokens[i] else None) for n, i in zip(names, indices, strict=True)}
        yield Row(ptime, rtime, foi, value)
