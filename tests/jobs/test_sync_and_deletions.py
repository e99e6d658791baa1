"""Scheduled sync (APScheduler) and reconciliation of entities deleted on the source."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from bridge.errors import ConfigError
from bridge.jobs.run import run_harvest
from bridge.jobs.scheduler import build_scheduler, trigger_for
from bridge.mapping.transforms import stable_id
from bridge.model.csapi import Kind
from bridge.settings import Settings, SourceConfig
from bridge.store.sql.harvest import SqlHarvestSink
from bridge.store.sql.store import SqlStore
from tests.sta_server.seed import SeedResult, create, create_stream, create_thing

pytestmark = pytest.mark.slow


def test_schedules_are_parsed_or_refused() -> None:
    assert (
        "interval"
        in type(
            trigger_for(SourceConfig(name="a", type="sta", url="http://x/", schedule="interval:15m"))
        ).__name__.lower()
    )
    assert (
        "cron"
        in type(
            trigger_for(SourceConfig(name="a", type="sta", url="http://x/", schedule="*/5 * * * *"))
        ).__name__.lower()
    )
    with pytest.raises(ConfigError, match="schedule"):
        trigger_for(SourceConfig(name="a", type="sta", url="http://x/", schedule="every tuesday"))


async def test_sync_runs_each_scheduled_source_repeatedly(sta_server: str, tmp_path: Path) -> None:
    store = await SqlStore.open(f"sqlite:///{tmp_path / 's.db'}")
    source = SourceConfig(name="scheduled", type="sta", url=sta_server, schedule="interval:1s", retries=0)
    scheduler = build_scheduler(Settings(store="x", sources=[source]), store)
    scheduler.start()
    try:
        for _ in range(400):
            await asyncio.sleep(0.2)
            runs = await SqlHarvestSink(store).list_runs("scheduled")
            if len([r for r in runs if r.status.startswith("completed")]) >= 2:
                break
    finally:
        scheduler.shutdown(wait=False)
    runs = await SqlHarvestSink(store).list_runs("scheduled")
    completed = [r for r in runs if r.status.startswith("completed")]
    assert len(completed) >= 2
    assert completed[0].report["observations"] == 0  # incremental: the second run found nothing new
    await store.close()


async def _thing_with_stream(base_url: str) -> tuple[str, str]:
    seed = SeedResult()
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        thing = await create_thing(client, seed, "Short-lived", 1.0, 2.0)
        sensor = await create(
            client, "Sensors", {"name": "tmp", "description": "d", "encodingType": "text/html", "metadata": "m"}
        )
        prop = await create(
            client, "ObservedProperties", {"name": "tmp", "description": "d", "definition": "http://example.org/tmp"}
        )
        stream = await create_stream(client, seed, "short-lived stream", thing, sensor, prop)
    return thing, stream.id


async def _delete(base_url: str, entity: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        response = await client.delete(entity)
        assert response.status_code < 300, response.text


@pytest.mark.parametrize("policy", ["end", "delete"])
async def test_entities_gone_from_the_source_are_reconciled(sta_server: str, tmp_path: Path, policy: str) -> None:
    thing, stream = await _thing_with_stream(sta_server)
    store = await SqlStore.open(f"sqlite:///{tmp_path / 'd.db'}")
    source = SourceConfig(name="gone", type="sta", url=sta_server, deletions=policy, retries=0)  # type: ignore[arg-type]
    assert (await run_harvest(source, store)).status == "completed"
    system_id = stable_id(f"gone/Thing/{thing}")
    assert (await store.get_feature(Kind.SYSTEM, system_id)).valid_time is None
    await _delete(sta_server, f"Datastreams('{stream}')")
    await _delete(sta_server, f"Things('{thing}')")
    report = await run_harvest(source, store)
    assert report.reconciled.get("Thing") == 1 and report.reconciled.get("Datastream") == 1
    if policy == "end":
        ended = await store.get_feature(Kind.SYSTEM, system_id)
        assert ended.valid_time is not None and ended.valid_time.end is not None
        again = await run_harvest(source, store)
        assert again.reconciled == {}  # already ended: nothing more to do
    else:
        from bridge.errors import NotFound

        with pytest.raises(NotFound):
            await store.get_feature(Kind.SYSTEM, system_id)
    await store.close()
