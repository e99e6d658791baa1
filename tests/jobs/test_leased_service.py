"""A service under a lease (the MQTT transport, an STA live front) runs in one process of a fleet at a time."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import update

from bridge.jobs.leased import LeasedService
from bridge.store.sql.leases import SqlLeases
from bridge.store.sql.store import SqlStore
from bridge.store.sql.tables import leases

TTL = 0.6


class Counting:
    """A service that records whether it runs."""

    def __init__(self) -> None:
        self.running = False
        self.starts = 0

    async def start(self) -> None:
        self.running = True
        self.starts += 1

    async def stop(self) -> None:
        self.running = False


async def _until(check: object, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():  # type: ignore[operator]
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_one_process_runs_it_and_another_takes_over(tmp_path: Path) -> None:
    store = await SqlStore.open(f"sqlite:///{tmp_path / 'leases.db'}")
    a, b = Counting(), Counting()
    first = LeasedService("live:mqtt", a, SqlLeases(store.engine), TTL)
    second = LeasedService("live:mqtt", b, SqlLeases(store.engine), TTL)
    try:
        await first.start()
        await _until(lambda: a.running)
        await second.start()
        await asyncio.sleep(TTL * 2)
        assert a.running and not b.running  # the lease holder only
        await first.stop()  # released at once: the other takes over at its next look
        await _until(lambda: b.running, timeout=TTL * 2)
        assert not a.running and b.starts == 1
    finally:
        await first.stop()
        await second.stop()
        await store.close()


async def test_a_holder_that_lost_its_lease_stops_the_service(tmp_path: Path) -> None:
    store = await SqlStore.open(f"sqlite:///{tmp_path / 'leases.db'}")
    a = Counting()
    leased = LeasedService("live:sta", a, SqlLeases(store.engine), TTL)
    try:
        await leased.start()
        await _until(lambda: a.running)
        async with store.engine.begin() as conn:  # the holder stalled past its expiry ...
            await conn.execute(update(leases).where(leases.c.name == "live:sta").values(expires=0))
        assert await SqlLeases(store.engine).acquire("live:sta", 30) is not None  # ... and another took it over
        await _until(lambda: not a.running, timeout=TTL * 2)
    finally:
        await leased.stop()
        await store.close()
