"""A live front for SensorThings sources with the STA MQTT extension (`live = true` on the source).

The front subscribes to `v1.1/Datastreams({id})/Observations` of every datastream harvested from the source.
Each pushed observation is mapped by the source's own observation mapper and stored like a harvested one
(duplicates dropped by its legacy key), so the outbox publishes it to CSAPI subscribers at once. The stored
cursors are left to harvest runs: after every (re)connection the front runs an incremental harvest from them,
which fills whatever the push missed while the link was down and finds new datastreams to follow.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from typing import Any

import orjson
from sqlalchemy import select

from bridge.jobs.run import run_harvest
from bridge.live.broker import Broker, Incoming, cancel_all
from bridge.live.config import MqttSettings
from bridge.mapping.sta import observation_mapper
from bridge.model.harvest import MappedBatch, StreamRows
from bridge.model.observations import ObsRow
from bridge.model.stream_schema import cached_schema
from bridge.settings import SourceConfig
from bridge.sources.sta.parse_observations import parse_observation
from bridge.store.sql.store import SqlStore
from bridge.store.sql.tables import datastreams

log = logging.getLogger("bridge.live")
TOPIC = re.compile(r"^(?:.*/)?Datastreams\((?:'([^']*)'|([^)]*))\)/Observations$")
LIVE_RUN = "live"  # the run id stamped on what the front stores (its rows are not part of a harvest run)


def topic_of(version: str, legacy_id: str) -> str:
    """The STA MQTT topic of a datastream's new observations (numeric ids bare, others quoted)."""
    key = legacy_id if legacy_id.isdigit() else "'" + legacy_id.replace("'", "''") + "'"
    return f"{version}/Datastreams({key})/Observations"


class StaLiveFront:
    """Follows one STA source through its MQTT extension; `start()` / `stop()` as an app service."""

    def __init__(self, source: SourceConfig, store: SqlStore, transport: Any = None) -> None:
        self.source = source
        self.store = store
        self.transport = transport
        self.cfg = MqttSettings(
            enabled=True,
            url=source.live_url or "mqtt://127.0.0.1:1883",
            client_id=f"csapi-bridge-live-{source.name}-{uuid.uuid4().hex[:8]}",
            username=source.username,
            password=source.password,
        )
        self.version = source.live_version
        self.followed: dict[str, tuple[str, Any]] = {}  # legacy datastream id → (datastream id, row mapper)
        self.broker: Broker | None = None
        self.catch_ups = 0
        self.stored = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._connected = asyncio.Event()

    async def start(self) -> None:
        """Connect in the background; each connection subscribes and runs a catch-up harvest."""
        await self._load_streams()
        self.broker = Broker(self.cfg, [topic_of(self.version, legacy) for legacy in self.followed])
        self.broker.start()
        self._tasks = [
            asyncio.create_task(self._follow_connections(), name=f"live-{self.source.name}-connections"),
            asyncio.create_task(self._consume(), name=f"live-{self.source.name}-push"),
        ]

    async def stop(self) -> None:
        """Stop following."""
        await cancel_all(self._tasks)
        if self.broker is not None:
            await self.broker.stop()

    async def _load_streams(self) -> None:
        """The source's harvested datastreams and a row mapper for each (its schema decides the columns)."""
        d = datastreams.c
        query = select(d.id, d.legacy_id, d.schema).where(d.source == self.source.name, d.legacy_type == "Datastream")
        async with self.store.engine.connect() as conn:
            rows = list(await conn.execute(query))
        for ds_id, legacy_id, schema in rows:
            if legacy_id is not None and legacy_id not in self.followed:
                mapper = observation_mapper(self.source.name, cached_schema(schema.encode()))
                self.followed[str(legacy_id)] = (ds_id, mapper)

    async def _follow_connections(self) -> None:
        """After every (re)connection: a catch-up harvest from the stored cursors, then follow new datastreams."""
        assert self.broker is not None
        while True:
            await self.broker.connected.wait()
            try:
                report = await run_harvest(self.source, self.store, transport=self.transport)
                self.catch_ups += 1
                log.info("live front %s: catch-up stored %d observations", self.source.name, report.observations)
            except Exception:
                log.exception("live front %s: catch-up harvest failed", self.source.name)
            known = set(self.followed)
            await self._load_streams()
            for legacy in set(self.followed) - known:
                topic = topic_of(self.version, legacy)
                self.broker.subscriptions.append(topic)  # subscribed again after each reconnection
                self.broker.client.subscribe(topic, qos=1)
            while self.broker.connected.is_set():
                await asyncio.sleep(0.2)

    async def _consume(self) -> None:
        """Store pushed observations, everything queued at once in one transaction."""
        assert self.broker is not None
        queue = self.broker.incoming
        while True:
            items = [await queue.get()]
            while not queue.empty() and len(items) < 5000:
                items.append(queue.get_nowait())
            try:
                await self._store(items)
            except Exception:
                log.exception("live front %s: pushed observations could not be stored", self.source.name)

    async def _store(self, items: list[Incoming]) -> None:
        per_stream: dict[str, list[ObsRow]] = {}
        for item in items:
            found = TOPIC.match(item.topic)
            legacy = (found.group(1) if found.group(1) is not None else found.group(2)) if found else None
            target = self.followed.get(legacy or "")
            if target is None:
                continue
            try:
                obs = parse_observation(orjson.loads(item.payload), datastream_id=legacy)
                per_stream.setdefault(target[0], []).append(target[1](obs))
            except Exception as exc:  # a malformed push is skipped (the catch-up reads the service's truth)
                log.warning("live front %s: observation on %s skipped: %s", self.source.name, item.topic, exc)
        if per_stream:
            batch = MappedBatch(observations=[StreamRows(ds, rows, "", None) for ds, rows in per_stream.items()])
            stats = await self.store.write_batch(self.source.name, LIVE_RUN, batch)
            self.stored += stats.observations
