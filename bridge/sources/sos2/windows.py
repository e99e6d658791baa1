"""Time windows for GetObservation/GetResult (SOS 2.0 has no paging, so history is walked by time).

Windows are closed intervals in microseconds. They cover the range to read, at most `max_window`
long, restricted to the periods GetDataAvailability reported (empty ranges are skipped); a window
the server refuses as too large (ResponseExceedsSizeLimit) is split in two and retried, and the offering's
later windows — in this run and the next ones — are no longer than the largest it accepted (`WindowLimits`).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bridge.model.harvest import LEARNED

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


WINDOW_KEY = "window/"  # + offering: the learned window length, stored with the cursors (`LEARNED` prefix)


@dataclass(slots=True)
class OfferingWindows:
    """What one offering's windows taught: refused lengths, the largest length accepted below them.

    `learned` (the largest length accepted since the shortest refusal; remembered across runs) bounds every
    later window of the offering, so each halving is paid once: refusals stay within log₂(extent / accepted)
    + 1. Windows longer than anything accepted yet are sent one at a time (`lock`), so streams of the same
    offering read concurrently do not each get refused.
    """

    learned: int | None = None
    ceiling: int | None = None  # the shortest refused length of this run
    safe: int = 0  # the longest accepted length of this run (or the learned one)
    refusals: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def limit(self) -> int | None:
        """The longest window to send now (None: no limit known)."""
        if self.learned is not None:
            return self.learned
        return self.ceiling // 2 if self.ceiling is not None else None

    def refused(self, length: int) -> None:
        """A window of `length` was refused as too large."""
        self.refusals += 1
        self.ceiling = length if self.ceiling is None else min(self.ceiling, length)
        if self.learned is not None and self.learned >= self.ceiling:
            self.learned = None
        self.safe = min(self.safe, self.ceiling - 1)

    def accepted(self, length: int) -> bool:
        """A window of `length` was read; True when that changed the learned length (to be stored)."""
        self.safe = max(self.safe, length)
        if self.ceiling is None or length >= self.ceiling or (self.learned is not None and length <= self.learned):
            return False
        self.learned = length
        return True


class WindowQueue:
    """The windows of one stream, each fitted to what its offering accepts when its turn comes."""

    def __init__(self, offering: OfferingWindows, windows: list[Window]) -> None:
        self.offering = offering
        self.pending = deque(windows)
        self._locked = False

    def _fit(self, window: Window) -> Window:
        """The window, or its first part no longer than the limit (the rest goes back in the queue)."""
        limit = self.offering.limit()
        if limit is None or window.end - window.start <= limit:
            return window
        parts = [Window(s, e) for s, e in _chunks(window.start, window.end, max(limit, MIN_WINDOW_US))]
        parts[-1] = Window(parts[-1].start, parts[-1].end, window.last)
        self.pending.extendleft(reversed(parts[1:]))
        return parts[0]

    async def next(self) -> Window | None:
        """The next window to read; one longer than any accepted yet waits for the offering's turn."""
        self.release()
        while self.pending:
            window = self._fit(self.pending.popleft())
            if window.end - window.start <= self.offering.safe:
                return window
            await self.offering.lock.acquire()
            self._locked = True
            fitted = self._fit(window)  # the limit may have shrunk while waiting
            if fitted is window:
                return window
            self.pending.appendleft(fitted)
            self.release()
        return None

    def refused(self, window: Window) -> bool:
        """Split a refused window back into the queue; False when it cannot shrink further."""
        self.offering.refused(window.end - window.start)
        halves = split(window)
        if halves is None:
            return False
        self.pending.extendleft(reversed(halves))
        return True

    def release(self) -> None:
        """Give the offering's turn back (after each window, and when the read stops)."""
        if self._locked:
            self._locked = False
            self.offering.lock.release()


class WindowLimits:
    """The offerings' window knowledge of one run, starting from what earlier runs stored."""

    def __init__(self, cursors: dict[str, int]) -> None:
        prefix = LEARNED + WINDOW_KEY
        self.offerings: dict[str, OfferingWindows] = {
            key[len(prefix) :]: OfferingWindows(learned=value, safe=value)
            for key, value in cursors.items()
            if key.startswith(prefix) and value > 0
        }

    def of(self, offering: str) -> OfferingWindows:
        """The knowledge about one offering."""
        return self.offerings.setdefault(offering, OfferingWindows())

    @staticmethod
    def key(offering: str) -> str:
        """The cursor-table key of an offering's learned window length."""
        return LEARNED + WINDOW_KEY + offering

    def report(self) -> dict[str, Any]:
        """Offerings that refused windows or have a learned length: refusals this run, accepted seconds."""
        return {
            name: {"refused": o.refusals, "acceptedSeconds": o.learned / 1e6 if o.learned else None}
            for name, o in sorted(self.offerings.items())
            if o.refusals or o.learned
        }
