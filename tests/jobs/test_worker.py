"""Scheduled harvests of workers sharing a store: a due source is run by one of them, then not before its next
time (interval after the run's start, or the next cron time)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bridge.jobs.scheduler import trigger_for
from bridge.jobs.worker import HarvestWorker, harvest_lease, next_due
from bridge.model.time import to_us
from bridge.settings import Settings, SourceConfig
from bridge.store.sql.store import SqlStore
from bridge.store.sql.tables import leases
from tests.sos_server.state import ServerState
from tests.sos_server.worlds import multi_offering


def test_next_due_follows_the_schedule() -> None:
    started = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    every = trigger_for(SourceConfig(name="a", type="sos", url="http://x", schedule="interval:15m"))
    assert next_due(every, started) == to_us(started + timedelta(minutes=15))
    nightly = trigger_for(SourceConfig(name="b", type="sos", url="http://x", schedule="0 3 * * *"))
    due = datetime.fromtimestamp(next_due(nightly, started) / 1e6, UTC)
    assert (due.hour, due.minute) == (3, 0) and due > datetime.now(UTC)


async def test_a_due_source_runs_once_across_workers(sos_server: ServerState, tmp_path: Path) -> None:
    multi_offering(sos_server, count=50, with_broken=False)
    source = SourceConfig(name="s", type="sos", url=sos_server.url, schedule="interval:1h", retries=0)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    settings = Settings(store=url, sources=[source])
    one, other = await SqlStore.open(url), await SqlStore.open(url)
    try:
        workers = HarvestWorker(settings, one), HarvestWorker(settings, other)
        ran = await asyncio.gather(*(w.run_if_due(source) for w in workers))
        assert sorted(ran) == [False, True]  # one ran it; the other found the lease held
        assert not await workers[0].run_if_due(source)  # done: not due again for an hour
        (run,) = await one.list_runs("s")
        assert run.status == "completed"
        async with one.engine.connect() as conn:
            due = (await conn.execute(select(leases.c.due).where(leases.c.name == harvest_lease("s")))).scalar()
        assert due is not None and abs(due - (run.started + 3600 * 1_000_000)) < 5_000_000
    finally:
        await one.close()
        await other.close()
