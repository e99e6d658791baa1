"""The store tail on PostgreSQL, where keys are handed out at insert and rows commit in any order: a row committed
after one with a higher key is still delivered (once), a subscriber arriving meanwhile gets it live rather than in
its replay, and a key that never commits (rollback) is given up after `gap_ttl`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import psycopg
import pytest

from bridge.api.live.tail import LiveTail, Subscription, observation_table
from bridge.model.observations import StoredObservation
from bridge.store.sql.store import SqlStore
from tests.api.live.conftest import pg_schema_url

pytestmark = pytest.mark.postgres
INSERT = "insert into observations (ds, phenomenon_time, result_time, num) values (1, 0, 0, %s) returning pk"


OPEN: list[psycopg.AsyncConnection[tuple[int]]] = []


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    urls = pg_schema_url()
    url = next(urls)
    store = await SqlStore.open(url)  # creates the schema
    await store.close()
    yield url
    while OPEN:  # a failed test must not leave a transaction holding the schema it drops
        await OPEN.pop().close()
    for _ in urls:
        pass


async def _insert(url: str, value: float) -> tuple[psycopg.AsyncConnection[tuple[int]], int]:
    """An open transaction that inserted one observation (not committed): the connection and the row's key."""
    conn = await psycopg.AsyncConnection.connect(url.replace("postgresql+psycopg://", "postgresql://"))
    OPEN.append(conn)
    row = await (await conn.execute(INSERT, (value,))).fetchone()
    assert row is not None
    return conn, int(row[0])


async def _next_keys(sub: Subscription[StoredObservation]) -> list[int]:
    batch = await asyncio.wait_for(sub.next(), 5)
    return [r.pk for r in batch.rows]


async def _nothing_more(sub: Subscription[StoredObservation]) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(sub.next(), 0.5)


async def test_a_row_committed_after_a_higher_key_is_delivered_once(pg_url: str) -> None:
    store = await SqlStore.open(pg_url)
    tail = LiveTail(observation_table(store), poll_interval=0.05, gap_ttl=30)
    try:
        early = await tail.subscribe(1, 100)
        slow_tx, low = await _insert(pg_url, 1.0)
        fast_tx, high = await _insert(pg_url, 2.0)
        assert low < high
        await fast_tx.commit()
        assert await _next_keys(early) == [high]
        late = await tail.subscribe(1, 100)  # subscribes while `low` is still in flight
        assert late.replayed(high) and not late.replayed(low)  # its replay has `high`, not `low`
        await slow_tx.commit()
        assert await _next_keys(early) == [low]
        assert await _next_keys(late) == [low]
        await _nothing_more(early)
        await _nothing_more(late)
        assert tail.gaps == []
        for conn in (slow_tx, fast_tx):
            await conn.close()
    finally:
        await tail.stop()
        await store.close()


async def test_a_key_that_never_commits_is_given_up_after_the_gap_ttl(pg_url: str) -> None:
    store = await SqlStore.open(pg_url)
    tail = LiveTail(observation_table(store), poll_interval=0.05, gap_ttl=0.5)
    try:
        sub = await tail.subscribe(1, 100)
        lost_tx, lost = await _insert(pg_url, 1.0)
        kept_tx, kept = await _insert(pg_url, 2.0)
        await kept_tx.commit()
        assert await _next_keys(sub) == [kept]
        assert [(g.lo, g.hi) for g in tail.gaps] == [(lost, lost)]
        await lost_tx.rollback()
        await asyncio.sleep(1.0)
        tail.wake()
        await _nothing_more(sub)
        assert tail.gaps == []
        for conn in (lost_tx, kept_tx):
            await conn.close()
    finally:
        await tail.stop()
        await store.close()


async def test_the_tail_starts_with_the_holes_among_the_newest_keys_as_gaps(pg_url: str) -> None:
    """A transaction open before the first subscriber arrives is still delivered when it commits."""
    store = await SqlStore.open(pg_url)
    tail = LiveTail(observation_table(store), poll_interval=0.05)
    try:
        open_tx, early = await _insert(pg_url, 1.0)
        done_tx, later = await _insert(pg_url, 2.0)
        await done_tx.commit()
        sub = await tail.subscribe(1, 100)
        assert tail.last == later and not sub.replayed(early)
        await open_tx.commit()
        assert await _next_keys(sub) == [early]
        for conn in (open_tx, done_tx):
            await conn.close()
    finally:
        await tail.stop()
        await store.close()
