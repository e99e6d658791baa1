"""SensorThings → CSAPI against istSOS4, a real STA server on PostgreSQL: pages as large as it grants (its
`$top=10000` overshoots by one row), features of interest learned without `$expand`, streams read concurrently,
and a killed harvest that resumes to the same store."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import httpx

from bridge.jobs.run import run_harvest
from bridge.mapping.transforms import stable_id
from bridge.settings import SourceConfig
from bridge.store.sql.store import SqlStore
from tests.istsos4.seed import Seeded, StreamPlan, ThingPlan, seed
from tests.jobs.helpers import snapshot, walk

CLI = [sys.executable, "-m", "bridge.cli"]


class Recording(httpx.AsyncBaseTransport):
    """Passes requests through and keeps their query options."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.params: list[dict[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.params.append(dict(request.url.params))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _plan(rows: int) -> list[ThingPlan]:
    return [
        ThingPlan("Station", [(6.97, 51.40)], [StreamPlan("air temperature", rows), StreamPlan("humidity", rows)]),
        ThingPlan("Buoy", [(7.0, 51.40), (7.02, 51.41), (7.04, 51.42)], [StreamPlan("water", rows, chunk=rows // 6)]),
    ]


async def _features(store: SqlStore, seeded: Seeded, source: str) -> dict[str, list[tuple[str, str | None]]]:
    """Per datastream name: (phenomenon time, sampling feature id) of every stored observation."""
    from bridge.api.app import create_app
    from bridge.settings import Settings

    app = create_app(Settings(store="sqlite:///:memory:", base_url="http://bridge"), store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bridge") as client:
        out = {}
        for stream in seeded.streams:
            ds = stable_id(f"{source}/Datastream/{stream.id}")
            rows = await walk(client, f"/datastreams/{ds}/observations?limit=10000", "items")
            out[stream.name] = sorted((r["phenomenonTime"], r.get("samplingFeature@id")) for r in rows)
        return out


async def test_features_of_interest_are_learned_without_expand(istsos4: str, tmp_path: Path) -> None:
    seeded = await seed(istsos4, _plan(3500))
    store = await SqlStore.open(f"sqlite:///{tmp_path / 'h.db'}")
    transport = Recording()
    source = SourceConfig(name="ist", type="sta", url=istsos4, concurrency=3)
    report = await run_harvest(source, store, transport=transport)
    assert report.status == "completed", report.errors
    reading = report.reading
    assert reading["pageSize"]["json"] == 5000, reading  # $top=10000 answers 10,001 rows without a next link
    assert reading["dataArray"].startswith("not used"), reading  # its dataArray pages carry no next links
    assert reading["featuresOfInterest"] == {"per feature": 3}, reading
    expanded = [p["$top"] for p in transport.params if "FeatureOfInterest" in p.get("$expand", "")]
    assert sorted(expanded) == ["1", "100"]  # the probes only: does it answer, what does it cost
    stored = await _features(store, seeded, "ist")
    for stream in seeded.streams:
        want = sorted(
            (t.strftime("%Y-%m-%dT%H:%M:%SZ"), stable_id(f"ist/FeatureOfInterest/{seeded.features[place]}"))
            for t, place in zip(stream.times, stream.places, strict=True)
        )
        assert stored[stream.name] == want, stream.name
    assert len({f for _, f in stored["water"]}) == 3
    again = await run_harvest(source, store)
    assert again.status == "completed" and again.observations == 0
    await store.close()


def _config(tmp: Path, url: str) -> Path:
    path = tmp / "bridge.toml"
    options = "page_size = 500\nconcurrency = 3\nrate = 12.0\nretries = 1\n"  # small, slow pages: time to kill
    path.write_text(f'[[sources]]\nname = "ist"\ntype = "sta"\nurl = "{url}"\n{options}', encoding="utf-8")
    return path


def _harvest(config: Path, db: Path) -> subprocess.Popen[bytes]:
    args = [*CLI, "harvest", "--config", str(config), "--source", "ist", "--store", f"sqlite:///{db}", "--json"]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, "CI": ""})


async def _state(db: Path) -> dict[str, object]:
    store = await SqlStore.open(f"sqlite:///{db}")
    try:
        return await snapshot(store)
    finally:
        await store.close()


def test_killed_feature_reads_resume_to_the_same_store(istsos4: str, tmp_path: Path) -> None:
    plan = _plan(2400)
    plan[0].streams[1].step = timedelta(seconds=45)
    asyncio.run(seed(istsos4, plan))
    config = _config(tmp_path, istsos4)
    clean_db, killed_db = tmp_path / "clean.db", tmp_path / "killed.db"
    started = time.monotonic()
    clean = _harvest(config, clean_db)
    assert clean.wait(timeout=600) == 0, clean.stderr.read().decode()[-2000:] if clean.stderr else ""
    full = time.monotonic() - started
    kills = 0
    for fraction in (0.3, 0.5, 0.7, 0.9):
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
    assert actual["observation_count"] == expected["observation_count"] >= 7200
    assert actual == expected
