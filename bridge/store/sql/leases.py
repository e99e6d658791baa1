"""Leases of the jobs that must run once in a fleet, kept in the store itself (no new server).

A lease is a row of `leases`: its holder (one process), a fencing token raised at every acquisition and an
expiry the holder pushes forward with a heartbeat. Acquisition is one conditional UPDATE (`expires` past, and
for a scheduled job `due` past): on PostgreSQL the row lock makes exactly one of concurrent contenders win,
on SQLite writes are serialised anyway. A holder that dies stops renewing; once its lease has expired another
process takes over.

Fencing: while a lease is held (`SqlLeases.hold`), every write of the store that belongs to the job (harvested
batches and cursors, run records, a command's provenance, status reports and results) first checks in its own
transaction that the lease still has this holder and token (`check_fence`, a `FOR SHARE` row lock on
PostgreSQL, so a takeover waits for that commit or the commit sees the new token). A process that lost its
lease — paused past its expiry, partitioned from the database — therefore cannot commit; `LeaseLost` is raised
and its transaction rolled back. Safety never depends on clocks; takeover time does (hosts' clocks in sync).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bridge.model.time import to_us, utcnow
from bridge.store.sql.tables import leases

log = logging.getLogger("bridge.leases")
_FENCE: ContextVar[Fence | None] = ContextVar("bridge_lease_fence", default=None)


class LeaseLost(RuntimeError):
    """A write under a lease that another process has taken over since (the transaction is rolled back)."""


@dataclass(frozen=True, slots=True)
class Fence:
    """A held lease: its name, holder and fencing token (what every write under it is checked against)."""

    name: str
    holder: str
    token: int


def holder_id() -> str:
    """A process's identity as a lease holder: host, pid and a nonce (a restarted pid is another holder)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def current_fence() -> Fence | None:
    """The lease the running task works under (None outside `SqlLeases.hold`)."""
    return _FENCE.get()


async def check_fence(conn: AsyncConnection) -> None:
    """In a write transaction: raise `LeaseLost` unless the task's lease (if any) still has its holder and token."""
    fence = _FENCE.get()
    if fence is None:
        return
    query = select(leases.c.holder, leases.c.token).where(leases.c.name == fence.name)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(read=True)  # an acquisition (UPDATE) waits for this transaction
    row = (await conn.execute(query)).first()
    if row is None or row.holder != fence.holder or row.token != fence.token:
        raise LeaseLost(f"lease {fence.name} (token {fence.token}) was taken over; nothing written")


def _now() -> int:
    return to_us(utcnow())


class SqlLeases:
    """Acquire, renew and release leases on the store's engine, as one holder (this process)."""

    def __init__(self, engine: AsyncEngine, holder: str | None = None, ttl: float = 15.0) -> None:
        self.engine = engine
        self.holder = holder or holder_id()
        self.ttl = ttl  # default lease time (`lease_ttl` of the settings)

    async def acquire(self, name: str, ttl: float, *, scheduled: bool = False) -> Fence | None:
        """Take the lease `name` for `ttl` seconds if it is free (expired); with `scheduled`, only once it is due.

        Returns the fence to work under, or None when another holder has it (or, scheduled, it is not due).
        """
        now = _now()
        insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        conditions = [leases.c.name == name, leases.c.expires <= now]
        if scheduled:
            conditions.append((leases.c.due.is_(None)) | (leases.c.due <= now))
        async with self.engine.begin() as conn:
            await conn.execute(insert(leases).values(name=name, token=0, expires=0).on_conflict_do_nothing())
            taken = await conn.execute(
                update(leases)
                .where(*conditions)
                .values(holder=self.holder, token=leases.c.token + 1, expires=now + int(ttl * 1_000_000))
                .returning(leases.c.token)
            )
            token = taken.scalar()
        return None if token is None else Fence(name, self.holder, int(token))

    async def renew(self, fence: Fence, ttl: float) -> bool:
        """Push the lease's expiry `ttl` seconds ahead; False when it was taken over (the holder must stop)."""
        async with self.engine.begin() as conn:
            renewed = await conn.execute(
                update(leases)
                .where(leases.c.name == fence.name, leases.c.holder == fence.holder, leases.c.token == fence.token)
                .values(expires=_now() + int(ttl * 1_000_000))
            )
        return bool(renewed.rowcount)

    async def release(self, fence: Fence, *, due: int | None = None) -> bool:
        """Free the lease at once (and, for a scheduled job, set its next due time in µs); False if it was lost."""
        values: dict[str, object] = {"holder": None, "expires": 0}
        if due is not None:
            values["due"] = due
        async with self.engine.begin() as conn:
            freed = await conn.execute(
                update(leases)
                .where(leases.c.name == fence.name, leases.c.holder == fence.holder, leases.c.token == fence.token)
                .values(**values)
            )
        return bool(freed.rowcount)

    async def _heartbeat(self, fence: Fence, ttl: float) -> None:
        while True:
            await asyncio.sleep(ttl / 3)
            try:
                if not await self.renew(fence, ttl):
                    log.warning("lease %s was taken over: its remaining writes will be refused", fence.name)
                    return
            except Exception:  # the store is unreachable: keep trying while the lease may still be ours
                log.warning("could not renew lease %s", fence.name, exc_info=True)

    @contextlib.asynccontextmanager
    async def hold(
        self, name: str, ttl: float | None = None, *, scheduled: bool = False
    ) -> AsyncIterator[HeldLease | None]:
        """Hold the lease `name` for the body (renewed every ttl/3 s, released at the end); None if not acquired.

        Inside the body the store's writes are fenced by it (`check_fence`). The body may set `held.due` (µs) to
        schedule the job's next run when it releases the lease.
        """
        ttl = ttl or self.ttl
        fence = await self.acquire(name, ttl, scheduled=scheduled)
        if fence is None:
            yield None
            return
        held = HeldLease(fence)
        reset = _FENCE.set(fence)
        beat = asyncio.create_task(self._heartbeat(fence, ttl), name=f"lease {name}")
        try:
            yield held
        finally:
            beat.cancel()
            _FENCE.reset(reset)
            try:
                await asyncio.shield(self.release(fence, due=held.due))
            except Exception:  # it expires by itself
                log.warning("could not release lease %s", name, exc_info=True)


@dataclass(slots=True)
class HeldLease:
    """A lease held by `SqlLeases.hold`: its fence, and the next due time to set on release (scheduled jobs)."""

    fence: Fence
    due: int | None = None
