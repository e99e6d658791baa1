"""Part 1 resources in SQL: keyset-paged listing with filters, CRUD and idempotent upserts."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

import orjson
from shapely.geometry import box, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import ColumnElement, Row, Table, and_, delete, func, insert, select, true, update
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bridge.errors import Conflict, InvalidBody, InvalidParameter, NotFound
from bridge.model.csapi import DeployedSystem, Deployment, Feature, Kind, ref_target
from bridge.model.query import FeatureQuery, Page
from bridge.model.time import to_us, utcnow
from bridge.store.base import Outcome
from bridge.store.sql import filters
from bridge.store.sql.outbox import Outbox, event
from bridge.store.sql.paging import deleted_or_404
from bridge.store.sql.rows import DOCUMENT_RELS, REL_DEPLOYED, feature_refs, feature_to_row, row_to_feature
from bridge.store.sql.tables import FEATURE_TABLES, collection_members, collections, refs
from bridge.store.tokens import TOKEN_PARAM, decode_token, encode_token

_SCAN_FACTOR = 4


def new_id() -> str:
    """A short random local id (lower-case base32, 13 characters)."""
    alphabet = "0123456789abcdefghijklmnopqrstuv"
    return "".join(secrets.choice(alphabet) for _ in range(13))


def storable(table: Table, row: dict[str, Any]) -> dict[str, Any]:
    """The row, or a 400 for a value the backends would not store alike: longer than its column
    (PostgreSQL refuses it, SQLite keeps it) or holding a NUL character (PostgreSQL text cannot)."""
    for key, value in row.items():
        if not isinstance(value, str):
            continue
        length = getattr(table.c[key].type, "length", None)
        if length is not None and len(value) > length:
            raise InvalidBody(f"'{key}' is longer than the {length} characters the store keeps")
        if "\x00" in value:
            raise InvalidBody(f"'{key}' contains a NUL character")
    return row


def keyset_boundary(table: Table, token: str | None) -> tuple[ColumnElement[bool] | None, bool]:
    """`pk > after` (or `pk < before`, backwards) from a paging token; a forged token is a 400 on `cursor`."""
    if not token:
        return None, False
    key = decode_token(token, "after", "before")
    backwards = "before" in key
    value = key["before" if backwards else "after"]
    if type(value) is not int or not 0 <= value < 2**31:  # the INTEGER key of the resource tables
        raise InvalidParameter(TOKEN_PARAM, "not a paging token issued by this server")
    return (table.c.pk < value if backwards else table.c.pk > value), backwards


class FeatureHooks(Protocol):
    """What other resource families need to know when a Part 1 resource is replaced or deleted."""

    async def on_replace(self, conn: AsyncConnection, feature: Feature) -> None:
        """Called in the transaction replacing a resource (a system keeps its previous description as a revision)."""
        ...

    async def blockers(self, conn: AsyncConnection, kind: Kind, ids: set[str]) -> list[str]:
        """What blocks a non-cascading DELETE of these resources (e.g. "datastreams"), Req 61; empty if nothing."""
        ...

    async def on_delete(self, conn: AsyncConnection, kind: Kind, ids: set[str]) -> None:
        """Called in the transaction deleting resources: cascade to their streams, events and history."""
        ...


class FeatureRepository:
    """Queries and writes for the five Part 1 resource tables."""

    def __init__(self, engine: AsyncEngine, hooks: FeatureHooks | None = None, outbox: Outbox | None = None) -> None:
        self.engine = engine
        self.hooks = hooks
        self.outbox = outbox or Outbox(engine)

    async def _conditions(self, conn: AsyncConnection, table: Table, q: FeatureQuery) -> list[ColumnElement[bool]]:
        conds: list[ColumnElement[bool]] = []
        if q.ids is not None:
            conds.append(filters.id_condition(table, q.ids))
        if q.q:
            conds.append(filters.keyword_condition(table, q.q))
        if q.datetime is not None:
            conds.append(filters.time_condition(table, q.datetime))
        if q.bbox is not None:
            conds.append(filters.envelope_condition(table, q.bbox.boxes()))
        if q.geom is not None:
            conds.append(filters.envelope_condition(table, [q.geom.bounds]))
        conds += await filters.scope_conditions(conn, table, q)
        conds += await filters.association_conditions(conn, table, q)
        return conds

    @staticmethod
    def _exact(q: FeatureQuery) -> list[BaseGeometry]:
        shapes: list[BaseGeometry] = []
        if q.bbox is not None:
            boxes = [box(*b) for b in q.bbox.boxes()]
            shapes.append(boxes[0] if len(boxes) == 1 else boxes[0].union(boxes[1]))
        if q.geom is not None:
            shapes.append(q.geom)
        return shapes

    @staticmethod
    def _passes(row: Row[Any], shapes: list[BaseGeometry]) -> bool:
        if not shapes:
            return True
        geometry = shape(orjson.loads(row.geometry)) if row.geometry else None
        return geometry is not None and all(geometry.intersects(s) for s in shapes)

    async def list_page(self, q: FeatureQuery) -> Page[Feature]:
        """One keyset page of features matching `q` (ascending insertion order)."""
        table = FEATURE_TABLES[q.kind]
        shapes = self._exact(q)
        async with self.engine.connect() as conn:
            conds = await self._conditions(conn, table, q)
            boundary, backwards = keyset_boundary(table, q.token)
            rows = await self._scan(conn, table, conds, boundary, backwards, q.limit + 1, shapes)
            matched = await self._count(conn, table, conds, shapes)
            has_more = len(rows) > q.limit
            rows = rows[: q.limit]
            if backwards:
                rows.reverse()
            items = [row_to_feature(q.kind, r._mapping) for r in rows]
            next_token = prev_token = None
            if rows:
                more_after = has_more if not backwards else True
                more_before = (q.token is not None) if not backwards else has_more
                if more_after:
                    next_token = encode_token(after=rows[-1].pk)
                if more_before:
                    prev_token = encode_token(before=rows[0].pk)
            return Page(items=items, next_token=next_token, prev_token=prev_token, matched=matched)

    async def _scan(
        self,
        conn: AsyncConnection,
        table: Table,
        conds: list[ColumnElement[bool]],
        boundary: ColumnElement[bool] | None,
        backwards: bool,
        wanted: int,
        shapes: list[BaseGeometry],
    ) -> list[Row[Any]]:
        """Fetch rows in key order until `wanted` pass the exact geometry predicate (or rows run out)."""
        order = table.c.pk.desc() if backwards else table.c.pk.asc()
        batch = wanted if not shapes else wanted * _SCAN_FACTOR
        found: list[Row[Any]] = []
        while True:
            where = [*conds, boundary] if boundary is not None else conds
            rows = list(await conn.execute(select(table).where(and_(true(), *where)).order_by(order).limit(batch)))
            found += [r for r in rows if self._passes(r, shapes)]
            if len(found) >= wanted or len(rows) < batch:
                return found[:wanted]
            last = rows[-1].pk
            boundary = table.c.pk < last if backwards else table.c.pk > last

    async def _count(
        self,
        conn: AsyncConnection,
        table: Table,
        conds: list[ColumnElement[bool]],
        shapes: list[BaseGeometry],
    ) -> int:
        if not shapes:
            return int(
                (await conn.execute(select(func.count()).select_from(table).where(and_(true(), *conds)))).scalar_one()
            )
        rows = await conn.execute(select(table.c.geometry).where(and_(true(), *conds)))
        return sum(1 for r in rows if self._passes(r, shapes))

    async def get(self, kind: Kind, rid: str) -> Feature:
        """The feature with local id `rid` (NotFound otherwise)."""
        table = FEATURE_TABLES[kind]
        async with self.engine.connect() as conn:
            row = (await conn.execute(select(table).where(table.c.id == rid))).first()
        if row is None:
            raise NotFound(f"no {kind.value} resource with id '{rid}'")
        return row_to_feature(kind, row._mapping)

    async def inherited_deployed(self, ids: list[str]) -> dict[str, list[DeployedSystem]]:
        """Systems deployed in the subdeployments (all levels) of each deployment (Req 23)."""
        table = FEATURE_TABLES[Kind.DEPLOYMENT]
        out: dict[str, list[DeployedSystem]] = {}
        async with self.engine.connect() as conn:
            roots = {i: i for i in ids}  # deployment id -> the requested ancestor it belongs to
            frontier = set(ids)
            for _ in range(filters.MAX_DEPTH):
                if not frontier:
                    break
                rows = list(await conn.execute(select(table).where(table.c.parent_id.in_(frontier))))
                frontier = set()
                for row in rows:
                    if row.id in roots:
                        continue
                    roots[row.id] = roots[row.parent_id]
                    frontier.add(row.id)
                    child = row_to_feature(Kind.DEPLOYMENT, row._mapping)
                    assert isinstance(child, Deployment)
                    out.setdefault(roots[row.id], []).extend(child.deployed_systems)
        return out

    async def find_uid(self, kind: Kind, uid: str) -> str | None:
        """Local id of the resource with this UID, if stored."""
        table = FEATURE_TABLES[kind]
        async with self.engine.connect() as conn:
            return (await conn.execute(select(table.c.id).where(table.c.uid == uid))).scalar_one_or_none()

    @asynccontextmanager
    async def _writing(self, feature: Feature) -> AsyncIterator[AsyncConnection]:
        """A write transaction; a value the database cannot store (too long for its column, a NUL
        character on PostgreSQL) is the client's error (400), not the server's."""
        try:
            async with self.engine.begin() as conn:
                yield conn
        except DataError as exc:
            raise InvalidBody(
                f"{feature.kind.value} '{feature.uid[:200]}' has a value the store cannot hold: {exc.orig}"
            ) from None

    async def create(self, feature: Feature, collection: str | None = None) -> Feature:
        """Insert a new feature (server-assigned id unless preset); a duplicate UID is a 409."""
        table = FEATURE_TABLES[feature.kind]
        if not feature.id:
            feature.id = new_id()
        async with self._writing(feature) as conn:
            if (await conn.execute(select(table.c.id).where(table.c.uid == feature.uid))).first():
                raise Conflict(f"a {feature.kind.value} resource with uid '{feature.uid}' already exists")
            try:
                await conn.execute(insert(table).values(**storable(table, feature_to_row(feature, to_us(utcnow())))))
            except IntegrityError as exc:
                raise Conflict(f"{feature.kind.value} '{feature.uid}' conflicts with a stored resource") from exc
            await self._write_refs(conn, feature)
            if collection is not None:
                await conn.execute(insert(collection_members).values(collection_id=collection, item_id=feature.id))
            await self.outbox.append(conn, [event("create", feature.kind.value, feature.id)])
        return feature

    async def replace(self, feature: Feature) -> None:
        """Replace a stored feature's content (same id); UID changes must stay unique."""
        table = FEATURE_TABLES[feature.kind]
        async with self._writing(feature) as conn:
            current = (await conn.execute(select(table.c.pk).where(table.c.id == feature.id))).first()
            if current is None:
                raise NotFound(f"no {feature.kind.value} resource with id '{feature.id}'")
            clash = await conn.execute(select(table.c.id).where(table.c.uid == feature.uid, table.c.id != feature.id))
            if clash.first():
                raise Conflict(f"another {feature.kind.value} resource already has uid '{feature.uid}'")
            if self.hooks is not None:
                await self.hooks.on_replace(conn, feature)
            await conn.execute(
                update(table)
                .where(table.c.id == feature.id)
                .values(**storable(table, feature_to_row(feature, to_us(utcnow()))))
            )
            await self._write_refs(conn, feature)
            await self.outbox.append(conn, [event("update", feature.kind.value, feature.id)])

    async def upsert(self, conn: AsyncConnection, feature: Feature) -> Outcome:
        """Insert or update by id inside the caller's transaction (harvesting); reports what happened."""
        table = FEATURE_TABLES[feature.kind]
        row = feature_to_row(feature, to_us(utcnow()))
        current = (await conn.execute(select(table).where(table.c.id == feature.id))).first()
        if current is None:
            await conn.execute(insert(table).values(**row))
            await self._write_refs(conn, feature)
            return Outcome.CREATED
        stored = current._mapping
        if all(stored[k] == v for k, v in row.items() if k not in ("updated", "run_id")):
            return Outcome.UNCHANGED
        await conn.execute(update(table).where(table.c.id == feature.id).values(**row))
        await self._write_refs(conn, feature)
        return Outcome.UPDATED

    async def _write_refs(self, conn: AsyncConnection, feature: Feature) -> None:
        kind = feature.kind.value
        await conn.execute(
            delete(refs).where(refs.c.owner_kind == kind, refs.c.owner_id == feature.id, refs.c.rel.in_(DOCUMENT_RELS))
        )
        values = [
            storable(refs, {"owner_kind": kind, "owner_id": feature.id, "rel": r, "target": t})
            for r, t in feature_refs(feature)
        ]
        if values:
            await conn.execute(insert(refs), values)

    async def dependents(self, conn: AsyncConnection, kind: Kind, rid: str) -> list[str]:
        """Human-readable list of what depends on the resource (blocks a non-cascading DELETE)."""
        table = FEATURE_TABLES[kind]
        found: list[str] = []
        children = await conn.execute(select(func.count()).select_from(table).where(table.c.parent_id == rid))
        if kind in (Kind.SYSTEM, Kind.DEPLOYMENT) and children.scalar_one():
            found.append("subsystems" if kind is Kind.SYSTEM else "subdeployments")
        if kind is Kind.SYSTEM:
            sf = FEATURE_TABLES[Kind.SAMPLING_FEATURE]
            if (await conn.execute(select(func.count()).select_from(sf).where(sf.c.parent_id == rid))).scalar_one():
                found.append("sampling features")
            uid = (await conn.execute(select(table.c.uid).where(table.c.id == rid))).scalar() or rid
            if await filters.owners(conn, Kind.DEPLOYMENT, REL_DEPLOYED, {rid, uid}):
                found.append("deployments referencing it")
        if self.hooks is not None:
            found += await self.hooks.blockers(conn, kind, {rid})
        return found

    async def delete(self, kind: Kind, rid: str, cascade: bool, extra_dependents: list[str] | None = None) -> None:
        """Delete a feature; with dependents this is a 409 unless `cascade` (Req 61)."""
        table = FEATURE_TABLES[kind]
        async with self.engine.begin() as conn:
            if (await conn.execute(select(table.c.pk).where(table.c.id == rid))).first() is None:
                raise NotFound(f"no {kind.value} resource with id '{rid}'")
            blockers = await self.dependents(conn, kind, rid) + (extra_dependents or [])
            if blockers and not cascade:
                raise Conflict(
                    f"{kind.value}/{rid} has dependent resources ({', '.join(blockers)}); use cascade=true",
                    details={"dependents": blockers},
                )
            await self._delete_tree(conn, kind, rid)
            # check and act in one statement: of concurrent DELETEs of one resource exactly one gets here
            await deleted_or_404(conn, delete(table).where(table.c.id == rid), f"{kind.value} resource with id '{rid}'")
            await self.outbox.append(conn, [event("delete", kind.value, rid)])

    async def _delete_tree(self, conn: AsyncConnection, kind: Kind, rid: str) -> None:
        table = FEATURE_TABLES[kind]
        ids = await filters.descendants(conn, kind, {rid}, include_roots=True)
        if kind is Kind.SYSTEM:
            uids = set((await conn.execute(select(table.c.uid).where(table.c.id.in_(ids)))).scalars())
            sf = FEATURE_TABLES[Kind.SAMPLING_FEATURE]
            sf_ids = set((await conn.execute(select(sf.c.id).where(sf.c.parent_id.in_(ids)))).scalars())
            await self._purge(conn, sf, Kind.SAMPLING_FEATURE, sf_ids)
            await self._drop_deployed(conn, ids | uids)
        if self.hooks is not None:
            await self.hooks.on_delete(conn, kind, ids)
        await self._purge(conn, table, kind, ids - {rid})
        await self._purge_links(conn, kind, {rid})

    async def _purge(self, conn: AsyncConnection, table: Table, kind: Kind, ids: set[str]) -> None:
        if not ids:
            return
        await self._purge_links(conn, kind, ids)
        await conn.execute(delete(table).where(table.c.id.in_(ids)))

    async def _purge_links(self, conn: AsyncConnection, kind: Kind, ids: set[str]) -> None:
        """Association refs and collection memberships of resources about to be deleted."""
        await conn.execute(delete(refs).where(refs.c.owner_kind == kind.value, refs.c.owner_id.in_(ids)))
        same_kind = select(collections.c.id).where(collections.c.kind == kind.value)  # ids are unique per kind only
        await conn.execute(
            delete(collection_members).where(
                collection_members.c.item_id.in_(ids), collection_members.c.collection_id.in_(same_kind)
            )
        )

    async def _drop_deployed(self, conn: AsyncConnection, system_refs: set[str]) -> None:
        """Remove deleted systems from the `deployedSystems` of deployments that listed them (Req 61)."""
        dep = FEATURE_TABLES[Kind.DEPLOYMENT]
        dep_ids = await filters.owners(conn, Kind.DEPLOYMENT, REL_DEPLOYED, system_refs)
        for row in list(await conn.execute(select(dep).where(dep.c.id.in_(dep_ids)))):
            feature = row_to_feature(Kind.DEPLOYMENT, row._mapping)
            assert isinstance(feature, Deployment)
            feature.deployed_systems = [
                d
                for d in feature.deployed_systems
                if ref_target(d.system.href) not in system_refs and d.system.uid not in system_refs
            ]
            await conn.execute(update(dep).where(dep.c.id == feature.id).values(doc=feature_to_row(feature, 0)["doc"]))
            await self._write_refs(conn, feature)
