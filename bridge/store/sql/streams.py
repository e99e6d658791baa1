"""Datastreams and control streams in SQL: listing with Part 2 filters, CRUD, idempotent upserts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Table, and_, delete, func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bridge.errors import Conflict, NotFound
from bridge.model.csapi import ControlStream, Datastream, Kind, Link, Provenance, TimeExtent
from bridge.model.query import Page, StreamQuery, TimeFilter
from bridge.model.time import from_us, to_us, utcnow
from bridge.store.base import Outcome
from bridge.store.sql import filters
from bridge.store.sql.features import new_id, storable
from bridge.store.sql.outbox import Outbox, event
from bridge.store.sql.paging import deleted_or_404, page_by_pk
from bridge.store.sql.rows import search_text
from bridge.store.sql.tables import FEATURE_TABLES, controlstreams, datastreams, refs, stream_fois, systems

Stream = Datastream | ControlStream
_LINK_FIELDS = ("feature_of_interest", "procedure", "deployment")


def _period(start: int | None, end: int | None) -> TimeExtent | None:
    return TimeExtent(from_us(start), from_us(end) if end is not None else None) if start is not None else None


def _us(value: Any) -> int | None:
    return to_us(value) if value is not None else None


def stream_to_row(stream: Stream, result_kind: str | None = None) -> dict[str, Any]:
    """Row values of a stream (server-generated time extents are not written here)."""
    valid = stream.valid_time
    doc: dict[str, Any] = {"links": [link.to_json() for link in stream.links]}
    for name in _LINK_FIELDS:
        value = getattr(stream, name)
        if value is not None:
            doc[name] = value.to_json()
    props = stream.observed_properties if isinstance(stream, Datastream) else stream.controlled_properties
    prov = stream.provenance
    row: dict[str, Any] = {
        "id": stream.id,
        "system_id": stream.system_id,
        "name": stream.name,
        "description": stream.description,
        "valid_start": _us(valid.start) if valid else None,
        "valid_end": _us(valid.end) if valid else None,
        "stream_type": stream.stream_type,
        "live": stream.live,
        "schema": orjson.dumps(stream.schema).decode(),
        "properties": orjson.dumps(props).decode(),
        "sampling_feature_id": stream.sampling_feature_id,
        "search": search_text(stream.name, stream.description),
        "doc": orjson.dumps(doc).decode(),
        "updated": to_us(utcnow()),
        "source": prov.source if prov else None,
        "legacy_type": prov.legacy_type if prov else None,
        "legacy_id": prov.legacy_id if prov else None,
        "via": prov.via if prov else None,
        "run_id": prov.run_id if prov else None,
    }
    if isinstance(stream, Datastream):
        row.update(output_name=stream.output_name, result_kind=result_kind or "json")
    else:
        row.update(input_name=stream.input_name, is_async=stream.is_async)
    return row


def row_to_stream(kind: Kind, row: Mapping[Any, Any]) -> Stream:
    """Rebuild a stream (with its server-generated extents) from its row."""
    doc = orjson.loads(row["doc"])
    common: dict[str, Any] = {
        "id": row["id"],
        "system_id": row["system_id"],
        "name": row["name"],
        "description": row["description"],
        "valid_time": _period(row["valid_start"], row["valid_end"]),
        "stream_type": row["stream_type"],
        "live": bool(row["live"]),
        "schema": orjson.loads(row["schema"]),
        "sampling_feature_id": row["sampling_feature_id"],
        "links": [Link.from_json(v) for v in doc.get("links", [])],
        **{name: Link.from_json(doc[name]) for name in _LINK_FIELDS if name in doc},
    }
    if row["source"]:
        common["provenance"] = Provenance(
            row["source"], row["legacy_type"] or "", row["legacy_id"] or "", row["via"], row["run_id"]
        )
    props = orjson.loads(row["properties"])
    if kind is Kind.DATASTREAM:
        return Datastream(
            **common,
            output_name=row["output_name"],
            observed_properties=props,
            phenomenon_time=_period(row["phenomenon_start"], row["phenomenon_end"]),
            result_time=_period(row["result_start"], row["result_end"]),
        )
    return ControlStream(
        **common,
        input_name=row["input_name"],
        is_async=bool(row["is_async"]),
        controlled_properties=props,
        issue_time=_period(row["issue_start"], row["issue_end"]),
        execution_time=_period(row["execution_start"], row["execution_end"]),
    )


def _extent(table: Table, start: str, end: str, flt: TimeFilter) -> ColumnElement[bool]:
    conds: list[ColumnElement[bool]] = [table.c[start].is_not(None)]
    if flt.end is not None:
        conds.append(table.c[start] <= flt.end)
    if flt.start is not None:
        conds.append(table.c[end] >= flt.start)
    return and_(*conds)


class StreamRepository:
    """Queries and writes for `datastreams` or `controlstreams`."""

    def __init__(self, engine: AsyncEngine, kind: Kind, outbox: Outbox | None = None) -> None:
        self.engine = engine
        self.kind = kind
        self.outbox = outbox or Outbox(engine)
        self.table = datastreams if kind is Kind.DATASTREAM else controlstreams

    def _column_conditions(self, q: StreamQuery) -> list[ColumnElement[bool]]:
        """Filters on the stream table's own columns: ids, keywords, validity and time extents, source."""
        t = self.table
        conds: list[ColumnElement[bool]] = []
        if q.ids is not None:
            conds.append(t.c.id.in_(q.ids.values()))
        if q.q:
            conds.append(filters.keyword_condition(t, q.q))
        if q.datetime is not None:
            conds.append(filters.time_condition(t, q.datetime))
        for flt, start, end in (
            (q.phenomenon_time, "phenomenon_start", "phenomenon_end"),
            (q.result_time, "result_start", "result_end"),
            (q.issue_time, "issue_start", "issue_end"),
            (q.execution_time, "execution_start", "execution_end"),
        ):
            if flt is not None:
                conds.append(_extent(t, start, end, flt))
        if q.source is not None:
            conds.append(t.c.source == q.source)
        return conds

    async def _conditions(self, conn: AsyncConnection, q: StreamQuery) -> list[ColumnElement[bool]]:
        """Every filter of a stream listing: the table's own columns, then associations."""
        t = self.table
        conds = self._column_conditions(q)
        if q.system is not None:
            conds.append(t.c.system_id.in_(await _system_ids(conn, q.system)))
        if q.of_system is not None:
            conds.append(t.c.system_id.in_(await filters.descendants(conn, Kind.SYSTEM, {q.of_system}, True)))
        if q.of_deployment is not None:
            conds.append(t.c.system_id.in_(await _deployed_systems(conn, q.of_deployment)))
            period = await _deployment_period(conn, q.of_deployment)
            if period is not None:  # streams valid during the deployment (none given: always valid)
                conds.append(filters.time_condition(t, period))
        if q.properties is not None:
            targets = await filters.derived_properties(conn, q.properties)
            conds.append(t.c.id.in_(await filters.owners(conn, self.kind, "property", targets)))
        if q.foi is not None:
            sf_ids = await filters.sampling_features_for_foi(conn, q.foi)
            on_obs = select(stream_fois.c.stream_id).where(
                stream_fois.c.stream_kind == self.kind.value, stream_fois.c.foi.in_(sf_ids)
            )
            conds.append(or_(t.c.sampling_feature_id.in_(sf_ids), t.c.id.in_(on_obs)))
        return conds

    async def list(self, q: StreamQuery) -> Page[Stream]:
        """One keyset page of the streams matching `q` (column filters, then system/deployment/property/FOI ones)."""
        async with self.engine.connect() as conn:
            conds = await self._conditions(conn, q)
            page = await page_by_pk(conn, self.table, conds, q.limit, q.token)
        items = [row_to_stream(self.kind, r._mapping) for r in page.rows]
        return Page(items, page.next_token, page.prev_token, page.matched)

    async def get(self, sid: str) -> Stream:
        """The stream with local id `sid`, rebuilt from its row; raises NotFound."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(self.table).where(self.table.c.id == sid))).first()
        if row is None:
            raise NotFound(f"no {self.kind.value} resource with id '{sid}'")
        return row_to_stream(self.kind, row._mapping)

    async def get_row(self, conn: AsyncConnection, sid: str) -> Mapping[Any, Any]:
        """The raw table row of a stream inside the caller's connection; raises NotFound."""
        row = (await conn.execute(select(self.table).where(self.table.c.id == sid))).first()
        if row is None:
            raise NotFound(f"no {self.kind.value} resource with id '{sid}'")
        return row._mapping

    async def create(self, stream: Stream, result_kind: str | None = None) -> Stream:
        """Insert a new stream (server-assigned id unless preset) and index its properties."""
        if not stream.id:
            stream.id = new_id()
        async with self.engine.begin() as conn:
            await conn.execute(insert(self.table).values(**storable(self.table, stream_to_row(stream, result_kind))))
            await self.write_refs(conn, stream)
            await self.outbox.append(conn, [event("create", self.kind.value, stream.id, stream.system_id)])
        return stream

    async def upsert(self, conn: AsyncConnection, stream: Stream, result_kind: str | None = None) -> Outcome:
        """Insert or update by id inside the caller's transaction (harvesting)."""
        row = stream_to_row(stream, result_kind)
        current = (await conn.execute(select(self.table).where(self.table.c.id == stream.id))).first()
        if current is None:
            await conn.execute(insert(self.table).values(**row))
            await self.write_refs(conn, stream)
            return Outcome.CREATED
        if all(current._mapping[k] == v for k, v in row.items() if k not in ("updated", "run_id")):
            return Outcome.UNCHANGED
        await conn.execute(update(self.table).where(self.table.c.id == stream.id).values(**row))
        await self.write_refs(conn, stream)
        return Outcome.UPDATED

    async def replace(self, stream: Stream, result_kind: str | None, has_children: bool) -> None:
        """PUT/PATCH; a schema change on a stream that already has observations/commands is a 409."""
        async with self.engine.begin() as conn:
            current = await self.get_row(conn, stream.id)
            if has_children and orjson.loads(current["schema"]) != stream.schema:
                raise Conflict(f"{self.kind.value}/{stream.id} already has data; its schema cannot change")
            await conn.execute(
                update(self.table)
                .where(self.table.c.id == stream.id)
                .values(**storable(self.table, stream_to_row(stream, result_kind)))
            )
            await self.write_refs(conn, stream)
            await self.outbox.append(conn, [event("update", self.kind.value, stream.id, stream.system_id)])

    async def write_refs(self, conn: AsyncConnection, stream: Stream) -> None:
        """Index the stream's properties (for `observedProperty`/`controlledProperty` filters) on it and its system."""
        kind = self.kind.value
        await conn.execute(delete(refs).where(refs.c.owner_kind == kind, refs.c.owner_id == stream.id))
        props = stream.observed_properties if isinstance(stream, Datastream) else stream.controlled_properties
        defs = sorted({p["definition"] for p in props if isinstance(p, dict) and p.get("definition")})
        rows = [{"owner_kind": kind, "owner_id": stream.id, "rel": "property", "target": d} for d in defs]
        rel = "observedProperty" if isinstance(stream, Datastream) else "controlledProperty"
        await _add_refs(conn, Kind.SYSTEM.value, stream.system_id, rel, defs)
        if stream.sampling_feature_id:
            await _add_refs(conn, Kind.SYSTEM.value, stream.system_id, "foi", [stream.sampling_feature_id])
            await _add_refs(conn, Kind.SAMPLING_FEATURE.value, stream.sampling_feature_id, rel, defs)
        if rows:
            await conn.execute(insert(refs), rows)

    async def delete(self, sid: str, child_count: int, cascade: bool) -> Mapping[Any, Any]:
        """Delete the stream row (children are deleted by the caller inside the same transaction)."""
        async with self.engine.begin() as conn:
            row = await self.get_row(conn, sid)
            if child_count and not cascade:
                what = "observations" if self.kind is Kind.DATASTREAM else "commands"
                raise Conflict(f"{self.kind.value}/{sid} has {child_count} {what}; use cascade=true")
            statement = delete(self.table).where(self.table.c.id == sid)
            await deleted_or_404(conn, statement, f"{self.kind.value} resource with id '{sid}'")
            await conn.execute(delete(refs).where(refs.c.owner_kind == self.kind.value, refs.c.owner_id == sid))
            await conn.execute(
                delete(stream_fois).where(stream_fois.c.stream_kind == self.kind.value, stream_fois.c.stream_id == sid)
            )
            await self.outbox.append(conn, [event("delete", self.kind.value, sid, row["system_id"])])
            return row

    async def count_for_system(self, conn: AsyncConnection, system_ids: set[str]) -> int:
        """Number of streams of this kind belonging to any of the given systems (blocks a system DELETE)."""
        t = self.table
        return int(
            (await conn.execute(select(func.count()).select_from(t).where(t.c.system_id.in_(system_ids)))).scalar_one()
        )


async def _add_refs(conn: AsyncConnection, owner_kind: str, owner_id: str, rel: str, targets: list[str]) -> None:
    if not targets:
        return
    existing = set(
        (
            await conn.execute(
                select(refs.c.target).where(
                    refs.c.owner_kind == owner_kind,
                    refs.c.owner_id == owner_id,
                    refs.c.rel == rel,
                    refs.c.target.in_(targets),
                )
            )
        ).scalars()
    )
    new = [
        {"owner_kind": owner_kind, "owner_id": owner_id, "rel": rel, "target": t} for t in targets if t not in existing
    ]
    if new:
        await conn.execute(insert(refs), new)


async def _system_ids(conn: AsyncConnection, ids: Any) -> set[str]:
    return set((await conn.execute(select(systems.c.id).where(filters.id_condition(systems, ids)))).scalars())


async def _deployment_period(conn: AsyncConnection, deployment_id: str) -> TimeFilter | None:
    """The validTime of a deployment as a filter (an open end runs to now), None when it has none."""
    table = FEATURE_TABLES[Kind.DEPLOYMENT]
    row = (
        await conn.execute(select(table.c.valid_start, table.c.valid_end).where(table.c.id == deployment_id))
    ).first()
    if row is None or row.valid_start is None:
        return None
    return TimeFilter(row.valid_start, row.valid_end if row.valid_end is not None else to_us(utcnow()))


async def _deployed_systems(conn: AsyncConnection, deployment_id: str) -> set[str]:
    """Systems deployed in a deployment or its subdeployments (Req 23)."""
    dep_ids = await filters.descendants(conn, Kind.DEPLOYMENT, {deployment_id}, include_roots=True)
    rows = await conn.execute(
        select(refs.c.target).where(
            refs.c.owner_kind == Kind.DEPLOYMENT.value, refs.c.rel == "deployedSystem", refs.c.owner_id.in_(dep_ids)
        )
    )
    targets = set(rows.scalars())
    found = await conn.execute(select(systems.c.id).where(or_(systems.c.id.in_(targets), systems.c.uid.in_(targets))))
    return set(found.scalars())
