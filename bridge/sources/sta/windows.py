"""Time windows of a stream's history, planned with `$count` so that each holds a bounded number of observations.

Windows keep `$skip` small on servers whose deep paging is slow (django-ogc-sensorthings computes
`ROW_NUMBER()` over the whole partition for every page), bound what a resumed run reads again, and carry the
count the server gave for them: the feature-of-interest reads check what they read against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bridge.errors import BridgeError
from bridge.model.legacy.sta import Datastream, MultiDatastream
from bridge.sources.http import PoliteClient
from bridge.sources.sta.errors import get_json
from bridge.sources.sta.related import nav_url
from bridge.sources.sta.times import format_instant

Stream = Datastream | MultiDatastream

WINDOW_ROWS = 5000  # observations per window at least (more when the server grants larger pages)
PAGES_PER_WINDOW = 4
MIN_SPLIT = timedelta(minutes=1)
WINDOWS = 50  # a stream the server cannot count is read in about this many windows of its advertised history
MIN_WINDOW = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Window:
    """A closed-open phenomenon-time window [start, end); `count` as the server counted it (None: unknown)."""

    start: datetime | None
    end: datetime
    count: int | None = None


def time_filter(after: datetime | None, before: datetime | None) -> str | None:
    """`phenomenonTime ge after and phenomenonTime lt before` (either side optional)."""
    clauses = []
    if after is not None:
        clauses.append(f"phenomenonTime ge {format_instant(after)}")
    if before is not None:
        clauses.append(f"phenomenonTime lt {format_instant(before)}")
    return " and ".join(clauses) or None


async def count(client: PoliteClient, url: str, flt: str | None) -> int | None:
    """`@iot.count` of a collection with `$filter=flt` (None when the server will not say)."""
    params = {"$top": "1", "$select": "id", "$count": "true"}
    if flt:
        params["$filter"] = flt
    try:
        doc = await get_json(client, url, params, retry=False)
    except BridgeError:
        return None
    value = doc.get("@iot.count") if isinstance(doc, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class WindowPlanner:
    """Plans the windows of one run's streams (`rows`: the observations a window should hold at most)."""

    def __init__(self, client: PoliteClient, rows: int = WINDOW_ROWS) -> None:
        self.client = client
        self.rows = rows

    async def _count(self, url: str, before: datetime, after: datetime | None = None) -> int | None:
        return await count(self.client, url, time_filter(after, before))

    async def history_start(self, ds: Stream, until: datetime) -> datetime | None:
        """A lower bound of the stream's phenomenon times when the server does not advertise its extent.

        Counts before ever earlier instants (1 day, 4 days, 16 days... before `until`) until none remain:
        a few cheap requests that let the history be read in windows.
        """
        if ds.phenomenon_time is not None:
            return ds.phenomenon_time.start
        url = nav_url(ds, "Observations")
        if url is None:
            return None
        step = timedelta(days=1)
        while step < timedelta(days=366 * 200):
            remaining = await self._count(url, until - step)
            if remaining is None:
                return None
            if remaining == 0:
                return until - step
            step *= 4
        return None

    async def plan(self, ds: Stream, since: datetime | None, until: datetime) -> list[Window]:
        """Windows of at most about `rows` observations covering [since, until), found by halving on `$count`s;
        evenly sized over the advertised extent (without counts) when the server cannot count."""
        url = nav_url(ds, "Observations")
        start = since or await self.history_start(ds, until)
        if url is None or start is None or start >= until:
            return [Window(since, until, await self._count(url, until, since) if url else None)]
        planned = await self._split(url, start, until, 0)
        if not planned:
            return [Window(s, e) for s, e in even_windows(since, until, ds, start)]
        planned[0] = Window(since, planned[0].end, planned[0].count)  # nothing lies before `start`
        return planned

    async def _split(self, url: str, start: datetime, end: datetime, depth: int) -> list[Window]:
        counted = await self._count(url, end, start)
        if counted is None:
            return []
        if counted <= self.rows or depth >= 24 or end - start <= MIN_SPLIT:
            return [Window(start, end, counted)]
        middle = start + (end - start) / 2
        left = await self._split(url, start, middle, depth + 1)
        right = await self._split(url, middle, end, depth + 1)
        return [*left, *right] if left and right else [Window(start, end, counted)]


def even_windows(
    since: datetime | None, until: datetime, ds: Stream, history_start: datetime | None
) -> list[tuple[datetime | None, datetime]]:
    """Closed-open windows covering [since, until), sized from the stream's (advertised or probed) history."""
    extent = ds.phenomenon_time
    first = since or history_start
    if first is None or first >= until:
        return [(since, until)]
    last = min(until, (extent.end or extent.start) + timedelta(microseconds=1)) if extent is not None else until
    step = max(MIN_WINDOW, (last - first) / WINDOWS) if last > first else until - first
    out: list[tuple[datetime | None, datetime]] = []
    cursor: datetime | None = since  # the first window stays open to the left when no `since` is known
    edge = first
    while edge + step < last:
        edge = edge + step
        out.append((cursor, edge))
        cursor = edge
    out.append((cursor, until))
    return out
