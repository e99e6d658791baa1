"""Kill-and-resume: `csapi-bridge harvest` of an SOS killed with SIGKILL at several points, then rerun.

The store must end up with exactly what an uninterrupted run stores: the same resources as a CSAPI
client sees them and the same observation rows (no loss, no duplicates); bookkeeping (runs, cursors,
row keys) is not compared.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bridge.api.app import create_app
from bridge.jobs.run import run_harvest
from bridge.settings import Settings, SourceConfig
from bridge.store.sql.store import SqlStore
from bridge.store.sql.tables import datastreams, observations
from tests.open_access import OPEN
from tests.sos_server.state import ServerState
from tests.sos_server.worlds import multi_offering

pytestmark = pytest.mark.slow

UNTIL = "2024-12-01T00:00:00Z"
ROOT = Path(__file__).resolve().parents[3]
OPTIONS = {"page_size": 200, "max_window": "P2D", "retries": 0}


def config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "bridge.toml"
    lines = ["[[sources]]", 'name = "sos-kill"', 'type = "sos"', f'url = "{url}"']
    lines += [f"{k} = {json.dumps(v)}" for k, v in OPTIONS.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def harvest(cfg: Path, db: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "bridge.cli", "harvest", "--config", str(cfg), "--source", "sos-kill",
               "--store", f"sqlite:///{db}", "--until", UNTIL]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def kill_when(process: subprocess.Popen[bytes], ready: Callable[[], bool], timeout: float = 60) -> bool:
    """SIGKILL the process as soon as `ready()`; False when it finished first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        if ready():
            process.send_signal(signal.SIGKILL)
            process.wait(10)
            return True
        time.sleep(0.005)
    process.kill()
    raise AssertionError("the harvest neither finished nor reached the kill point")


async def content(path: Path) -> dict[str, Any]:
    """What a CSAPI client sees (resources without links; observations without ids) plus the raw rows."""
    store = await SqlStore.open(f"sqlite:///{path}")
    app = create_app(Settings(auth=OPEN, store="sqlite:///:memory:", base_url="http://bridge"), store)
    out: dict[str, Any] = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bridge") as client:
        for path_, key in (("/systems", "features"), ("/samplingFeatures", "features"), ("/properties", "items"),
                           ("/datastreams", "items")):  # fmt: skip
            items = (await client.get(f"{path_}?limit=1000")).json()[key]
            out[path_] = sorted(json.dumps({k: v for k, v in i.items() if k != "links"}, sort_keys=True) for i in items)
        observed = []
        for ds in (await client.get("/datastreams?limit=1000")).json()["items"]:
            url: str | None = f"/datastreams/{ds['id']}/observations?limit=10000"
            while url:
                page = (await client.get(url)).json()
                observed += [(ds["id"], o["phenomenonTime"], o["resultTime"], o["result"], o.get("samplingFeature@id"))
                             for o in page["items"]]  # fmt: skip
                url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
        out["observations"] = sorted(observed)
    query = select(datastreams.c.id, observations.c.phenomenon_time, observations.c.result_time, observations.c.foi,
                   observations.c.num, observations.c.txt, observations.c.extra).join(
        datastreams, datastreams.c.pk == observations.c.ds)  # fmt: skip
    async with store.engine.connect() as conn:
        out["rows"] = sorted(tuple(r) for r in await conn.execute(query))
    await store.close()
    return out


async def test_killed_harvests_resume_without_loss_or_duplicates(sos_server: ServerState, tmp_path: Path) -> None:
    multi_offering(sos_server, count=2400, with_broken=False)
    sos_server.delay = 0.01
    reference = tmp_path / "reference.db"
    store = await SqlStore.open(f"sqlite:///{reference}")
    report = await run_harvest(SourceConfig(name="sos-kill", type="sos", url=sos_server.url, **OPTIONS), store,
                               until=UNTIL)  # fmt: skip
    await store.close()
    assert report.status == "completed", report.errors
    total = sos_server.total()
    assert report.observations == total

    cfg, db = config(tmp_path, sos_server.url), tmp_path / "killed.db"
    sos_server.requests.clear()
    points: list[Callable[[], bool]] = [
        lambda: sos_server.count("DescribeSensor") >= 1,  # during the metadata phase
        lambda: sos_server.count("GetObservation") >= 3,
        lambda: sos_server.count("GetObservation") >= 40,
        lambda: sos_server.count("GetObservation") >= 90,
    ]
    kills = 0
    for ready in points:
        kills += kill_when(harvest(cfg, db), ready)
    assert kills >= 3, "the harvest finished before it could be killed"
    final = harvest(cfg, db)
    _, stderr = final.communicate(timeout=120)
    assert final.returncode == 0, stderr.decode()[-2000:]
    got, want = await content(db), await content(reference)
    assert len(want["rows"]) == total and len(want["observations"]) == total
    assert got["rows"] == want["rows"]
    assert got == want
