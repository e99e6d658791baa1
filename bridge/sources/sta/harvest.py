"""The SensorThings harvester: entities first (in dependency order), then observations per stream.

Yields `Batch`es for the run engine. The server is probed once first (page sizes it grants, dataArray paging,
what a plain and an `$expand` page cost: `bridge.sources.sta.probe`). Observations are read per
Datastream/MultiDatastream from the stream's cursor (closed start, minus the lag window) up to the run's fixed
upper bound (`bridge.sources.sta.streams`), `parallel_streams` streams at a time; each batch holds one stream's
rows and the cursor that covers them, so interleaving streams keeps resumption exact. A failing stream is
reported and the harvest goes on with the others.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from bridge.model.harvest import Batch, HarvestState, LegacyObservations, Unit
from bridge.model.legacy.sta import Datastream, MultiDatastream, ObservedProperty, Sensor, Thing
from bridge.sources.fanin import merged
from bridge.sources.http import PoliteClient
from bridge.sources.sta import parse as p
from bridge.sources.sta.probe import ReadProfile
from bridge.sources.sta.reader import StaReader, StaReaderConfig
from bridge.sources.sta.streams import StreamReads
from bridge.sources.sta.windows import PAGES_PER_WINDOW, WINDOW_ROWS, WindowPlanner

UNITS_PER_BATCH = 200


class StaHarvester:
    """Reads one SensorThings service for the run engine."""

    def __init__(
        self,
        name: str,
        url: str,
        client: PoliteClient,
        config: StaReaderConfig | None = None,
        *,
        parallel_streams: int = 1,
    ) -> None:
        self.name = name
        self.client = client
        self.reader = StaReader(client, url, config)
        self.parallel_streams = max(1, parallel_streams)
        self.profile = ReadProfile()

    def reading(self) -> dict[str, Any]:
        """Harvester: how the server was read (probed page sizes and costs, strategy per stream) for the run report."""
        return self.profile.to_json()

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
        self.profile = await self.reader.probe()  # page sizes before the first listing
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
        units += [Unit("FeatureOfInterest", {"foi": f}, f.id, f.self_link) for f in fois]
        for start in range(0, len(units), UNITS_PER_BATCH):
            yield Batch(units=units[start : start + UNITS_PER_BATCH])
        if root.has("tasking"):
            async for batch in self._tasking(by_thing):
                yield batch
        async for batch in self._location_history(things, state):
            yield batch
        async for batch in self._observations([*streams, *multi], op_by_id, fois, state):
            yield batch

    async def _observations(
        self,
        streams: list[Datastream | MultiDatastream],
        ops: dict[str, ObservedProperty],
        fois: list[Any],
        state: HarvestState,
    ) -> AsyncIterator[Batch]:
        """Every stream's observations, `parallel_streams` streams at a time (after the shapes' costs are timed)."""
        if not streams:
            return
        await self._time_shapes(streams[0])
        page = max(self.profile.page.values(), default=0)
        reads = StreamReads(self.reader, WindowPlanner(self.client, max(WINDOW_ROWS, PAGES_PER_WINDOW * page)),
                            self.profile)  # fmt: skip
        reads.fois = fois
        units = [self._multi_unit(ds, ops) if isinstance(ds, MultiDatastream) else self._stream_unit(ds, ops)
                 for ds in streams]  # fmt: skip
        limit = self.parallel_streams
        sources = (reads.batches(ds, unit, state) for ds, unit in zip(streams, units, strict=True))
        async for batch in merged(sources, limit=limit, buffer=limit):
            yield batch

    async def _time_shapes(self, stream: Datastream | MultiDatastream) -> None:
        """Time a plain and an `$expand` page of one stream (once per run), into the profile."""
        timed = await self.reader.probe_costs(stream)
        self.profile.costs_ms.update(timed)

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
