"""Part 2 half of `SqlStore`: streams, observations, commands, events, history."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import orjson
from sqlalchemy import delete, or_, select
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bridge.errors import InvalidBody, NotFound
from bridge.model.commands import KeyedCommand, KeyedStatus
from bridge.model.csapi import (
    Command,
    CommandResult,
    CommandStatus,
    Datastream,
    Feature,
    Kind,
    Provenance,
    SystemEvent,
)
from bridge.model.observations import ObsRow, StoredObservation
from bridge.model.query import CommandQuery, EventQuery, ObservationQuery, Page, StatusQuery, StreamQuery, TimeFilter
from bridge.store.sql.command_results import ResultRepository
from bridge.store.sql.commands import CommandRepository
from bridge.store.sql.events import EventRepository, HistoryRepository, Revision
from bridge.store.sql.observations import ObservationRepository, ObservationSlice
from bridge.store.sql.outbox import Outbox
from bridge.store.sql.rows import REL_SAMPLE_OF, REL_SAMPLED
from bridge.store.sql.streams import Stream, StreamRepository, _add_refs, row_to_stream
from bridge.store.sql.tables import refs, sampling_features, stream_fois, systems

SMALL_BATCH = 1000
F = TypeVar("F", bound=Callable[..., Awaitable[Any]])
try:  # the PostgreSQL COPY path raises the driver's own errors
    from psycopg import DataError as _CopyDataError
except ImportError:  # pragma: no cover - SQLite-only installations
    _CopyDataError = DataError  # type: ignore[assignment,misc]


def storable_values(method: F) -> F:
    """A value the database cannot hold (a NUL character on PostgreSQL, a string longer than its column)
    is the client's error: 400, not a server error."""

    @functools.wraps(method)
    async def guarded(*args: Any, **kwargs: Any) -> Any:
        try:
            return await method(*args, **kwargs)
        except (DataError, _CopyDataError) as exc:
            reason = getattr(exc, "orig", None) or exc
            raise InvalidBody(
                f"the request holds a value the store cannot keep: {str(reason).splitlines()[0]}"
            ) from None

    return guarded  # type: ignore[return-value]


MAX_CHAIN = 16


async def _sampled_tops(conn: AsyncConnection, sf_ids: set[str]) -> set[str]:
    """Local features sampled (via sampledFeature/sampleOf, transitively) by `sf_ids`, keeping the top of each chain."""
    table = sampling_features
    tops: set[str] = set()
    frontier, seen = set(sf_ids), set(sf_ids)
    for _ in range(MAX_CHAIN):
        if not frontier:
            break
        rels = select(refs.c.owner_id, refs.c.target).where(
            refs.c.owner_kind == Kind.SAMPLING_FEATURE.value,
            refs.c.rel.in_((REL_SAMPLED, REL_SAMPLE_OF)),
            refs.c.owner_id.in_(frontier),
        )
        targets: dict[str, set[str]] = {}
        for owner, target in await conn.execute(rels):
            targets.setdefault(owner, set()).add(target)
        values = set().union(*targets.values()) if targets else set()
        local = await conn.execute(
            select(table.c.id, table.c.uid).where(or_(table.c.id.in_(values), table.c.uid.in_(values)))
        )
        by_value = {v: rid for rid, uid in local for v in (rid, uid)}
        nxt: set[str] = set()
        for owner in frontier:
            parents = {by_value[t] for t in targets.get(owner, set()) if t in by_value}
            if not parents and owner not in sf_ids:
                tops.add(owner)
            nxt |= parents - seen
        seen |= nxt
        frontier = nxt
    return tops


class DynamicStore:
    """Mixin of SqlStore for Part 2 resources (needs `self.engine`)."""

    engine: AsyncEngine
    outbox: Outbox

    def _init_dynamic(self) -> None:
        self.datastreams = StreamRepository(self.engine, Kind.DATASTREAM, self.outbox)
        self.controlstreams = StreamRepository(self.engine, Kind.CONTROL_STREAM, self.outbox)
        self.observations = ObservationRepository(self.engine)
        self.commands = CommandRepository(self.engine, self.outbox)
        self.results = ResultRepository(self.engine)
        self.events = EventRepository(self.engine, self.outbox)
        self.history = HistoryRepository(self.engine)

    def _streams(self, kind: Kind) -> StreamRepository:
        return self.datastreams if kind is Kind.DATASTREAM else self.controlstreams

    async def _require_system(self, system_id: str) -> None:
        async with self.engine.connect() as conn:
            if (await conn.execute(select(systems.c.pk).where(systems.c.id == system_id))).first() is None:
                raise NotFound(f"no systems resource with id '{system_id}'")

    # Streams ------------------------------------------------------------------------------------
    async def list_streams(self, query: StreamQuery) -> Page[Stream]:
        """`GET /datastreams`, `/controlstreams` and nested lists: the repository of `query.kind`, keyset-paged."""
        return await self._streams(query.kind).list(query)

    async def get_stream(self, kind: Kind, sid: str) -> Stream:
        """`GET /datastreams/{id}`, `/controlstreams/{id}`: one stream read from its row; raises NotFound."""
        return await self._streams(kind).get(sid)

    @storable_values
    async def create_stream(self, stream: Stream, result_kind: str | None = None) -> Stream:
        """`POST /systems/{id}/datastreams|controlstreams`."""
        await self._require_system(stream.system_id)
        kind = Kind.DATASTREAM if isinstance(stream, Datastream) else Kind.CONTROL_STREAM
        return await self._streams(kind).create(stream, result_kind)

    @storable_values
    async def replace_stream(self, stream: Stream, result_kind: str | None = None) -> None:
        """PUT/PATCH a stream (409 if its schema changes while it has observations/commands)."""
        kind = Kind.DATASTREAM if isinstance(stream, Datastream) else Kind.CONTROL_STREAM
        await self._streams(kind).replace(stream, result_kind, await self.stream_has_children(kind, stream.id))

    async def stream_has_children(self, kind: Kind, sid: str) -> bool:
        """Whether a datastream has observations, or a control stream has commands (schema changes are refused then)."""
        async with self.engine.connect() as conn:
            if kind is Kind.DATASTREAM:
                return await self.observations.has_any(conn, await self.observations.ds_pk(conn, sid))
            return bool(await self.commands.ids_for_stream(conn, sid))

    async def delete_stream(self, kind: Kind, sid: str, cascade: bool) -> None:
        """DELETE a stream; with observations/commands it is a 409 unless `cascade`."""
        async with self.engine.connect() as conn:
            if kind is Kind.DATASTREAM:
                children = await self.observations.count(conn, await self.observations.ds_pk(conn, sid))
            else:
                children = len(await self.commands.ids_for_stream(conn, sid))
        row = await self._streams(kind).delete(sid, children, cascade)
        async with self.engine.begin() as conn:
            await self._delete_children(conn, kind, row, sid)

    async def stream_features(self, kind: Kind, sid: str, ultimate: bool = False) -> list[str]:
        """Sampling features of a stream; with `ultimate`, the local features at the top of their sampling chains."""
        repo = self._streams(kind)
        async with self.engine.connect() as conn:
            row = await repo.get_row(conn, sid)
            query = select(stream_fois.c.foi).where(
                stream_fois.c.stream_kind == kind.value, stream_fois.c.stream_id == sid
            )
            found = set((await conn.execute(query)).scalars())
            if row["sampling_feature_id"]:
                found.add(row["sampling_feature_id"])
            if ultimate:
                found = await _sampled_tops(conn, found)
        return sorted(found)

    async def _delete_children(self, conn: AsyncConnection, kind: Kind, row: Any, sid: str) -> None:
        if kind is Kind.DATASTREAM:
            await self.observations.delete_for(conn, int(row["pk"]))
        else:
            await self.commands.delete_in(conn, await self.commands.ids_for_stream(conn, sid))

    # Observations ---------------------------------------------------------------------------------
    async def observations_by_key(self, ds_id: str, idempotency_key: str) -> list[str] | int | None:
        """The answer of an earlier keyed observation POST on the datastream (`None`: the key is new)."""
        async with self.engine.connect() as conn:
            return await self.observations.answer_of(conn, await self.observations.ds_pk(conn, ds_id), idempotency_key)

    async def insert_observations(
        self, ds_id: str, rows: Sequence[ObsRow], want_ids: bool, idempotency_key: str | None = None
    ) -> list[str] | int:
        """Batch insert in one transaction; a key used before returns that answer (a concurrent retry with the
        same key loses on the key's unique index and gets the winner's answer too)."""
        try:
            return await self._insert_observations(ds_id, rows, want_ids, idempotency_key)
        except IntegrityError:
            if idempotency_key is None:
                raise
            answer = await self.observations_by_key(ds_id, idempotency_key)
            if answer is None:
                raise
            return answer

    @storable_values
    async def _insert_observations(
        self, ds_id: str, rows: Sequence[ObsRow], want_ids: bool, idempotency_key: str | None
    ) -> list[str] | int:
        """Batch insert in one transaction (all or nothing). Returns the new ids (`want_ids`), else a count."""
        async with self.engine.begin() as conn:
            ds_pk = await self.observations.ds_pk(conn, ds_id)
            if idempotency_key is not None:
                earlier = await self.observations.answer_of(conn, ds_pk, idempotency_key)
                if earlier is not None:
                    return earlier
            ids: list[str] | int
            floor = await self.outbox.observation_floor(conn)
            if want_ids:
                ids = []
                for at in range(0, len(rows), SMALL_BATCH):
                    chunk = rows[at : at + SMALL_BATCH]
                    ids.extend(str(pk) for pk in await self.observations.insert_returning(conn, ds_pk, chunk))
            else:
                ids = await self.observations.insert_rows(conn, ds_pk, rows, dedupe=False)
            if rows:
                await self._after_insert(conn, ds_id, ds_pk, rows)
            if idempotency_key is not None:
                await self.observations.keep_answer(conn, ds_pk, idempotency_key, ids)
            await self.outbox.observations(conn, ds_id, floor)
        return ids

    async def _after_insert(self, conn: AsyncConnection, ds_id: str, ds_pk: int, rows: Sequence[ObsRow]) -> None:
        new_fois = await self.observations.after_insert(conn, ds_pk, ds_id, rows)
        if new_fois:
            stream = await self.datastreams.get_row(conn, ds_id)
            defs = [p["definition"] for p in orjson.loads(stream["properties"]) if p.get("definition")]
            await _add_refs(conn, Kind.SYSTEM.value, stream["system_id"], "foi", new_fois)
            for foi in new_fois:
                await _add_refs(conn, Kind.SAMPLING_FEATURE.value, foi, "observedProperty", defs)

    async def datastream_by_key(self, key: int) -> Datastream:
        """The datastream of an observation row (rows carry the datastream's integer key)."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(self.datastreams.table).where(self.datastreams.table.c.pk == key))).first()
        if row is None:
            raise NotFound(f"no datastream with key {key}")
        stream = row_to_stream(Kind.DATASTREAM, row._mapping)
        assert isinstance(stream, Datastream)
        return stream

    async def open_observations(self, query: ObservationQuery) -> ObservationSlice:
        """`GET …/observations`: one keyset page, its rows fetched in a single query and streamed to the encoder."""
        return await self.observations.open_slice(query)

    async def datastream_key(self, ds_id: str) -> int:
        """The integer key observation rows carry for datastream `ds_id`; raises NotFound."""
        async with self.engine.connect() as conn:
            return await self.observations.ds_pk(conn, ds_id)

    async def tail_observations(
        self, after: int, gaps: Sequence[tuple[int, int]], limit: int
    ) -> list[StoredObservation]:
        """Live tail: committed observations of every datastream keyed above `after` or inside `gaps`, key order."""
        return await self.observations.tail(after, gaps, limit)

    async def recent_observation_keys(self, window: int) -> list[int]:
        """Live tail start: the keys of the newest `window` observations, ascending."""
        return await self.observations.recent_keys(window)

    async def get_observation(self, obs_id: str) -> tuple[StoredObservation, str]:
        """`GET /observations/{id}`: the observation row and its datastream id (404 for an id that is not a key)."""
        return await self.observations.get(obs_id)

    @storable_values
    async def replace_observation(self, obs_id: str, row: ObsRow) -> None:
        """`PUT`/`PATCH /observations/{id}`: rewrite the row, then recompute the datastream's time extents."""
        await self.observations.replace(obs_id, row)

    async def delete_observation(self, obs_id: str) -> None:
        """`DELETE /observations/{id}`: remove the row, then recompute the datastream's time extents."""
        await self.observations.delete(obs_id)

    # Commands -------------------------------------------------------------------------------------
    @storable_values
    async def create_command(
        self, cmd: Command, first: CommandStatus | None, idempotency_key: str | None = None
    ) -> tuple[Command, bool]:
        """`POST …/commands`, `…/feasibility`: command + first report; a reused idempotency key gets the stored one."""
        return await self.commands.create(cmd, first, idempotency_key)

    async def tail_commands(self, after: int, gaps: Sequence[tuple[int, int]], limit: int) -> list[KeyedCommand]:
        """Live tail: committed commands (and feasibility requests) keyed above `after` or inside `gaps`."""
        return await self.commands.tail(after, gaps, limit)

    async def recent_command_keys(self, window: int) -> list[int]:
        """Live tail start: the keys of the newest `window` commands, ascending."""
        return await self.commands.recent_keys(window)

    async def tail_status(self, after: int, gaps: Sequence[tuple[int, int]], limit: int) -> list[KeyedStatus]:
        """Live tail: committed status reports keyed above `after` or inside `gaps`, with their command's stream."""
        return await self.commands.tail_status(after, gaps, limit)

    async def recent_status_keys(self, window: int) -> list[int]:
        """Live tail start: the keys of the newest `window` status reports, ascending."""
        return await self.commands.recent_status_keys(window)

    async def command_by_key(self, cs_id: str, idempotency_key: str) -> Command | None:
        """The command already created on a control stream with this idempotency key (client retries), if any."""
        return await self.commands.by_key(cs_id, idempotency_key)

    async def get_command(self, cmd_id: str, feasibility: bool | None = None) -> Command:
        """`GET /commands/{id}` or `/feasibility/{id}` (restricted by `feasibility` unless None); raises NotFound."""
        return await self.commands.get(cmd_id, feasibility)

    async def list_commands(self, query: CommandQuery) -> Page[Command]:
        """`GET /commands`, `/feasibility` and their per-stream lists: column filters, then system/FOI/property ones."""
        return await self.commands.search(query)

    @storable_values
    async def replace_command(self, cmd: Command) -> None:
        """`PUT`/`PATCH /commands/{id}`: new parameters of an unfinished command (409 once final; status kept)."""
        await self.commands.replace(cmd)

    async def delete_command(self, cmd_id: str) -> None:
        """`DELETE /commands/{id}` (404 first if unknown) with its status reports and results."""
        await self.commands.get(cmd_id)
        await self.commands.delete(cmd_id)

    @storable_values
    async def add_status(self, status: CommandStatus, enforce: bool = True) -> CommandStatus:
        """`POST /commands/{id}/status`: append a report, its transition checked if `enforce`; currentStatus follows."""
        return await self.commands.add_status(status, enforce)

    async def list_status(self, query: StatusQuery) -> Page[CommandStatus]:
        """`GET /commands/{id}/status`: reports of an existing command (else 404), by status code and reportTime."""
        await self.commands.get(query.command_id)
        return await self.commands.list_status(query)

    async def get_status(self, cmd_id: str, status_id: str) -> CommandStatus:
        """`GET /commands/{id}/status/{sid}`: one report of that command; raises NotFound."""
        return await self.commands.get_status(cmd_id, status_id)

    @storable_values
    async def replace_status(self, status: CommandStatus) -> None:
        """`PUT`/`PATCH /commands/{id}/status/{sid}`: reports stay a legal lifecycle (409); currentStatus follows."""
        await self.commands.replace_status(status)

    async def delete_status(self, cmd_id: str, status_id: str) -> None:
        """`DELETE /commands/{id}/status/{sid}` (409 for the only report); currentStatus follows the latest left."""
        await self.commands.delete_status(cmd_id, status_id)

    @storable_values
    async def add_result(self, result: CommandResult) -> CommandResult:
        """`POST /commands/{id}/result`: store a result (inline data or one link) of an existing command."""
        return await self.results.add(result)

    async def list_results(self, cmd_id: str, limit: int, token: str | None) -> Page[CommandResult]:
        """`GET /commands/{id}/result`: the results of an existing command, oldest first."""
        return await self.results.search(cmd_id, limit, token)

    async def get_result(self, cmd_id: str, result_id: str) -> CommandResult:
        """`GET /commands/{id}/result/{rid}`: one result; NotFound unless it belongs to the command."""
        return await self.results.get(cmd_id, result_id)

    @storable_values
    async def replace_result(self, result: CommandResult) -> None:
        """`PUT`/`PATCH /commands/{id}/result/{rid}` (404 unless the result belongs to the command)."""
        await self.results.replace(result)

    async def delete_result(self, cmd_id: str, result_id: str) -> None:
        """`DELETE /commands/{id}/result/{rid}` (404 unless the result belongs to the command)."""
        await self.results.delete(cmd_id, result_id)

    async def unfinished_commands(self, source: str | None = None) -> list[Command]:
        """Commands not yet final whose legacy task is known, optionally of one source (status polling)."""
        return await self.commands.unfinished(source)

    async def set_command_provenance(self, cmd_id: str, prov: Provenance) -> None:
        """Record the legacy task behind a forwarded command (source, type, task id, via)."""
        await self.commands.set_provenance(cmd_id, prov)

    # Events and history -----------------------------------------------------------------------------
    @storable_values
    async def create_event(self, event: SystemEvent) -> SystemEvent:
        """`POST /systems/{id}/events`: store one event of an existing system (404 otherwise)."""
        await self._require_system(event.system_id)
        return await self.events.create(event)

    async def list_events(self, query: EventQuery) -> Page[SystemEvent]:
        """`GET /systemEvents`, `/systems/{id}/events`: filtered by system, id, keywords, eventType and time overlap."""
        return await self.events.list(query)

    async def get_event(self, event_id: str, system_id: str | None = None) -> SystemEvent:
        """`GET /systemEvents/{id}`, or `/systems/{sid}/events/{id}` when `system_id` is given; raises NotFound."""
        return await self.events.get(event_id, system_id)

    @storable_values
    async def replace_event(self, event: SystemEvent) -> None:
        """`PUT`/`PATCH /systemEvents/{id}` (404 for an unknown event)."""
        await self.events.replace(event)

    async def delete_event(self, event_id: str) -> None:
        """`DELETE /systemEvents/{id}` (404 for an unknown event)."""
        await self.events.delete(event_id)

    async def list_history(
        self, system_id: str, flt: TimeFilter | None, limit: int, token: str | None
    ) -> Page[Revision]:
        """`GET /systems/{id}/history`: past descriptions overlapping `flt`, oldest first."""
        return await self.history.list(system_id, flt, limit, token)

    async def get_revision(self, system_id: str, rev_id: str) -> Revision:
        """`GET /systems/{id}/history/{revId}`: one past description with the period it was current; raises NotFound."""
        return await self.history.get(system_id, rev_id)

    async def delete_revision(self, system_id: str, rev_id: str) -> None:
        """`DELETE /systems/{id}/history/{revId}` (404 for an unknown revision)."""
        await self.history.delete(system_id, rev_id)

    # Hooks called by the Part 1 repository (FeatureHooks) ---------------------------------------------
    async def on_replace(self, conn: AsyncConnection, feature: Feature) -> None:
        """Every replacement of a system keeps the previous description as a revision."""
        if feature.kind is Kind.SYSTEM:
            await self.history.snapshot(conn, feature.id)

    async def blockers(self, conn: AsyncConnection, kind: Kind, ids: set[str]) -> list[str]:
        """Part 2 resources that block a non-cascading DELETE of a system (Req 61)."""
        if kind is not Kind.SYSTEM:
            return []
        found = []
        if await self.datastreams.count_for_system(conn, ids):
            found.append("datastreams")
        if await self.controlstreams.count_for_system(conn, ids):
            found.append("control streams")
        return found

    async def on_delete(self, conn: AsyncConnection, kind: Kind, ids: set[str]) -> None:
        """Cascade: the streams (with observations/commands), events and history of deleted systems."""
        if kind is not Kind.SYSTEM:
            return
        for stream_kind in (Kind.DATASTREAM, Kind.CONTROL_STREAM):
            repo = self._streams(stream_kind)
            rows = list(await conn.execute(select(repo.table).where(repo.table.c.system_id.in_(ids))))
            for row in rows:
                await self._delete_children(conn, stream_kind, row._mapping, row.id)
            await conn.execute(delete(repo.table).where(repo.table.c.system_id.in_(ids)))
        await self.events.delete_for_systems(conn, ids)
