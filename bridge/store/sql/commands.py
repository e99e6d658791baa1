"""Commands, their status reports and results in SQL (and feasibility requests, which are commands too)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import ColumnElement, case, delete, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bridge.errors import Conflict, NotFound
from bridge.model.commands import KeyedCommand, KeyedStatus, check_transition
from bridge.model.csapi import FINAL_STATUSES, Command, CommandStatus, Kind, Link, Provenance, StatusCode
from bridge.model.query import CommandQuery, Page, StatusQuery
from bridge.model.time import from_us, to_us, utcnow
from bridge.store.sql import filters
from bridge.store.sql.features import new_id, storable
from bridge.store.sql.leases import check_fence
from bridge.store.sql.outbox import Outbox, OutboxEntry
from bridge.store.sql.paging import deleted_or_404, page_by_pk
from bridge.store.sql.streams import _period, _system_ids, _us
from bridge.store.sql.tables import command_results, command_status, commands, controlstreams


def command_row(cmd: Command) -> dict[str, Any]:
    """Row values of a command (provenance columns included; issue time defaults to now)."""
    prov = cmd.provenance
    doc: dict[str, Any] = {}
    if cmd.procedure:
        doc["procedure"] = cmd.procedure.to_json()
    return {
        "id": cmd.id,
        "controlstream_id": cmd.controlstream_id,
        "feasibility": cmd.feasibility,
        "issue_time": to_us(cmd.issue_time or utcnow()),
        "execution_start": _us(cmd.execution_time.start) if cmd.execution_time else None,
        "execution_end": _us(cmd.execution_time.end) if cmd.execution_time else None,
        "sender": cmd.sender,
        "current_status": cmd.current_status.value,
        "parameters": orjson.dumps(cmd.parameters).decode(),
        "foi": cmd.sampling_feature_id,
        "doc": orjson.dumps(doc).decode(),
        "updated": to_us(utcnow()),
        "source": prov.source if prov else None,
        "legacy_type": prov.legacy_type if prov else None,
        "legacy_id": prov.legacy_id if prov else None,
        "via": prov.via if prov else None,
        "run_id": prov.run_id if prov else None,
    }


def row_command(row: Mapping[Any, Any]) -> Command:
    """Rebuild a command from its row."""
    doc = orjson.loads(row["doc"])
    prov = None
    if row["source"]:
        prov = Provenance(row["source"], row["legacy_type"] or "", row["legacy_id"] or "", row["via"], row["run_id"])
    return Command(
        id=row["id"],
        controlstream_id=row["controlstream_id"],
        feasibility=bool(row["feasibility"]),
        issue_time=from_us(row["issue_time"]),
        execution_time=_period(row["execution_start"], row["execution_end"]),
        sender=row["sender"],
        current_status=StatusCode(row["current_status"]),
        parameters=orjson.loads(row["parameters"]),
        sampling_feature_id=row["foi"],
        procedure=Link.from_json(doc["procedure"]) if "procedure" in doc else None,
        provenance=prov,
    )


def status_row(status: CommandStatus) -> dict[str, Any]:
    """Row values of a status report (report time defaults to now)."""
    return {
        "id": status.id,
        "command_id": status.command_id,
        "report_time": to_us(status.report_time or utcnow()),
        "status_code": status.status_code.value,
        "percent_completion": status.percent_completion,
        "execution_start": _us(status.execution_time.start) if status.execution_time else None,
        "execution_end": _us(status.execution_time.end) if status.execution_time else None,
        "message": status.message,
        "results": orjson.dumps(status.results).decode() if status.results else None,
    }


def row_status(row: Mapping[Any, Any]) -> CommandStatus:
    """Rebuild a status report from its row."""
    return CommandStatus(
        id=row["id"],
        command_id=row["command_id"],
        report_time=from_us(row["report_time"]),
        status_code=StatusCode(row["status_code"]),
        percent_completion=row["percent_completion"],
        execution_time=_period(row["execution_start"], row["execution_end"]),
        message=row["message"],
        results=orjson.loads(row["results"]) if row["results"] else [],
    )


class CommandRepository:
    """Commands with an enforced status lifecycle and exactly-once creation by idempotency key."""

    def __init__(self, engine: AsyncEngine, outbox: Outbox | None = None) -> None:
        self.engine = engine
        self.outbox = outbox or Outbox(engine)

    async def tail(self, after: int, gaps: Sequence[tuple[int, int]], limit: int) -> list[KeyedCommand]:
        """Commands and feasibility requests keyed above `after` or inside `gaps`, in key order."""
        c = commands.c
        cond = or_(c.pk > after, *(c.pk.between(lo, hi) for lo, hi in gaps))
        query = select(commands).where(cond).order_by(c.pk).limit(limit)
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [KeyedCommand(int(row["pk"]), row_command(row)) for row in rows]

    async def recent_keys(self, window: int) -> list[int]:
        """The keys of the newest `window` commands, ascending."""
        async with self.engine.connect() as conn:
            keys = (await conn.execute(select(commands.c.pk).order_by(commands.c.pk.desc()).limit(window))).scalars()
            return sorted(int(k) for k in keys)

    async def tail_status(self, after: int, gaps: Sequence[tuple[int, int]], limit: int) -> list[KeyedStatus]:
        """Status reports keyed above `after` or inside `gaps`, in key order, with their command's stream."""
        s, c = command_status.c, commands.c
        cond = or_(s.pk > after, *(s.pk.between(lo, hi) for lo, hi in gaps))
        query = (
            select(command_status, c.controlstream_id, c.feasibility)
            .join(commands, c.id == s.command_id, isouter=True)
            .where(cond)
            .order_by(s.pk)
            .limit(limit)
        )
        async with self.engine.connect() as conn:
            rows = (await conn.execute(query)).mappings().all()
        return [
            KeyedStatus(int(r["pk"]), r["controlstream_id"] or "", bool(r["feasibility"]), row_status(r)) for r in rows
        ]

    async def recent_status_keys(self, window: int) -> list[int]:
        """The keys of the newest `window` status reports, ascending."""
        pk = command_status.c.pk
        async with self.engine.connect() as conn:
            keys = (await conn.execute(select(pk).order_by(pk.desc()).limit(window))).scalars()
            return sorted(int(k) for k in keys)

    async def create(
        self, cmd: Command, first: CommandStatus | None, idempotency_key: str | None = None
    ) -> tuple[Command, bool]:
        """Store a new command (+ its first status report); returns (command, created).

        With an idempotency key already used on the same control stream, the stored command is returned
        and nothing is written (a client retry never creates a second command).
        """
        try:
            return await self._create(cmd, first, idempotency_key)
        except IntegrityError:  # a concurrent retry with the same key committed first: answer with its command
            existing = await self.by_key(cmd.controlstream_id, idempotency_key) if idempotency_key else None
            if existing is None:
                raise
            return existing, False

    @staticmethod
    async def _by_key(conn: AsyncConnection, cs_id: str, key: str) -> Command | None:
        same = commands.c.controlstream_id == cs_id
        found = (await conn.execute(select(commands).where(same, commands.c.idempotency_key == key))).first()
        return row_command(found._mapping) if found is not None else None

    async def by_key(self, cs_id: str, idempotency_key: str) -> Command | None:
        """The command created on a control stream with an idempotency key, if any."""
        async with self.engine.connect() as conn:
            return await self._by_key(conn, cs_id, idempotency_key)

    async def _create(
        self, cmd: Command, first: CommandStatus | None, idempotency_key: str | None
    ) -> tuple[Command, bool]:
        async with self.engine.begin() as conn:
            if idempotency_key and (existing := await self._by_key(conn, cmd.controlstream_id, idempotency_key)):
                return existing, False
            if not cmd.id:
                cmd.id = new_id()
            cmd.issue_time = cmd.issue_time or utcnow()
            row = storable(commands, {**command_row(cmd), "idempotency_key": idempotency_key})
            await conn.execute(insert(commands).values(**row))
            await self._widen(conn, cmd)
            published = [OutboxEntry("command", cmd.id)]
            if first is not None:
                first.command_id = cmd.id
                first.id = first.id or new_id()
                await conn.execute(insert(command_status).values(**storable(command_status, status_row(first))))
                published.append(OutboxEntry("status", first.id))
            await self.outbox.append(conn, published)
        return cmd, True

    async def upsert(self, conn: AsyncConnection, cmd: Command, history: list[CommandStatus]) -> str:
        """Harvested command with its full status history, keyed by id (replayed as given)."""
        current = (await conn.execute(select(commands).where(commands.c.id == cmd.id))).first()
        row = command_row(cmd)
        outcome = "created"
        if current is None:
            await conn.execute(insert(commands).values(**row))
        elif all(current._mapping[k] == v for k, v in row.items() if k not in ("updated", "run_id")):
            outcome = "unchanged"
        else:
            await conn.execute(update(commands).where(commands.c.id == cmd.id).values(**row))
            outcome = "updated"
        known = set(
            (await conn.execute(select(command_status.c.id).where(command_status.c.command_id == cmd.id))).scalars()
        )
        new = [status_row(s) for s in history if s.id not in known]
        if new:
            await conn.execute(insert(command_status), new)
            outcome = "updated" if outcome == "unchanged" else outcome
        await self._widen(conn, cmd)
        if outcome == "created":  # a harvested command and its reports are published like a submitted one
            await self.outbox.append(conn, [OutboxEntry("command", cmd.id)])
        await self.outbox.append(conn, [OutboxEntry("status", str(s["id"])) for s in new])
        return outcome

    async def _widen(self, conn: AsyncConnection, cmd: Command) -> None:
        """Keep the control stream's issueTime/executionTime extents (server-generated) current."""
        t = controlstreams.c
        issue = to_us(cmd.issue_time or utcnow())
        values: dict[str, Any] = {
            "issue_start": case((or_(t.issue_start.is_(None), t.issue_start > issue), issue), else_=t.issue_start),
            "issue_end": case((or_(t.issue_end.is_(None), t.issue_end < issue), issue), else_=t.issue_end),
        }
        if cmd.execution_time and cmd.execution_time.start:
            lo = to_us(cmd.execution_time.start)
            hi = to_us(cmd.execution_time.end) if cmd.execution_time.end else lo
            values["execution_start"] = case(
                (or_(t.execution_start.is_(None), t.execution_start > lo), lo), else_=t.execution_start
            )
            values["execution_end"] = case(
                (or_(t.execution_end.is_(None), t.execution_end < hi), hi), else_=t.execution_end
            )
        await conn.execute(update(controlstreams).where(t.id == cmd.controlstream_id).values(**values))

    async def get(self, cmd_id: str, feasibility: bool | None = None) -> Command:
        """The command with this id, restricted to feasibility requests or to commands unless `feasibility` is None."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(commands).where(commands.c.id == cmd_id))).first()
        if row is None or (feasibility is not None and bool(row.feasibility) != feasibility):
            what = "feasibility" if feasibility else "commands"
            raise NotFound(f"no {what} resource with id '{cmd_id}'")
        return row_command(row._mapping)

    async def _conditions(self, conn: AsyncConnection, q: CommandQuery) -> list[ColumnElement[bool]]:
        """The filters of a command listing: the commands' own columns, then associations."""
        c = commands.c
        conds = _column_conditions(q)
        if q.system is not None:
            streams = select(controlstreams.c.id).where(
                controlstreams.c.system_id.in_(await _system_ids(conn, q.system))
            )
            conds.append(c.controlstream_id.in_(streams))
        if q.foi is not None:
            conds.append(c.foi.in_(await filters.sampling_features_for_foi(conn, q.foi)))
        if q.controlled_property is not None:
            targets = await filters.derived_properties(conn, q.controlled_property)
            owners = await filters.owners(conn, Kind.CONTROL_STREAM, "property", targets)
            conds.append(c.controlstream_id.in_(owners))
        return conds

    async def search(self, q: CommandQuery) -> Page[Command]:
        """One keyset page of the commands (or feasibility requests) matching `q`."""
        async with self.engine.connect() as conn:
            page = await page_by_pk(conn, commands, await self._conditions(conn, q), q.limit, q.token)
        return Page([row_command(r._mapping) for r in page.rows], page.next_token, page.prev_token, page.matched)

    async def add_status(self, status: CommandStatus, enforce: bool = True) -> CommandStatus:
        """Append a status report: the transition is checked and `currentStatus` follows the latest report."""
        async with self.engine.begin() as conn:
            await check_fence(conn)  # a forwarder's report under a command lease that was taken over is refused
            row = (await conn.execute(select(commands).where(commands.c.id == status.command_id))).first()
            if row is None:
                raise NotFound(f"no commands resource with id '{status.command_id}'")
            if enforce:
                check_transition(StatusCode(row.current_status), status.status_code)
            status.id = status.id or new_id()
            status.report_time = status.report_time or utcnow()
            await conn.execute(insert(command_status).values(**storable(command_status, status_row(status))))
            values: dict[str, Any] = {"current_status": status.status_code.value, "updated": to_us(utcnow())}
            if status.execution_time and status.execution_time.start:
                values["execution_start"] = to_us(status.execution_time.start)
                values["execution_end"] = _us(status.execution_time.end)
            await conn.execute(update(commands).where(commands.c.id == status.command_id).values(**values))
            cmd = row_command({**row._mapping, **values})
            await self._widen(conn, cmd)
            await self.outbox.append(conn, [OutboxEntry("status", status.id)])
        return status

    async def _reports(self, conn: AsyncConnection, cmd_id: str) -> list[Any]:
        """The command's status reports, oldest first (the latest one gives currentStatus)."""
        s = command_status.c
        rows = await conn.execute(select(command_status).where(s.command_id == cmd_id).order_by(s.pk))
        return list(rows)

    async def _follow_latest(self, conn: AsyncConnection, cmd_id: str) -> None:
        """Keep `currentStatus` (and the execution time) equal to what the latest reports say."""
        reports = await self._reports(conn, cmd_id)
        values: dict[str, Any] = {"current_status": reports[-1].status_code, "updated": to_us(utcnow())}
        timed = [r for r in reports if r.execution_start is not None]
        if timed:
            values.update(execution_start=timed[-1].execution_start, execution_end=timed[-1].execution_end)
        await conn.execute(update(commands).where(commands.c.id == cmd_id).values(**values))

    @staticmethod
    def _check_around(codes: list[str], index: int) -> None:
        """The reports next to position `index` must follow each other (earlier history is not re-judged)."""
        for before, after in ((index - 1, index), (index, index + 1)):
            if before >= 0 and after < len(codes):
                check_transition(StatusCode(codes[before]), StatusCode(codes[after]))

    async def replace_status(self, status: CommandStatus) -> None:
        """Replace one report; the sequence of reports must remain a legal lifecycle (else 409)."""
        async with self.engine.begin() as conn:
            reports = await self._reports(conn, status.command_id)
            index = next((i for i, r in enumerate(reports) if r.id == status.id), None)
            if index is None:
                raise NotFound(f"no status report '{status.id}' for command '{status.command_id}'")
            codes = [r.status_code for r in reports]
            codes[index] = status.status_code.value
            self._check_around(codes, index)
            status.report_time = status.report_time or from_us(reports[index].report_time)
            row = storable(command_status, status_row(status))
            await conn.execute(update(command_status).where(command_status.c.id == status.id).values(**row))
            await self._follow_latest(conn, status.command_id)

    async def delete_status(self, cmd_id: str, status_id: str) -> None:
        """Delete one report (not the only one); currentStatus then follows the latest remaining report."""
        async with self.engine.begin() as conn:
            reports = await self._reports(conn, cmd_id)
            index = next((i for i, r in enumerate(reports) if r.id == status_id), None)
            if index is None:
                raise NotFound(f"no status report '{status_id}' for command '{cmd_id}'")
            if len(reports) == 1:
                raise Conflict(f"'{status_id}' is the only status report of command '{cmd_id}'; it cannot be deleted")
            if 0 < index < len(reports) - 1:  # the neighbours become consecutive
                check_transition(StatusCode(reports[index - 1].status_code), StatusCode(reports[index + 1].status_code))
            statement = delete(command_status).where(command_status.c.id == status_id)
            await deleted_or_404(conn, statement, f"status report '{status_id}' for command '{cmd_id}'")
            await self._follow_latest(conn, cmd_id)

    async def list_status(self, q: StatusQuery) -> Page[CommandStatus]:
        """One keyset page of a command's status reports, filtered by status code and reportTime range."""
        s = command_status.c
        conds: list[ColumnElement[bool]] = [s.command_id == q.command_id]
        if q.status:
            conds.append(s.status_code.in_(q.status))
        if q.report_time is not None:
            if q.report_time.start is not None:
                conds.append(s.report_time >= q.report_time.start)
            if q.report_time.end is not None:
                conds.append(s.report_time <= q.report_time.end)
        async with self.engine.connect() as conn:
            page = await page_by_pk(conn, command_status, conds, q.limit, q.token)
        return Page([row_status(r._mapping) for r in page.rows], page.next_token, page.prev_token, page.matched)

    async def status_by_id(self, status_id: str) -> CommandStatus | None:
        """A status report by its id alone (the live publisher's lookup), None once deleted."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(command_status).where(command_status.c.id == status_id))).first()
        return row_status(row._mapping) if row is not None else None

    async def get_status(self, cmd_id: str, status_id: str) -> CommandStatus:
        """One status report of a command; raises NotFound."""
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(command_status).where(
                        command_status.c.command_id == cmd_id, command_status.c.id == status_id
                    )
                )
            ).first()
        if row is None:
            raise NotFound(f"no status report '{status_id}' for command '{cmd_id}'")
        return row_status(row._mapping)

    async def replace(self, cmd: Command) -> None:
        """New content for an unfinished command (409 once final); issue time, status and stream are kept."""
        async with self.engine.begin() as conn:
            current = (await conn.execute(select(commands).where(commands.c.id == cmd.id))).first()
            if current is None:
                raise NotFound(f"no commands resource with id '{cmd.id}'")
            if StatusCode(current.current_status) in FINAL_STATUSES:
                raise Conflict(f"command {cmd.id} is {current.current_status}; it can no longer be changed")
            row = storable(commands, command_row(cmd))
            for keep in ("issue_time", "current_status", "controlstream_id", "feasibility"):
                row[keep] = current._mapping[keep]
            await conn.execute(update(commands).where(commands.c.id == cmd.id).values(**row))

    async def delete(self, cmd_id: str) -> None:
        """Delete a command with its status reports and results, in one transaction."""
        async with self.engine.begin() as conn:
            await self.delete_in(conn, [cmd_id], must_exist=True)

    async def delete_in(self, conn: AsyncConnection, ids: Sequence[str], must_exist: bool = False) -> None:
        """Delete commands with their status reports and results inside the caller's transaction
        (`must_exist`: 404 unless every command was still there, e.g. a concurrent DELETE removed it first)."""
        await conn.execute(delete(command_status).where(command_status.c.command_id.in_(ids)))
        await conn.execute(delete(command_results).where(command_results.c.command_id.in_(ids)))
        removed = (await conn.execute(delete(commands).where(commands.c.id.in_(ids)))).rowcount
        if must_exist and removed < len(set(ids)):
            raise NotFound(f"no commands resource with id '{', '.join(ids)}'")

    async def ids_for_stream(self, conn: AsyncConnection, cs_id: str) -> list[str]:
        """Ids of the commands posted to a control stream."""
        return list((await conn.execute(select(commands.c.id).where(commands.c.controlstream_id == cs_id))).scalars())

    async def unfinished(self, source: str | None = None) -> list[Command]:
        """Commands not in a final state whose legacy counterpart is known (for status polling)."""
        finals = [s.value for s in FINAL_STATUSES]
        query = select(commands).where(commands.c.current_status.not_in(finals), commands.c.legacy_id.is_not(None))
        if source is not None:
            query = query.where(commands.c.source == source)
        async with self.engine.connect() as conn:
            return [row_command(r._mapping) for r in await conn.execute(query.order_by(commands.c.pk))]

    async def set_provenance(self, cmd_id: str, prov: Provenance) -> None:
        """Record the legacy task behind a forwarded command."""
        async with self.engine.begin() as conn:
            await check_fence(conn)
            await conn.execute(
                update(commands)
                .where(commands.c.id == cmd_id)
                .values(source=prov.source, legacy_type=prov.legacy_type, legacy_id=prov.legacy_id, via=prov.via)
            )


def _column_conditions(q: CommandQuery) -> list[ColumnElement[bool]]:
    """Filters on the command table's own columns (kind, stream, ids, times, status, sender)."""
    c = commands.c
    conds: list[ColumnElement[bool]] = [c.feasibility == q.feasibility]
    if q.controlstream_id is not None:
        conds.append(c.controlstream_id == q.controlstream_id)
    if q.controlstreams is not None:
        conds.append(c.controlstream_id.in_(q.controlstreams.values()))
    if q.ids is not None:
        conds.append(c.id.in_(q.ids.values()))
    if q.issue_time is not None:
        if q.issue_time.start is not None:
            conds.append(c.issue_time >= q.issue_time.start)
        if q.issue_time.end is not None:
            conds.append(c.issue_time <= q.issue_time.end)
    if q.execution_time is not None:
        conds.append(c.execution_start.is_not(None))
        if q.execution_time.end is not None:
            conds.append(c.execution_start <= q.execution_time.end)
        if q.execution_time.start is not None:
            conds.append(func.coalesce(c.execution_end, c.execution_start) >= q.execution_time.start)
    if q.status:
        conds.append(c.current_status.in_(q.status))
    if q.sender:
        conds.append(c.sender.in_(q.sender))
    return conds
