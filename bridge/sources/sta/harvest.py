"""The SensorThings harvester: entities first (in dependency order), then observations per stream.

Yields `Batch`es for the run engine. Observations are read per Datastream/MultiDatastream from the
stream's cursor (closed start, minus the lag window) up to the run's fixed upper bound; a stream the
server cannot order commits its cursor only with its last page. A failing stream is reported and the
harvest goes on with the next one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

from bridge.errors import BridgeError
from bridge.model.harvest import Batch, HarvestState, LegacyObservations, Unit
from bridge.model.legacy.sta import Datastream, MultiDatastream, ObservedProperty, Sensor, Thing
from bridge.model.time import EPOCH, to_us
from bridge.sources.http import PoliteClient
from bridge.sources.sta import parse as p
from bridge.sources.sta.errors import get_json
from bridge.sources.sta.reader import StaReader, StaReaderConfig
from bridge.sources.sta.related import nav_url
from bridge.sources.sta.times import format_instant

UNITS_PER_BATCH = 200


class StaHarvester:
    """Reads one SensorThings service for the run engine."""

    def __init__(self, name: str, url: str, client: PoliteClient, config: StaReaderConfig | None = None) -> None:
        self.name = name
        self.client = client
        self.reader = StaReader(client, url, config)
        self._fois: list[Any] = []

    def counters(self) -> dict[str, int]:
        """Harvester: traffic so far (requests, bytes, retries) for the run report."""
        stats = self.client.stats
        return {"requests": stats.requests, "bytes": stats.bytes, "retries": stats.retries}

    async def _listing(self, entity: str, items: AsyncIterator[Any]) -> tuple[list[Any], Batch]:
        """Read a whole entity set; the batch carries its complete id list (for deletion reconciliation)."""
        records = [record async for record in items]
        return records, Batch(seen_complete={entity: {r.id for r in records}})

    async def _current_location(self, thing: Thing) -> Any:
        link = thing.links.get("Locations")
        if not link:
            return None
        async for items in self.reader.pages(link, {"$top": "1"}):
            return p.parse_location(items[0]) if items else None
        return None

    async def batches(self, state: HarvestState) -> AsyncIterator[Batch]:
        """Harvester: every entity set (Things to FOIs, then tasking), then location history and observations."""
        root = await self.reader.service_root()
        things, seen = await self._listing("Thing", self.reader.things())
        yield seen
        by_thing = {t.id: t for t in things}
        units = [
            Unit("Thing", {"thing": t, "location": await self._current_location(t)}, t.id, t.self_link) for t in things
        ]
        sensors, seen = await self._listing("Sensor", self.reader.sensors())
        yield seen
        ops, seen = await self._listing("ObservedProperty", self.reader.observed_properties())
        yield seen
        sensor_by_id = {s.id: s for s in sensors}
        op_by_id = {o.id: o for o in ops}
        units += [Unit("Sensor", {"sensor": s}, s.id, s.self_link) for s in sensors]
        units += [Unit("ObservedProperty", {"op": o}, o.id, o.self_link) for o in ops]
        streams, seen = await self._listing("Datastream", self.reader.datastreams())
        yield seen
        multi, seen = await self._listing("MultiDatastream", self.reader.multi_datastreams())
        yield seen
        units += self._sensor_uses([*streams, *multi], by_thing, sensor_by_id)
        units += [self._stream_unit(ds, op_by_id) for ds in streams]
        units += [self._multi_unit(ds, op_by_id) for ds in multi]
        fois, seen = await self._listing("FeatureOfInterest", self.reader.features_of_interest())
        yield seen
        self._fois = fois
        units += [Unit("FeatureOfInterest", {"foi": f}, f.id, f.self_link) for f in fois]
        for start in range(0, len(units), UNITS_PER_BATCH):
            yield Batch(units=units[start : start + UNITS_PER_BATCH])
        if root.has("tasking"):
            async for batch in self._tasking(by_thing):
                yield batch
        async for batch in self._location_history(things, state):
            yield batch
        for ds in [*streams, *multi]:
            async for batch in self._observations(ds, op_by_id, state):
                yield batch

    @staticmethod
    def _sensor_uses(
        streams: list[Datastream | MultiDatastream], things: dict[str, Thing], sensors: dict[str, Sensor]
    ) -> list[Unit]:
        pairs = {(ds.thing_id, ds.sensor_id) for ds in streams if ds.thing_id and ds.sensor_id}
        return [
            Unit("SensorUse", {"thing": things[t], "sensor": sensors[s]}, f"{t}/{s}", sensors[s].self_link)
            for t, s in sorted(pairs)
            if t in things and s in sensors
        ]

    @staticmethod
    def _stream_unit(ds: Datastream, ops: dict[str, ObservedProperty]) -> Unit:
        return Unit("Datastream", {"ds": ds, "op": ops.get(ds.observed_property_id or "")}, ds.id, ds.self_link)

    @staticmethod
    def _multi_unit(ds: MultiDatastream, ops: dict[str, ObservedProperty]) -> Unit:
        ordered = [ops[i] for i in ds.observed_property_ids if i in ops]
        return Unit("MultiDatastream", {"ds": ds, "ops": ordered}, ds.id, ds.self_link)

    async def _tasking(self, things: dict[str, Thing]) -> AsyncIterator[Batch]:
        actuators, seen = await self._listing("Actuator", self.reader.actuators())
        yield seen
        capabilities, seen = await self._listing("TaskingCapability", self.reader.tasking_capabilities())
        yield seen
        by_id = {a.id: a for a in actuators}
        pairs = {(c.thing_id, c.actuator_id) for c in capabilities if c.thing_id and c.actuator_id}
        units = [
            Unit("ActuatorUse", {"thing": things[t], "actuator": by_id[a]}, f"{t}/{a}", by_id[a].self_link)
            for t, a in sorted(pairs)
            if t in things and a in by_id
        ]
        units += [Unit("TaskingCapability", {"tc": c}, c.id, c.self_link) for c in capabilities]
        tasks, seen = await self._listing("Task", self.reader.tasks())
        units += [Unit("Task", {"task": t}, t.id, t.self_link) for t in tasks if t.tasking_capability_id]
        yield Batch(units=units, seen_complete=seen.seen_complete)

    async def _location_history(self, things: list[Thing], state: HarvestState) -> AsyncIterator[Batch]:
        """HistoricalLocations → observations of each Thing's location datastream (Annex C.9)."""
        history = [h async for h in self.reader.historical_locations()]
        if not history:
            return
        locations = {loc.id: loc async for loc in self.reader.locations()}
        by_thing: dict[str, list[tuple[datetime, dict[str, Any], str]]] = {}
        for h in history:
            geometry = next((locations[i].geometry for i in h.location_ids if i in locations), None)
            if h.thing_id and h.time is not None and isinstance(geometry, dict) and geometry.get("type") == "Point":
                by_thing.setdefault(h.thing_id, []).append((h.time, geometry, h.id))
        for thing in things:
            rows = by_thing.get(thing.id)
            if rows:
                yield Batch(
                    units=[Unit("LocationHistory", {"thing": thing}, thing.id, thing.links.get("HistoricalLocations"))],
                    observations=[
                        LegacyObservations("LocationHistory", {"thing": thing}, f"LocationHistory/{thing.id}", rows)
                    ],
                )

    def _window(self, key: str, state: HarvestState) -> datetime | None:
        cursor = state.cursors.get(key)
        if cursor is None:
            return state.since
        since = EPOCH + timedelta(microseconds=cursor - state.lag_us)
        return max(since, state.since) if state.since else since

    async def _fill_fois(self, observations: list[Any]) -> None:
        """Features of interest of a page when the server's `$expand` cannot be trusted (none came back).

        Every STA observation has a feature of interest: with a single one on the server it is that one;
        otherwise each feature's Observations are listed within the page's time window (`$select=id`), so
        no deep `$skip` paging over a feature's whole history is needed.
        """
        missing = [o for o in observations if o.foi_id is None and o.phenomenon_start is not None]
        if not missing or not self._fois:
            return
        if len(self._fois) == 1:
            for o in missing:
                o.foi_id = self._fois[0].id
            return
        low = min(o.phenomenon_start for o in missing)
        high = max(o.phenomenon_end or o.phenomenon_start for o in missing)
        window = f"phenomenonTime ge {format_instant(low)} and phenomenonTime le {format_instant(high)}"
        index: dict[str, str] = {}
        for foi in self._fois:
            link = foi.links.get("Observations")
            if link:
                params = {"$select": "id", "$top": "100", "$filter": window}
                async for items in self.reader.pages(link, params):
                    index.update({oid: foi.id for i in items if (oid := p.id_string(i.get("@iot.id"))) is not None})
        for o in missing:
            o.foi_id = index.get(o.id)

    async def _observations(
        self, ds: Datastream | MultiDatastream, ops: dict[str, ObservedProperty], state: HarvestState
    ) -> AsyncIterator[Batch]:
        """A stream's observations, read in adaptive time windows.

        Windows keep `$skip` small on servers whose deep paging is slow, and each completely read window
        moves the cursor to its end — so even a server that cannot order observations resumes mid-history.
        """
        entity = "MultiDatastream" if isinstance(ds, MultiDatastream) else "Datastream"
        unit = self._multi_unit(ds, ops) if isinstance(ds, MultiDatastream) else self._stream_unit(ds, ops)
        key = f"{entity}/{ds.id}"
        try:
            for start, end in await self._plan_windows(ds, self._window(key, state), state.until):
                async for batch in self._window_pages(ds, entity, unit, key, start, end):
                    yield batch
        except BridgeError as exc:
            yield Batch(errors=[f"{entity} {ds.id} ({ds.name}): observations not read: {exc.description}"])

    async def _count(self, url: str, before: datetime, after: datetime | None = None) -> int | None:
        """How many observations have a phenomenonTime in [after, before) (None when the server will not say)."""
        window = f"phenomenonTime lt {format_instant(before)}"
        if after is not None:
            window = f"phenomenonTime ge {format_instant(after)} and {window}"
        params = {"$filter": window, "$top": "1", "$select": "id", "$count": "true"}
        try:
            doc = await get_json(self.client, url, params, retry=False)
        except BridgeError:
            return None
        count = doc.get("@iot.count") if isinstance(doc, dict) else None
        return count if isinstance(count, int) else None

    async def _history_start(self, ds: Datastream | MultiDatastream, until: datetime) -> datetime | None:
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

    async def _plan_windows(
        self, ds: Datastream | MultiDatastream, since: datetime | None, until: datetime
    ) -> list[tuple[datetime | None, datetime]]:
        """Windows of at most about WINDOW_ROWS observations, found by halving on `$count`s; evenly sized
        over the advertised extent when the server cannot count."""
        url = nav_url(ds, "Observations")
        start = since or await self._history_start(ds, until)
        if url is None or start is None or start >= until:
            return [(since, until)]
        planned = await self._split(url, start, until, 0)
        if not planned:
            return _windows(since, until, ds, start)
        planned[0] = (since, planned[0][1])  # nothing lies before `start`: the first window may stay open
        return planned

    async def _split(
        self, url: str, start: datetime, end: datetime, depth: int
    ) -> list[tuple[datetime | None, datetime]]:
        count = await self._count(url, end, start)
        if count is None:
            return []
        if count <= WINDOW_ROWS or depth >= 24 or end - start <= MIN_SPLIT:
            return [(start, end)]
        middle = start + (end - start) / 2
        left = await self._split(url, start, middle, depth + 1)
        right = await self._split(url, middle, end, depth + 1)
        return [*left, *right] if left and right else [(start, end)]

    async def _window_pages(
        self, ds: Datastream | MultiDatastream, entity: str, unit: Unit, key: str, start: datetime | None, end: datetime
    ) -> AsyncIterator[Batch]:
        async for page in self.reader.observations(ds, start, end):
            if not self.reader.expand.use_expand:
                await self._fill_fois(page.observations)
            cursor = None
            if page.last:
                cursor = to_us(end)  # the window [start, end) is read completely
            elif page.ordered and isinstance(page.high_water, datetime):
                cursor = to_us(page.high_water)
            yield Batch(observations=[LegacyObservations(entity, unit.ns, key, page.observations, cursor)])


WINDOW_ROWS = 5000  # observations per window when the server can count them
MIN_SPLIT = timedelta(minutes=1)
WINDOWS = 50  # otherwise a stream's advertised history is read in about this many windows
MIN_WINDOW = timedelta(hours=1)


def _windows(
    since: datetime | None, until: datetime, ds: Datastream | MultiDatastream, history_start: datetime | None
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
