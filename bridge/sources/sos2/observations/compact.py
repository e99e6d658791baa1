"""Compact rows of SWE text blocks (GetResult values) for bulk harvesting: no per-row objects.

A row is `(phenomenon_us, end_us, result_us, foi, value, seq, foi_title)`: times in microseconds (an interval for
reduced-precision times), the feature-of-interest token (or the stream's default), the value parsed by
its SWE leaf, `seq` numbering rows of one block that share feature and time (a profile's levels), and the
feature's title when the source gives one (None here).
Only records of one time field, optional result-time and feature fields and one scalar value take this
path; anything else goes through `iter_result_values`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from bridge.model.legacy.sos2 import CompactRow
from bridge.model.time import to_us, zoned_iso_us
from bridge.sources.sos2.observations.arrays import RowPlan, time_token
from bridge.sources.swe_xml import split_text_block


def compact_plan(plan: RowPlan) -> bool:
    """True when a record can be decoded into compact rows (one time field and one scalar value)."""
    return (
        plan.leaves is not None
        and plan.time_index is not None
        and len(plan.value_indices) == 1
        and plan.encoding.get("type") == "TextEncoding"
    )


def _span(token: str, leaf: dict[str, Any]) -> tuple[int, int]:
    """A time token in microseconds (start, end); full date-times with a zone take the fast path."""
    us = zoned_iso_us(token)
    if us is not None:
        return us, us
    extent = time_token(token.strip(), leaf)
    start = extent.start or extent.end
    end = extent.end or extent.start
    if start is None or end is None:
        raise ValueError(f"time token {token!r} has no position")
    return to_us(start), to_us(end)


def compact_rows(
    values: str,
    plan: RowPlan,
    default_foi: str | None = None,
    default_result: int | None = None,
    number: Callable[[int, tuple[Any, ...]], int] | None = None,
) -> Iterator[CompactRow]:
    """Rows of a text block decoded against a compact-capable plan (`compact_plan`).

    Args:
        default_foi: the feature of rows without a feature column.
        default_result: the result time (µs) of rows without a result-time column (else their end time).
        number: `seq` of a row from its (time, (feature, end)) — to share numbering with other records.
    """
    assert plan.leaves is not None and plan.time_index is not None
    leaves, ti, ri, fi = plan.leaves, plan.time_index, plan.result_time_index, plan.foi_index
    vi = plan.value_indices[0]
    parse = plan.parsers[vi]
    width = len(leaves)
    time_leaf = leaves[ti]
    last = -1
    fast_us = zoned_iso_us
    seen: dict[tuple[str | None, int], int] = {}
    for tokens in split_text_block(values, plan.encoding):
        if len(tokens) != width:
            raise ValueError(f"block has {len(tokens)} tokens, the record has {width} fields")
        token = tokens[ti]
        start = end = fast_us(token)  # the fast path of `_span`, taken here: one call less per row
        if start is None or end is None:
            start, end = _span(token, time_leaf)
        if ri is not None:
            result = _span(tokens[ri], leaves[ri])[0]
        else:
            result = end if default_result is None else default_result
        foi = (tokens[fi].strip() or default_foi) if fi is not None else default_foi
        token = tokens[vi]
        value = parse(token) if token else None
        if number is not None:
            yield (start, end, result, foi, value, number(start, (foi, end)), None)
            continue
        if start != last:
            last = start
            seen.clear()
            seq = 0
            seen[(foi, end)] = 1
        else:
            seq = seen.get((foi, end), 0)
            seen[(foi, end)] = seq + 1
        yield (start, end, result, foi, value, seq, None)
