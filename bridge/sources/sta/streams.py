"""One stream's observations for the harvest: windows, the cheapest correct way to learn features of interest.

Every STA observation has exactly one feature of interest, and `$expand=FeatureOfInterest` per observation is the
expensive way to learn it (6–8× a plain page on istSOS4, wrong on django-ogc-sensorthings). A stream that observed
a few features is read feature by feature instead — `$filter=FeatureOfInterest/id eq …` on the stream's
Observations, each row then known to belong to that feature — when counts prove it correct: the features the
server lists for the stream (`FeaturesOfInterest?$filter=Observations/Datastream/id eq …`, else every feature of
a small server) must account, count by count, for every observation of the stream, and each window must read as
many distinct observations as the server counted in it (a window that falls short is read again the general
way). Otherwise, or when the timed probe says `$expand` costs about what a plain page does, the reader's general
plan is used: a dataArray feature column, a verified `$expand`, or navigation links.

Cursors: a window read feature by feature moves the stream's cursor to its end only once all of it was read, in
the batch of its last rows; a killed run reads that window again and the store drops the rows it already holds.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

from bridge.errors import BridgeError
from bridge.model.harvest import Batch, HarvestState, LegacyObservations, Unit
from bridge.model.legacy.sta import Datastream, FeatureOfInterest, MultiDatastream
from bridge.model.time import EPOCH, to_us
from bridge.sources.sta import parse as p
from bridge.sources.sta.errors import StaError, get_json
from bridge.sources.sta.probe import COST_ROWS, ReadProfile
from bridge.sources.sta.query import feature_filter, stream_filter
from bridge.sources.sta.reader import StaReader
from bridge.sources.sta.related import nav_url
from bridge.sources.sta.times import format_instant
from bridge.sources.sta.windows import Window, WindowPlanner, count, time_filter

Stream = Datastream | MultiDatastream
MAX_FEATURES = 200  # a stream with more features is read the general way
REQUEST_FACTOR = 4  # without timed costs: feature reads may take this many times the plain requests


class StreamReads:
    """Reads the observations of a run's streams (one `batches` call per stream; calls may run concurrently)."""

    def __init__(self, reader: StaReader, planner: WindowPlanner, profile: ReadProfile) -> None:
        self.reader = reader
        self.planner = planner
        self.profile = profile
        self.fois: list[FeatureOfInterest] = []

    @staticmethod
    def since(key: str, state: HarvestState) -> datetime | None:
        """Where a stream's read starts: its cursor minus the lag, not before the run's `since`."""
        cursor = state.cursors.get(key)
        if cursor is None:
            return state.since
        since = EPOCH + timedelta(microseconds=cursor - state.lag_us)
        return max(since, state.since) if state.since else since

    async def batches(self, ds: Stream, unit: Unit, state: HarvestState) -> AsyncIterator[Batch]:
        """The stream's observations from its cursor to the run's bound; a failure is one error, the run goes on."""
        entity = unit.entity
        key = f"{entity}/{ds.id}"
        try:
            since = self.since(key, state)
            windows = await self.planner.plan(ds, since, state.until)
            features = await self._features(ds, windows, since, state.until)
            for window in windows:
                pages = self._by_feature(ds, unit, key, window, features) if features is not None else None
                async for batch in pages or self._window_pages(ds, unit, key, window):
                    yield batch
        except BridgeError as exc:
            yield Batch(errors=[f"{entity} {ds.id} ({ds.name}): observations not read: {exc.description}"])

    # ------------------------------------------------------------------------------------------- strategy
    async def _features(
        self, ds: Stream, windows: list[Window], since: datetime | None, until: datetime
    ) -> list[str] | None:
        """The stream's features when reading feature by feature is correct and cheapest, else None."""
        shape = await self.reader.foi_shape(ds)
        if shape == "column" or any(w.count is None for w in windows):
            self.profile.strategies[shape] += 1
            return None
        features = await self._checked_features(ds, since, until)
        total = sum(w.count or 0 for w in windows)
        if features is None or not self._cheaper(len(features), len(windows), total, shape):
            self.profile.strategies[shape] += 1
            return None
        self.profile.strategies["per feature"] += 1
        return features

    def _cheaper(self, features: int, windows: int, total: int, shape: str) -> bool:
        """Feature reads (a request per feature and window) against the general plan.

        Within REQUEST_FACTOR times the requests of a plain read they always win (a plain page is the cheapest
        there is, and `$expand` pages get slower with depth on some servers, which a first page does not show);
        beyond, the timed page costs decide.
        """
        pages = total / max(1, self.profile.page.get("json", COST_ROWS))
        if features * windows <= REQUEST_FACTOR * (pages + windows):
            return True
        plain, expand = self.profile.costs_ms.get("plain"), self.profile.costs_ms.get("expand")
        if plain is None or expand is None or shape != "expand":
            return False
        by_feature = (features * windows + pages) * plain + total / COST_ROWS * plain
        return by_feature <= total / COST_ROWS * expand

    async def _listed_features(self, ds: Stream) -> list[str] | None:
        """The features the server lists for the stream; every feature of a small server when it cannot filter."""
        url = await self.reader.set_url("FeaturesOfInterest")
        params = {"$filter": stream_filter(isinstance(ds, MultiDatastream), ds.id), "$select": "id"}
        try:
            doc = await get_json(self.reader.client, url, params | {"$top": str(MAX_FEATURES + 1)}, retry=False)
            items = p.parse_collection(doc).items
            listed = [i for item in items if (i := p.id_string(item.get("@iot.id"))) is not None]
        except BridgeError as exc:
            why = f"HTTP {exc.status_code}" if isinstance(exc, StaError) else "no answer"
            self.profile.note(f"the server does not list a stream's features ({why}): all features tried")
            listed = [f.id for f in self.fois]
        return listed if len(listed) <= MAX_FEATURES else None

    async def _checked_features(self, ds: Stream, since: datetime | None, until: datetime) -> list[str] | None:
        """Features whose observation counts in [since, until) add up to the stream's count (None: they do not)."""
        url = nav_url(ds, "Observations")
        listed = await self._listed_features(ds)
        if url is None or listed is None:
            return None
        window = time_filter(since, until)
        client = self.reader.client
        flts = [" and ".join(c for c in (window, feature_filter(f)) if c) for f in listed]
        total, *counts = await asyncio.gather(count(client, url, window), *(count(client, url, f) for f in flts))
        if total is None or any(c is None for c in counts) or sum(c or 0 for c in counts) != total:
            self.profile.note(f"{ds.name}: feature counts {counts[:5]} do not add up to {total}")
            return None
        return [f for f, c in zip(listed, counts, strict=True) if c]

    # ------------------------------------------------------------------------------------------- reads
    async def _by_feature(
        self, ds: Stream, unit: Unit, key: str, window: Window, features: list[str]
    ) -> AsyncIterator[Batch]:
        """One window, feature by feature; checked against the window's count, read again the general way if short."""
        seen: set[str] = set()
        pending: list[Any] = []  # the last page is held back: it carries the cursor when the window is complete
        for feature in features:
            async for page in self.reader.observations(ds, window.start, window.end, feature=feature):
                seen.update(o.id for o in page.observations)
                if pending:
                    yield self._batch(unit, key, pending, None)
                pending = page.observations
        if window.count is not None and len(seen) < window.count:
            self.profile.note(f"{ds.name}: {len(seen)} of {window.count} observations by feature; window read again")
            if pending:
                yield self._batch(unit, key, pending, None)
            async for batch in self._window_pages(ds, unit, key, window):
                yield batch
            return
        yield self._batch(unit, key, pending, to_us(window.end))

    @staticmethod
    def _batch(unit: Unit, key: str, observations: list[Any], cursor: int | None) -> Batch:
        return Batch(observations=[LegacyObservations(unit.entity, unit.ns, key, observations, cursor)])

    async def _window_pages(self, ds: Stream, unit: Unit, key: str, window: Window) -> AsyncIterator[Batch]:
        """One window with the reader's general plan (dataArray column, `$expand`, or navigation links).

        Ordered pages move the cursor as they come; the window's end is committed with its last page, and only
        when the window read as many distinct observations as the server counted in it (else it is an error,
        and the next run reads the window again).
        """
        seen: set[str] = set()
        held: Any = None
        async for page in self.reader.observations(ds, window.start, window.end):
            if not self.reader.expand.use_expand:
                await self._fill_fois(page.observations)
            seen.update(o.id for o in page.observations)
            if held is not None:
                yield self._batch(unit, key, held.observations, self._high_water(held))
            held = page
        if held is None:
            return
        if window.count is not None and len(seen) < window.count:
            yield self._batch(unit, key, held.observations, self._high_water(held))
            message = f"read {len(seen)} of the {window.count} observations the server counted"
            yield Batch(errors=[f"{unit.entity} {ds.id} ({ds.name}): window {_span(window)} {message}"])
            return
        yield self._batch(unit, key, held.observations, to_us(window.end))

    @staticmethod
    def _high_water(page: Any) -> int | None:
        return to_us(page.high_water) if page.ordered and isinstance(page.high_water, datetime) else None

    async def _fill_fois(self, observations: list[Any]) -> None:
        """Features of interest of a page when the server's `$expand` cannot be trusted (none came back).

        Every STA observation has a feature of interest: with a single one on the server it is that one;
        otherwise each feature's Observations are listed within the page's time window (`$select=id`), so
        no deep `$skip` paging over a feature's whole history is needed.
        """
        missing = [o for o in observations if o.foi_id is None and o.phenomenon_start is not None]
        if not missing or not self.fois:
            return
        if len(self.fois) == 1:
            for o in missing:
                o.foi_id = self.fois[0].id
            return
        low = min(o.phenomenon_start for o in missing)
        high = max(o.phenomenon_end or o.phenomenon_start for o in missing)
        window = f"phenomenonTime ge {format_instant(low)} and phenomenonTime le {format_instant(high)}"
        index: dict[str, str] = {}
        for foi in self.fois:
            link = foi.links.get("Observations")
            if link:
                params = {"$select": "id", "$top": "100", "$filter": window}
                async for items in self.reader.pages(link, params):
                    index.update({oid: foi.id for i in items if (oid := p.id_string(i.get("@iot.id"))) is not None})
        for o in missing:
            o.foi_id = index.get(o.id)


def _span(window: Window) -> str:
    start = format_instant(window.start) if window.start else "…"
    return f"[{start}, {format_instant(window.end)})"
