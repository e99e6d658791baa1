"""Leases on SQLite and PostgreSQL: one holder at a time, takeover after expiry, and fencing — a holder whose
lease was taken over commits nothing (its transaction is rolled back)."""

from __future__ import annotations

import asyncio

import pytest

from bridge.model.csapi import Command, CommandStatus, StatusCode
from bridge.model.harvest import MappedBatch
from bridge.store.sql.leases import LeaseLost, SqlLeases
from bridge.store.sql.store import SqlStore


def _two(store: SqlStore) -> tuple[SqlLeases, SqlLeases]:
    return SqlLeases(store.engine, "worker-a"), SqlLeases(store.engine, "worker-b")


async def test_one_holder_then_takeover_after_expiry(any_store: SqlStore) -> None:
    a, b = _two(any_store)
    first = await a.acquire("harvest:s1", ttl=0.3)
    assert first is not None and first.token == 1
    assert await b.acquire("harvest:s1", ttl=0.3) is None  # held
    assert await a.acquire("harvest:s1", ttl=0.3) is None  # held, even for its own holder (no re-entry)
    await asyncio.sleep(0.35)  # a died: it no longer renews
    second = await b.acquire("harvest:s1", ttl=5)
    assert second is not None and second.token == 2 and second.holder == "worker-b"
    assert not await a.renew(first, 5)  # the old holder learns it lost the lease
    assert not await a.release(first)  # ... and cannot free the new holder's lease


async def test_renewal_keeps_the_lease(any_store: SqlStore) -> None:
    a, b = _two(any_store)
    async with a.hold("command:c1", ttl=0.3) as held:
        assert held is not None
        await asyncio.sleep(0.5)  # past the ttl: the heartbeat renewed it
        assert await b.acquire("command:c1", ttl=0.3) is None
    taken = await b.acquire("command:c1", ttl=0.3)  # released at the end of the body
    assert taken is not None and taken.token == 2


async def test_concurrent_contenders_one_wins(any_store: SqlStore) -> None:
    holders = [SqlLeases(any_store.engine, f"w{i}") for i in range(6)]
    won = await asyncio.gather(*(h.acquire("harvest:race", ttl=30) for h in holders))
    assert sum(f is not None for f in won) == 1


async def test_scheduled_lease_waits_until_due(any_store: SqlStore) -> None:
    a, b = _two(any_store)
    async with a.hold("harvest:s2", ttl=5, scheduled=True) as held:
        assert held is not None
        held.due = 2**62  # next run: far in the future
    assert await b.acquire("harvest:s2", ttl=5, scheduled=True) is None  # free but not due
    assert await b.acquire("harvest:s2", ttl=5) is not None  # an unscheduled holder may take it


async def test_fenced_writes_refused_after_takeover(any_store: SqlStore) -> None:
    a, b = _two(any_store)
    pending = CommandStatus(command_id="", status_code=StatusCode.PENDING, message="received")
    command, _ = await any_store.create_command(Command(controlstream_id="cs1", parameters={}), pending)
    async with a.hold(f"command:{command.id}", ttl=30) as held:
        assert held is not None
        await any_store.add_status(CommandStatus(command_id=command.id, status_code=StatusCode.ACCEPTED))
        assert await a.renew(held.fence, 0.01)  # as if the process had paused past its expiry
        await asyncio.sleep(0.05)
        assert await b.acquire(f"command:{command.id}", ttl=30) is not None  # b took over
        with pytest.raises(LeaseLost):
            await any_store.add_status(CommandStatus(command_id=command.id, status_code=StatusCode.EXECUTING))
        with pytest.raises(LeaseLost):
            await any_store.write_batch("src", "run", MappedBatch())
    assert (await any_store.get_command(command.id)).current_status == StatusCode.ACCEPTED  # EXECUTING refused


async def test_a_fleet_starting_together_creates_the_schema_once() -> None:
    """Processes opening a fresh PostgreSQL store at the same moment all start (schema creation takes turns)."""
    import uuid

    import psycopg

    from tests.conftest import PG_URL, require_postgres

    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"create schema {schema}")
    sep = "&" if "?" in PG_URL else "?"
    try:
        opened = await asyncio.gather(
            *(SqlStore.open(f"{PG_URL}{sep}options=-csearch_path%3D{schema}") for _ in range(5)),
            return_exceptions=True,
        )
        for store in opened:
            if isinstance(store, SqlStore):
                await store.close()
        assert all(isinstance(s, SqlStore) for s in opened), opened
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f"drop schema {schema} cascade")
