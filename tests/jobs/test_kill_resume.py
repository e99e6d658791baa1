"""Kill -9 a harvest at several moments, rerun it: the store ends identical to an uninterrupted run (its three
streams read concurrently, each batch committing its own rows and cursor)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bridge.store.sql.store import SqlStore
from tests.jobs.helpers import snapshot
from tests.sta_server.seed import SeedResult, bulk_observations, create, create_stream, create_thing, series

pytestmark = pytest.mark.slow
CLI = [sys.executable, "-m", "bridge.cli"]


async def _seed(base_url: str) -> SeedResult:
    result = SeedResult()
    start = datetime(2023, 1, 1, tzinfo=UTC)
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as client:
        thing = await create_thing(client, result, "Resume station", 9.1, 48.7)
        sensor = await create(
            client, "Sensors", {"name": "Logger", "description": "d", "encodingType": "text/html", "metadata": "x"}
        )
        for i, name in enumerate(("level", "flow", "turbidity")):
            prop = await create(
                client,
                "ObservedProperties",
                {"name": name, "description": name, "definition": f"http://example.org/{name}"},
            )
            stream = await create_stream(client, result, f"Resume {name}", thing, sensor, prop)
            await bulk_observations(client, stream, series(start, 1200, timedelta(minutes=1 + i), float(i)))
    return result


def _config(tmp: Path, url: str) -> Path:
    path = tmp / "bridge.toml"
    path.write_text(
        f'[[sources]]\nname = "resume"\ntype = "sta"\nurl = "{url}"\npage_size = 50\nconcurrency = 3\nretries = 1\n',
        encoding="utf-8",
    )
    return path


def _harvest(config: Path, db: Path) -> subprocess.Popen[bytes]:
    args = [*CLI, "harvest", "--config", str(config), "--source", "resume", "--store", f"sqlite:///{db}", "--json"]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "CI": ""})


async def _state(db: Path) -> dict[str, object]:
    store = await SqlStore.open(f"sqlite:///{db}")
    try:
        return await snapshot(store)
    finally:
        await store.close()


def test_killed_runs_resume_to_the_same_store(sta_server: str, tmp_path: Path) -> None:
    asyncio.run(_seed(sta_server))
    config = _config(tmp_path, sta_server)
    clean_db, killed_db = tmp_path / "clean.db", tmp_path / "killed.db"
    started = time.monotonic()
    clean = _harvest(config, clean_db)
    assert clean.wait(timeout=600) == 0, clean.stderr.read().decode()[-2000:] if clean.stderr else ""
    full = time.monotonic() - started
    kills = 0
    for fraction in (0.15, 0.35, 0.55, 0.8):
        proc = _harvest(config, killed_db)
        time.sleep(full * fraction)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(timeout=60)
    assert kills >= 2, "the harvest finished before it could be killed; the test proves nothing"
    final = _harvest(config, killed_db)
    assert final.wait(timeout=600) == 0
    expected, actual = asyncio.run(_state(clean_db)), asyncio.run(_state(killed_db))
    assert actual["observation_count"] == expected["observation_count"] >= 3600
    assert actual == expected
    again = _harvest(config, killed_db)
    assert again.wait(timeout=600) == 0
    assert asyncio.run(_state(killed_db)) == expected
