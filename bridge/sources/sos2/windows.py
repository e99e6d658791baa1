"""Time windows for GetObservation/GetResult (SOS 2.0 has no paging, so history is walked by time).

Windows are closed intervals in microseconds. They cover the range to read, at most `max_window`
long, restricted to the periods GetDataAvailability reported (empty ranges are skipped); a window
the server refuses as too large (ResponseExceedsSizeLimit) is split in two and retried.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

MIN_WINDOW_US = 1_000_000  # below one second a refused window is reported, not split further


@dataclass(frozen=True, slots=True)
class Window:
    """One request's time range; `last` marks the window that completes the read."""

    start: int
    end: int
    last: bool = False


def merge_periods(periods: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """The union of closed intervals, sorted (touching or overlapping ones merged)."""
    out: list[tuple[int, int]] = []
    for start, end in sorted((min(s, e), max(s, e)) for s, e in periods):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def plan_windows(
    start: int,
    until: int,
    *,
    max_window: int | None = None,
    available: list[tuple[int, int]] | None = None,
    extent_end: int | None = None,
) -> list[Window]:
    """Windows covering [start, until].

    Args:
        max_window: the longest window (µs); None reads each range in one request (split on refusal).
        available: data periods from GetDataAvailability; None when unknown (read everything).
        extent_end: the offering's advertised phenomenonTime end: windows are planned up to it and one more
            window reaches `until` (capabilities may be stale), so quiet years cost one request, not hundreds.
    """
    if start > until:
        return []
    if available is not None:
        ranges = [(max(s, start), min(e, until)) for s, e in merge_periods(available) if e >= start and s <= until]
    elif extent_end is not None and start <= extent_end < until:
        ranges = [(start, extent_end), (extent_end, until)]
    else:
        ranges = [(start, until)]
    windows: list[Window] = []
    for index, (lo, hi) in enumerate(ranges):
        tail = extent_end is not None and available is None and index == len(ranges) - 1 and len(ranges) > 1
        step = None if tail else max_window
        windows += [Window(s, e) for s, e in _chunks(lo, hi, step)]
    if windows:
        windows[-1] = Window(windows[-1].start, windows[-1].end, True)
    return windows


def _chunks(lo: int, hi: int, step: int | None) -> list[tuple[int, int]]:
    if not step or step <= 0 or hi - lo <= step:
        return [(lo, hi)]
    out = []
    cursor = lo
    while cursor < hi:
        out.append((cursor, min(hi, cursor + step)))
        cursor += step
    return out


def split(window: Window) -> list[Window] | None:
    """Two halves of a refused window (the second keeps `last`), or None when it cannot shrink further."""
    if window.end - window.start < 2 * MIN_WINDOW_US:
        return None
    middle = window.start + (window.end - window.start) // 2
    return [Window(window.start, middle), Window(middle, window.end, window.last)]


_UNITS_US = {"Y": 365 * 86_400, "M": 30 * 86_400, "W": 7 * 86_400, "D": 86_400}
_TIME_US = {"H": 3600, "M": 60, "S": 1}


def duration_us(text: str) -> int:
    """An ISO 8601 duration (P31D, PT6H, P1Y...) in microseconds (years as 365 days, months as 30)."""
    value = text.strip().upper()
    if not value.startswith("P") or value in ("P", "PT"):
        raise ValueError(f"'{text}' is not an ISO 8601 duration (e.g. P31D, PT6H)")
    date_part, _, time_part = value[1:].partition("T")
    total = 0.0
    for part, units in ((date_part, _UNITS_US), (time_part, _TIME_US)):
        number = ""
        for char in part:
            if char.isdigit() or char == ".":
                number += char
            elif char in units and number:
                total += float(number) * units[char]
                number = ""
            else:
                raise ValueError(f"'{text}' is not an ISO 8601 duration (e.g. P31D, PT6H)")
        if number:
            raise ValueError(f"'{text}' is not an ISO 8601 duration (e.g. P31D, PT6H)")
    return int(total * 1_000_000)
