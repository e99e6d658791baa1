"""`SqlStore`: the Store protocol on SQLAlchemy (SQLite file or memory, PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import delete, event, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bridge.errors import Conflict, InvalidBody, NotFound
from bridge.model.audit import AuditEntry, AuditQuery
from bridge.model.csapi import DeployedSystem, Feature, Kind
from bridge.model.harvest import MappedBatch, RunRecord, SourceHealth, WriteStats
from bridge.model.kinds import KINDS
from bridge.model.query import FeatureQuery, Page
from bridge.store.base import Collection
from bridge.store.sql.audit import SqlAuditLog
from bridge.store.sql.dynamic import DynamicStore
from bridge.store.sql.engine import create_engine, init_schema, schema_state
from bridge.store.sql.features import FeatureRepository
from bridge.store.sql.harvest import SqlHarvestSink
from bridge.store.sql.leases import SqlLeases
from bridge.store.sql.outbox import Outbox
from bridge.store.sql.source_health import source_health
from bridge.store.sql.tables import FEATURE_TABLES, collection_members, collections

_COMMITTED = "bridge.live.committed"  # connection info flag: a commit to announce when it is back in the pool
# One built-in collection per resource kind (its descriptor's `collection`), aliasing the canonical endpoint.
BUILTIN_COLLECTIONS = [
    Collection(desc.collection[0], desc.kind, desc.collection[1], desc.collection[2], builtin=True)
    for desc in KINDS.values()
]


class SqlStore(DynamicStore):
    """Store backed by one SQLAlchemy AsyncEngine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.outbox = Outbox(engine)
        self.features = FeatureRepository(engine, hooks=self, outbox=self.outbox)
        self._init_dynamic()
        self.harvest = SqlHarvestSink(self)
        self.audit = SqlAuditLog(engine)
        self.leases = SqlLeases(engine)  # jobs that must run once in a fleet (bridge/jobs/worker.py)

    @classmethod
    async def open(cls, url: str, *, migrate: bool = True) -> SqlStore:
        """Connect and create the schema, or upgrade it (`migrate=False`: refuse a store that is behind)."""
        engine = create_engine(url)
        try:
            await init_schema(engine, migrate=migrate)
        except BaseException:
            await engine.dispose()
            raise
        return cls(engine)

    async def readiness(self) -> str | None:
        """None when the store answers and runs the newest schema, else what is wrong (`/ready`)."""
        try:
            state = await schema_state(self.engine)
        except Exception as exc:  # any driver failure: the store is not reachable
            return f"store not reachable ({type(exc).__name__})"
        if not state.up_to_date:
            return f"store schema at revision {state.current}, needs {state.head} (run csapi-bridge migrate-store)"
        return None

    async def close(self) -> None:
        """Dispose of the engine's connection pool (end of the app or CLI run)."""
        await self.engine.dispose()

    def on_commit(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` after every commit of this engine (any writer of this process: API, harvests, the
        command poller); returns the function that removes it."""

        # the `commit` event comes before the commit: it marks the connection, and the callback runs when the
        # connection is back in the pool, once what it committed is visible to other connections
        def committed(conn: Any) -> None:
            conn.info[_COMMITTED] = True

        def checked_in(_dbapi_conn: Any, record: Any) -> None:
            if record.info.pop(_COMMITTED, False):
                callback()

        engine = self.engine.sync_engine
        event.listen(engine, "commit", committed)
        event.listen(engine.pool, "checkin", checked_in)

        def remove() -> None:
            event.remove(engine, "commit", committed)
            event.remove(engine.pool, "checkin", checked_in)

        return remove

    # Harvest sink ------------------------------------------------------------------------------------
    async def harvest_cursors(self, source: str) -> dict[str, int]:
        """HarvestSink: the committed cursor of every stream of a source (stream key → µs), to resume from."""
        return await self.harvest.cursors(source)

    async def start_run(self, source: str) -> str:
        """HarvestSink: record a new run of a source (its runs still marked running become interrupted); its id."""
        return await self.harvest.start_run(source)

    async def write_batch(self, source: str, run_id: str, batch: MappedBatch) -> WriteStats:
        """HarvestSink: one mapped batch in one transaction — upserts, observations (duplicates dropped), cursors."""
        return await self.harvest.write(source, run_id, batch)

    async def reconcile(self, source: str, seen: dict[str, set[str]], policy: str) -> dict[str, int]:
        """HarvestSink: end or delete the resources of a source whose legacy entity is gone (`deletions` policy)."""
        return await self.harvest.reconcile(source, seen, policy)

    async def finish_run(self, run_id: str, status: str, report: dict[str, Any]) -> None:
        """HarvestSink: close a run record with its end time, status and report."""
        await self.harvest.finish_run(run_id, status, report)

    async def list_runs(self, source: str | None = None, limit: int = 20) -> list[RunRecord]:
        """HarvestSink: recorded runs, newest first, optionally of one source (`csapi-bridge runs`)."""
        return await self.harvest.list_runs(source, limit)

    async def source_health(self, sources: Sequence[str]) -> list[SourceHealth]:
        """The newest stored phenomenon time and the last finished run of each named source (`/metrics`)."""
        return await source_health(self.engine, sources)

    # Audit log ----------------------------------------------------------------------------------------
    async def record_audit(self, entry: AuditEntry) -> None:
        """AuditStore: append an audited operation (principal, time, target, request id, outcome)."""
        await self.audit.record(entry)

    async def list_audit(self, query: AuditQuery) -> Page[AuditEntry]:
        """AuditStore: audited operations, newest first, keyset-paged."""
        return await self.audit.list(query)

    # Part 1 resources -------------------------------------------------------------------------
    async def list_features(self, query: FeatureQuery) -> Page[Feature]:
        """`GET /systems`…`/properties`, nested lists, collection items: one keyset page of the Part 1 table."""
        return await self.features.list_page(query)

    async def get_feature(self, kind: Kind, rid: str) -> Feature:
        """`GET /{kind}/{id}`: the resource with that local id; raises NotFound."""
        return await self.features.get(kind, rid)

    async def inherited_deployed(self, ids: list[str]) -> dict[str, list[DeployedSystem]]:
        """Systems deployed in the subdeployments (all levels) of each deployment (Req 23)."""
        return await self.features.inherited_deployed(ids)

    async def find_feature_uid(self, kind: Kind, uid: str) -> str | None:
        """Local id of the resource of `kind` with this UID, if stored."""
        return await self.features.find_uid(kind, uid)

    async def create_feature(self, feature: Feature, collection: str | None = None) -> Feature:
        """`POST` a Part 1 resource (409 on a duplicate UID); with `collection`, also a member of that collection."""
        return await self.features.create(feature, collection)

    async def replace_feature(self, feature: Feature) -> None:
        """`PUT`/`PATCH /{kind}/{id}`: replace the content (same id); a replaced system keeps a history revision."""
        await self.features.replace(feature)

    async def delete_feature(self, kind: Kind, rid: str, cascade: bool) -> None:
        """`DELETE /{kind}/{id}[?cascade=true]` (409 when dependents exist without cascade, Req 61)."""
        await self.features.delete(kind, rid, cascade)

    # Collections -------------------------------------------------------------------------------
    async def list_collections(self) -> list[Collection]:
        """`GET /collections`: built-in (one per kind), custom (configured) and one read-only per harvested source."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(collections).order_by(collections.c.pk))
            custom = [Collection(r.id, Kind(r.kind), r.title or r.id, r.description) for r in rows]
            harvested = await self._source_collections(conn)
        return [*BUILTIN_COLLECTIONS, *custom, *harvested]

    async def _source_collections(self, conn: AsyncConnection) -> list[Collection]:
        """One read-only collection per (legacy source, resource type) present: what came from where."""
        out: list[Collection] = []
        for kind_name, table in FEATURE_TABLES.items():
            names = (await conn.execute(select(table.c.source).where(table.c.source.is_not(None)).distinct())).scalars()
            for name in sorted(names):
                kind = Kind(kind_name)
                out.append(
                    Collection(
                        f"source-{name}-{kind.value}", kind, f"{kind.value} harvested from {name}",
                        f"Read-only: every {kind.value} resource whose provenance is the legacy source '{name}'",
                        source=name,
                    )
                )  # fmt: skip
        return out

    async def get_collection(self, cid: str) -> Collection:
        """`GET /collections/{cid}`: one collection of `list_collections`; raises NotFound."""
        for coll in await self.list_collections():
            if coll.id == cid:
                return coll
        raise NotFound(f"no collection '{cid}'")

    async def ensure_collection(self, coll: Collection) -> None:
        """Create a custom collection (from configuration) if missing."""
        if any(b.id == coll.id for b in BUILTIN_COLLECTIONS):
            raise Conflict(f"collection id '{coll.id}' is reserved")
        async with self.engine.begin() as conn:
            if (await conn.execute(select(collections.c.id).where(collections.c.id == coll.id))).first():
                return
            await conn.execute(
                insert(collections).values(
                    id=coll.id, kind=coll.kind.value, title=coll.title, description=coll.description
                )
            )

    async def add_to_collection(self, cid: str, kind: Kind, ids: list[str]) -> None:
        """`POST /collections/{cid}/items` by reference: add existing resources (400 naming unknown ids, Req 71)."""
        table = FEATURE_TABLES[kind]
        async with self.engine.begin() as conn:
            known = set((await conn.execute(select(table.c.id).where(table.c.id.in_(ids)))).scalars())
            missing = [i for i in ids if i not in known]
            if missing:
                raise InvalidBody(f"unknown {kind.value} resources: {', '.join(missing)}")
            present = set(
                (
                    await conn.execute(
                        select(collection_members.c.item_id).where(collection_members.c.collection_id == cid)
                    )
                ).scalars()
            )
            new = [{"collection_id": cid, "item_id": i} for i in dict.fromkeys(ids) if i not in present]
            if new:
                try:
                    await conn.execute(insert(collection_members), new)
                except IntegrityError as exc:
                    raise Conflict(str(exc.orig)) from exc

    async def remove_from_collection(self, cid: str, rid: str) -> None:
        """`DELETE /collections/{cid}/items/{id}`: drop the membership, keep the resource (404 if not a member)."""
        async with self.engine.begin() as conn:
            result = await conn.execute(
                delete(collection_members).where(
                    collection_members.c.collection_id == cid, collection_members.c.item_id == rid
                )
            )
            if result.rowcount == 0:
                raise NotFound(f"resource '{rid}' is not in collection '{cid}'")
