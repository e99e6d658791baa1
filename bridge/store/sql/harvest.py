"""The harvest sink: one transaction per batch — upserts, observations (duplicates dropped by legacy key)
and the cursors that cover them — so a run killed at any moment resumes without loss or duplicates."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import and_, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bridge.model.csapi import CommandResult, ControlStream, Datastream, Feature, Kind, SamplingFeature
from bridge.model.harvest import MappedBatch, RunRecord, WriteStats
from bridge.model.observations import ObsRow
from bridge.model.time import to_us, utcnow
from bridge.store.base import Outcome
from bridge.store.sql.command_results import result_doc
from bridge.store.sql.leases import check_fence
from bridge.store.sql.outbox import OutboxEntry, event
from bridge.store.sql.tables import (
    FEATURE_TABLES,
    command_results,
    controlstreams,
    cursors,
    datastreams,
    runs,
    sampling_features,
)
from bridge.store.sql.tables import (
    commands as command_table,
)

if TYPE_CHECKING:
    from bridge.store.sql.store import SqlStore


def _resource_event(resource: Any, outcome: Outcome) -> OutboxEntry:
    """The create/update event of a harvested resource (a stream's parent is its system)."""
    action = "create" if outcome is Outcome.CREATED else "update"
    if isinstance(resource, Feature):
        return event(action, resource.kind.value, resource.id)
    kind = Kind.DATASTREAM if isinstance(resource, Datastream) else Kind.CONTROL_STREAM
    return event(action, kind.value, resource.id, resource.system_id)


class SqlHarvestSink:
    """Harvest writes and run bookkeeping on a SqlStore."""

    def __init__(self, store: SqlStore) -> None:
        self.store = store
        self.engine = store.engine

    async def start_run(self, source: str) -> str:
        """Record a new run; runs of the source still marked running were interrupted (killed)."""
        run_id = uuid.uuid4().hex[:16]
        now = to_us(utcnow())
        async with self.engine.begin() as conn:
            await check_fence(conn)  # only the holder of the source's lease (if any) marks the others interrupted
            await conn.execute(
                update(runs).where(runs.c.source == source, runs.c.status == "running").values(status="interrupted")
            )
            await conn.execute(
                insert(runs).values(id=run_id, source=source, started=now, status="running", report="{}")
            )
        return run_id

    async def finish_run(self, run_id: str, status: str, report: dict[str, Any]) -> None:
        """Close a run record: its end time, final status and report (as JSON)."""
        async with self.engine.begin() as conn:
            await check_fence(conn)
            await conn.execute(
                update(runs)
                .where(runs.c.id == run_id)
                .values(ended=to_us(utcnow()), status=status, report=orjson.dumps(report).decode())
            )

    async def list_runs(self, source: str | None = None, limit: int = 20) -> list[RunRecord]:
        """Recorded runs, newest first, optionally of one source (`csapi-bridge runs`)."""
        query = select(runs).order_by(runs.c.pk.desc()).limit(limit)
        if source is not None:
            query = query.where(runs.c.source == source)
        async with self.engine.connect() as conn:
            rows = list(await conn.execute(query))
        return [RunRecord(r.id, r.source, r.started, r.ended, r.status, orjson.loads(r.report)) for r in rows]

    async def cursors(self, source: str) -> dict[str, int]:
        """The committed cursors of a source's streams."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(cursors.c.stream, cursors.c.value).where(cursors.c.source == source))
            return {r.stream: int(r.value) for r in rows}

    async def write(self, source: str, run_id: str, batch: MappedBatch) -> WriteStats:
        """Store one mapped batch atomically."""
        stats = WriteStats()
        live = self.store.outbox
        async with self.engine.begin() as conn:
            await check_fence(conn)  # a worker that lost the source's lease commits nothing
            floor = await live.observation_floor(conn)
            published: list[OutboxEntry] = []
            for resource in batch.resources:
                entity = batch.entities.get(resource.id, type(resource).__name__)
                done = await self._upsert(conn, run_id, resource, batch)
                stats.outcomes[(entity, done.value)] += 1
                if done in (Outcome.CREATED, Outcome.UPDATED):
                    published.append(_resource_event(resource, done))
            for command, history in batch.commands:
                if command.provenance:
                    command.provenance.run_id = run_id
                    if await self._forwarded_elsewhere(conn, command):
                        stats.outcomes[(batch.entities.get(command.id, "Command"), "unchanged")] += 1
                        continue
                outcome = await self.store.commands.upsert(conn, command, history)
                stats.outcomes[(batch.entities.get(command.id, "Command"), outcome)] += 1
                await self._results(conn, batch.command_results.get(command.id, []))
            for stream in batch.observations:
                inserted = await self._observations(conn, source, stream.datastream_id, stream.rows)
                stats.observations += inserted
                if inserted:
                    published.append(OutboxEntry("observations", stream.datastream_id, floor))
                stats.duplicates += len(stream.rows) - inserted
                if stream.cursor is not None:
                    await self._advance(conn, source, stream.cursor_key, stream.cursor)
            for key, value in batch.learned.items():
                await self._set(conn, source, key, value)
            await live.append(conn, await live.close_ranges(conn, published))
        return stats

    @staticmethod
    async def _results(conn: AsyncConnection, results: list[CommandResult]) -> None:
        """A harvested command's results, by their deterministic ids (the same ids the forwarder gives them)."""
        for result in results:
            doc = result_doc(result)
            table = command_results
            found = (await conn.execute(select(table.c.doc).where(table.c.id == result.id))).first()
            if found is None:
                await conn.execute(insert(table).values(id=result.id, command_id=result.command_id, doc=doc))
            elif found.doc != doc:
                await conn.execute(update(table).where(table.c.id == result.id).values(doc=doc))

    async def _upsert(self, conn: AsyncConnection, run_id: str, resource: Any, batch: MappedBatch) -> Outcome:
        if getattr(resource, "provenance", None) is not None:
            resource.provenance.run_id = run_id
        if isinstance(resource, SamplingFeature) and resource.parent_id is None:
            # the parent system is learnt from observations (see _observations); keep it across re-harvests
            table = sampling_features.c
            stored = await conn.execute(select(table.parent_id).where(table.id == resource.id))
            resource.parent_id = stored.scalar()
        if isinstance(resource, Feature):
            if await self._owned_elsewhere(conn, resource):
                return Outcome.UNCHANGED
            return await self.store.features.upsert(conn, resource)
        if isinstance(resource, Datastream):
            return await self.store.datastreams.upsert(conn, resource, batch.result_kinds.get(resource.id))
        if isinstance(resource, ControlStream):
            return await self.store.controlstreams.upsert(conn, resource)
        raise TypeError(f"cannot store {type(resource).__name__}")

    async def _forwarded_elsewhere(self, conn: AsyncConnection, command: Any) -> bool:
        """A legacy task the bridge itself created (a forwarded command) is not imported a second time."""
        prov = command.provenance
        table = command_table
        other = await conn.execute(
            select(table.c.id).where(
                table.c.source == prov.source,
                table.c.legacy_type == prov.legacy_type,
                table.c.legacy_id == prov.legacy_id,
                table.c.id != command.id,
            )
        )
        return other.first() is not None

    async def _owned_elsewhere(self, conn: AsyncConnection, feature: Feature) -> bool:
        """A resource shared between sources (e.g. a procedure URI listed by an SOS and an SPS) keeps the
        description of the source that created it; the others only link to it."""
        table = FEATURE_TABLES[feature.kind]
        owner = (await conn.execute(select(table.c.source).where(table.c.id == feature.id))).scalar()
        return owner is not None and feature.provenance is not None and owner != feature.provenance.source

    async def _observations(self, conn: AsyncConnection, source: str, ds_id: str, rows: list[ObsRow]) -> int:
        if not rows:
            return 0
        obs = self.store.observations
        ds_pk = await obs.ds_pk(conn, ds_id)
        inserted = await obs.insert_rows(conn, ds_pk, rows, dedupe=True)
        await self.store._after_insert(conn, ds_id, ds_pk, rows)
        fois = {r.foi for r in rows if r.foi}
        if fois:
            system_id = (await conn.execute(select(datastreams.c.system_id).where(datastreams.c.id == ds_id))).scalar()
            await conn.execute(
                update(sampling_features)
                .where(sampling_features.c.id.in_(fois), sampling_features.c.parent_id.is_(None))
                .values(parent_id=system_id)
            )
        return inserted

    async def _advance(self, conn: AsyncConnection, source: str, key: str, value: int) -> None:
        """Move a stream's cursor forward (never back: a lag re-read must not rewind it)."""
        now = to_us(utcnow())
        where = and_(cursors.c.source == source, cursors.c.stream == key)
        current = (await conn.execute(select(cursors.c.value).where(where))).scalar()
        if current is None:
            await conn.execute(insert(cursors).values(source=source, stream=key, value=value, updated=now))
        elif value > current:
            await conn.execute(update(cursors).where(where).values(value=value, updated=now))

    async def _set(self, conn: AsyncConnection, source: str, key: str, value: int) -> None:
        """Store what a harvester learned about its service (may go down as well as up, unlike a cursor)."""
        now = to_us(utcnow())
        where = and_(cursors.c.source == source, cursors.c.stream == key)
        changed = await conn.execute(update(cursors).where(where).values(value=value, updated=now))
        if not changed.rowcount:
            await conn.execute(insert(cursors).values(source=source, stream=key, value=value, updated=now))

    async def reconcile(self, source: str, seen: dict[str, set[str]], policy: str) -> dict[str, int]:
        """Resources of `source` whose legacy entity disappeared: ended (validTime closed now) or deleted."""
        if policy == "keep":
            return {}
        gone: dict[str, int] = {}
        tables = [datastreams, controlstreams, *FEATURE_TABLES.values()]  # streams first: a system delete cascades
        for table in tables:
            async with self.engine.connect() as conn:
                rows = list(
                    await conn.execute(
                        select(table.c.id, table.c.legacy_type, table.c.legacy_id, table.c.valid_end).where(
                            table.c.source == source, table.c.legacy_type.in_(list(seen))
                        )
                    )
                )
            missing = [r for r in rows if r.legacy_id not in seen[r.legacy_type]]
            for row in missing:
                if policy == "end" and row.valid_end is not None:
                    continue
                gone[row.legacy_type] = gone.get(row.legacy_type, 0) + 1
                await self._retire(table, row.id, policy)
        return gone

    async def _retire(self, table: Any, rid: str, policy: str) -> None:
        kind = {v.name: k for k, v in FEATURE_TABLES.items()}.get(table.name)
        if policy == "delete":
            if kind is not None:
                await self.store.delete_feature(Kind(kind), rid, cascade=True)
            else:
                stream_kind = Kind.DATASTREAM if table is datastreams else Kind.CONTROL_STREAM
                await self.store.delete_stream(stream_kind, rid, cascade=True)
            return
        now = to_us(utcnow())
        async with self.engine.begin() as conn:
            await check_fence(conn)
            row = (await conn.execute(select(table.c.valid_start).where(table.c.id == rid))).first()
            start = row.valid_start if row is not None and row.valid_start is not None else now
            await conn.execute(update(table).where(table.c.id == rid).values(valid_start=start, valid_end=now))
