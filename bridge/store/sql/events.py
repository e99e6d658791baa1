"""System events and system history (revisions kept on every replacement of a system)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import ColumnElement, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bridge.errors import NotFound
from bridge.model.csapi import Feature, Kind, SystemEvent, TimeExtent
from bridge.model.query import EventQuery, Page, TimeFilter
from bridge.model.time import from_us, to_us, utcnow
from bridge.store.sql import filters
from bridge.store.sql.features import new_id, storable
from bridge.store.sql.outbox import Outbox
from bridge.store.sql.outbox import event as outbox_event
from bridge.store.sql.paging import deleted_or_404, page_by_pk
from bridge.store.sql.rows import row_to_feature, search_text
from bridge.store.sql.streams import _system_ids
from bridge.store.sql.tables import system_events, system_history, systems


def _event_row(event: SystemEvent) -> dict[str, Any]:
    start = event.time.start or utcnow()
    end = event.time.end or start
    return {
        "id": event.id,
        "system_id": event.system_id,
        "label": event.label,
        "definition": event.definition,
        "time_start": to_us(start),
        "time_end": to_us(end),
        "search": search_text(event.label, event.description),
        "doc": orjson.dumps({"description": event.description, **event.extra}).decode(),
    }


def _row_event(row: Mapping[Any, Any]) -> SystemEvent:
    doc = orjson.loads(row["doc"])
    description = doc.pop("description", None)
    return SystemEvent(
        id=row["id"],
        system_id=row["system_id"],
        label=row["label"],
        definition=row["definition"],
        time=TimeExtent(from_us(row["time_start"]), from_us(row["time_end"])),
        description=description,
        extra=doc,
    )


def _overlaps(start_col: Any, end_col: Any, flt: TimeFilter) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if flt.end is not None:
        conds.append(start_col <= flt.end)
    if flt.start is not None:
        conds.append(or_(end_col.is_(None), end_col >= flt.start))
    return conds


@dataclass(slots=True)
class Revision:
    """A past description of a system and the period during which it was current."""

    rev_id: str
    system: Feature


def _revision(row: Mapping[Any, Any]) -> Revision:
    feature = row_to_feature(Kind.SYSTEM, orjson.loads(row["row"]))
    feature.valid_time = TimeExtent(
        from_us(row["valid_start"]), from_us(row["valid_end"]) if row["valid_end"] else None
    )
    return Revision(row["rev_id"], feature)


class EventRepository:
    """System events (`/systemEvents`, `/systems/{id}/events`)."""

    def __init__(self, engine: AsyncEngine, outbox: Outbox | None = None) -> None:
        self.engine = engine
        self.outbox = outbox or Outbox(engine)

    async def create(self, event: SystemEvent) -> SystemEvent:
        """Insert a system event (server-assigned id unless preset; no start time: now, no end time: the start)."""
        event.id = event.id or new_id()
        async with self.engine.begin() as conn:
            await conn.execute(insert(system_events).values(**storable(system_events, _event_row(event))))
            await self.outbox.append(conn, [outbox_event("create", Kind.SYSTEM_EVENT.value, event.id, event.system_id)])
        return event

    async def list(self, q: EventQuery) -> Page[SystemEvent]:
        """One keyset page of events filtered by system, ids, keywords, eventType and time overlap."""
        e = system_events.c
        async with self.engine.connect() as conn:
            conds: list[ColumnElement[bool]] = []
            if q.system_id is not None:
                conds.append(e.system_id == q.system_id)
            if q.system is not None:
                conds.append(e.system_id.in_(await _system_ids(conn, q.system)))
            if q.ids is not None:
                conds.append(e.id.in_(q.ids.values()))
            if q.q:
                conds.append(filters.keyword_condition(system_events, q.q))
            if q.event_type:
                conds.append(e.definition.in_(q.event_type))
            if q.datetime is not None:
                conds += _overlaps(e.time_start, e.time_end, q.datetime)
            page = await page_by_pk(conn, system_events, conds, q.limit, q.token)
        return Page([_row_event(r._mapping) for r in page.rows], page.next_token, page.prev_token, page.matched)

    async def get(self, event_id: str, system_id: str | None = None) -> SystemEvent:
        """The event with this id, of `system_id` when given; raises NotFound."""
        query = select(system_events).where(system_events.c.id == event_id)
        if system_id is not None:
            query = query.where(system_events.c.system_id == system_id)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            raise NotFound(f"no systemEvents resource with id '{event_id}'")
        return _row_event(row._mapping)

    async def replace(self, event: SystemEvent) -> None:
        """Replace a stored event's content (404 for an unknown event)."""
        await self.get(event.id)
        async with self.engine.begin() as conn:
            row = storable(system_events, _event_row(event))
            await conn.execute(update(system_events).where(system_events.c.id == event.id).values(**row))

    async def delete(self, event_id: str) -> None:
        """Delete an event (404 for an unknown event)."""
        await self.get(event_id)
        async with self.engine.begin() as conn:
            statement = delete(system_events).where(system_events.c.id == event_id)
            await deleted_or_404(conn, statement, f"systemEvents resource with id '{event_id}'")

    async def delete_for_systems(self, conn: AsyncConnection, system_ids: set[str]) -> None:
        """Delete the events and history revisions of systems being deleted, in the caller's transaction."""
        await conn.execute(delete(system_events).where(system_events.c.system_id.in_(system_ids)))
        await conn.execute(delete(system_history).where(system_history.c.system_id.in_(system_ids)))


class HistoryRepository:
    """Past descriptions of systems: the row as it was and the period during which it was current."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def snapshot(self, conn: AsyncConnection, system_id: str) -> None:
        """Keep the current description of a system before it is replaced."""
        row = (await conn.execute(select(systems).where(systems.c.id == system_id))).first()
        if row is None:
            return
        last_end = (
            await conn.execute(
                select(system_history.c.valid_end)
                .where(system_history.c.system_id == system_id)
                .order_by(system_history.c.pk.desc())
                .limit(1)
            )
        ).scalar()
        data = {str(k): v for k, v in row._mapping.items()}
        data.pop("pk", None)
        started = last_end if last_end is not None else int(data.get("valid_start") or data["updated"])
        await conn.execute(
            insert(system_history).values(
                rev_id=new_id(),
                system_id=system_id,
                valid_start=started,
                valid_end=to_us(utcnow()),
                row=orjson.dumps(data).decode(),
            )
        )

    async def list(self, system_id: str, flt: TimeFilter | None, limit: int, token: str | None) -> Page[Revision]:
        """Revisions of a system, oldest first."""
        h = system_history.c
        conds: list[ColumnElement[bool]] = [h.system_id == system_id]
        if flt is not None:
            conds += _overlaps(h.valid_start, h.valid_end, flt)
        async with self.engine.connect() as conn:
            page = await page_by_pk(conn, system_history, conds, limit, token)
        items = [_revision(r._mapping) for r in page.rows]
        return Page(items, page.next_token, page.prev_token, page.matched)

    async def get(self, system_id: str, rev_id: str) -> Revision:
        """One revision of a system; raises NotFound."""
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(system_history).where(
                        system_history.c.system_id == system_id, system_history.c.rev_id == rev_id
                    )
                )
            ).first()
        if row is None:
            raise NotFound(f"no revision '{rev_id}' of system '{system_id}'")
        return _revision(row._mapping)

    async def delete(self, system_id: str, rev_id: str) -> None:
        """Delete one revision of a system (404 for an unknown one)."""
        await self.get(system_id, rev_id)
        async with self.engine.begin() as conn:
            statement = delete(system_history).where(
                system_history.c.system_id == system_id, system_history.c.rev_id == rev_id
            )
            await deleted_or_404(conn, statement, f"revision '{rev_id}' of system '{system_id}'")
