"""The live outbox: what a transaction commits, recorded in that transaction for the MQTT publisher to drain.

Observation batches take one row (datastream and primary-key range), not one per observation, so the ingest
path stays a bulk insert. Rows are appended at the end of the writing transaction under a transaction-level
advisory lock on PostgreSQL: outbox keys are then handed out in commit order, and a reader that asks for
`pk > last` never skips a row committed later with a smaller key (SQLite has a single writer anyway).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bridge.model.time import to_us, utcnow
from bridge.store.sql.tables import meta, observations, outbox

LOCK_KEY = 0x6C697665  # "live": the advisory lock serialising outbox appends on PostgreSQL


@dataclass(slots=True, frozen=True)
class OutboxEntry:
    """One committed change to publish: an observation range, a command, a status report or a resource event."""

    kind: str  # observations | command | status | event
    ref: str
    lo: int | None = None
    hi: int | None = None
    doc: Mapping[str, Any] | None = None


@dataclass(slots=True, frozen=True)
class OutboxRow:
    """An outbox entry as read back, with its key (the publisher's position) and commit time (µs)."""

    pk: int
    entry: OutboxEntry
    created: int


def event(action: str, path: str, rid: str, parent: str | None = None) -> OutboxEntry:
    """A resource event (`create` / `update` / `delete`) of the resource `rid` under the collection `path`."""
    doc: dict[str, Any] = {"action": action, "path": path}
    if parent is not None:
        doc["parent"] = parent
    return OutboxEntry("event", rid, doc=doc)


class Outbox:
    """Appends entries in the caller's transaction (when live publishing is on) and reads them back."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.enabled = False  # set from `[mqtt] enabled` when the store is opened
        self.postgres = engine.dialect.name == "postgresql"

    def notify(self, wake: Callable[[], None]) -> None:
        """Call `wake` at every commit through this engine (in this process) while live publishing is on; the
        publisher then reads at once instead of at its next idle poll (commits of other processes wait for it)."""

        def committed(conn: Any) -> None:
            if self.enabled:
                wake()

        sa_event.listen(self.engine.sync_engine, "commit", committed)

    async def observation_floor(self, conn: AsyncConnection) -> int:
        """The largest observation key before a batch is inserted (the batch's rows lie above it)."""
        if not self.enabled:
            return 0
        return int((await conn.execute(select(func.coalesce(func.max(observations.c.pk), 0)))).scalar_one())

    async def observations(self, conn: AsyncConnection, ds_id: str, floor: int) -> None:
        """Record the rows a batch inserted into `ds_id` (keys above `floor`) — call it last in the transaction."""
        if not self.enabled:
            return
        top = int((await conn.execute(select(func.coalesce(func.max(observations.c.pk), 0)))).scalar_one())
        if top > floor:
            await self.append(conn, [OutboxEntry("observations", ds_id, floor, top)])

    async def close_ranges(self, conn: AsyncConnection, entries: list[OutboxEntry]) -> list[OutboxEntry]:
        """Observation entries opened with their floor get the largest key now stored as their upper bound."""
        if not self.enabled or not any(e.kind == "observations" and e.hi is None for e in entries):
            return entries
        top = int((await conn.execute(select(func.coalesce(func.max(observations.c.pk), 0)))).scalar_one())
        return [
            OutboxEntry(e.kind, e.ref, e.lo, top, e.doc) if e.kind == "observations" and e.hi is None else e
            for e in entries
        ]

    async def append(self, conn: AsyncConnection, entries: Sequence[OutboxEntry]) -> None:
        """Append entries in the caller's transaction (one multi-row insert), in commit order."""
        if not self.enabled or not entries:
            return
        if self.postgres:
            await conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({LOCK_KEY})")
        now = to_us(utcnow())
        rows = [
            {
                "kind": e.kind,
                "ref": e.ref,
                "lo": e.lo,
                "hi": e.hi,
                "doc": orjson.dumps(e.doc).decode() if e.doc is not None else None,
                "created": now,
            }
            for e in entries
        ]
        await conn.execute(insert(outbox), rows)

    async def read(self, after: int, limit: int) -> list[OutboxRow]:
        """Entries with a key above `after`, oldest first."""
        o = outbox.c
        async with self.engine.connect() as conn:
            rows = await conn.execute(select(outbox).where(o.pk > after).order_by(o.pk).limit(limit))
            return [
                OutboxRow(
                    int(r.pk),
                    OutboxEntry(r.kind, r.ref, r.lo, r.hi, orjson.loads(r.doc) if r.doc is not None else None),
                    int(r.created),
                )
                for r in rows
            ]

    async def position(self, name: str) -> int:
        """The last entry a publisher named `name` has fully published (0: none yet)."""
        async with self.engine.connect() as conn:
            value = (await conn.execute(select(meta.c.value).where(meta.c.key == f"outbox:{name}"))).scalar()
        return int(value) if value is not None else 0

    async def advance(self, name: str, pk: int, prune: bool = True) -> None:
        """Remember that every entry up to `pk` is published (and drop those entries with `prune`)."""
        key = f"outbox:{name}"
        async with self.engine.begin() as conn:
            changed = await conn.execute(update(meta).where(meta.c.key == key).values(value=str(pk)))
            if not changed.rowcount:
                await conn.execute(insert(meta).values(key=key, value=str(pk)))
            if prune:
                await conn.execute(delete(outbox).where(outbox.c.pk <= pk))
