"""A fleet on one PostgreSQL: three `csapi-bridge worker` processes and two `serve` facades, scheduled harvests of
three sources and a stream of commands to the SPS test server. One worker is killed (SIGKILL) in the middle of a
harvest run; a facade is killed in the middle of a Submit, and then the worker reconciling that Submit too.

Afterwards: the store is what one process harvesting the same sources stores; every command reached the SPS
as exactly one task, its status reports are each stored once; no two runs of a source overlapped, and the SPS
never answered two GetStatus of one task at the same time. The same
scenario on SQLite with a single `serve --sync` process gives the same answers.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bridge.jobs.run import run_harvest
from bridge.mapping.transforms import stable_id
from bridge.settings import SourceConfig
from bridge.store.sql.store import SqlStore
from bridge.store.sql.tables import commands, leases, runs
from tests.commands.conftest import CAMERA, CAMERA_PARAMS
from tests.conftest import PG_URL, require_postgres
from tests.jobs.helpers import snapshot
from tests.loopback import free_port
from tests.sos_server.fixtures import ServerRuntime, start_server
from tests.sos_server.state import ServerState as SosState
from tests.sos_server.worlds import AIR, DISCHARGE, HUMIDITY, RIVER, WEATHER, series
from tests.sps_server.state import ServerState as SpsState

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
CAMERA_STREAM = stable_id(f"sps1/SpsTasking/{CAMERA}")
TTL = 5.0  # lease_ttl of the fleet: a dead process's jobs are taken over this long after its last heartbeat
SOS_OPTIONS = 'page_size = 100\nmax_window = "P1D"\nretries = 0\nschedule = "interval:1h"\n'


@dataclass
class Fleet:
    """The processes of the scenario and what the test did to them."""

    config: Path
    log: Path
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    facades: list[tuple[subprocess.Popen[bytes], str]] = field(default_factory=list)
    killed_at: dict[int, int] = field(default_factory=dict)  # pid → µs

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-m", "bridge.cli", *args, "--config", str(self.config)]
        with self.log.open("ab") as out:
            env = {**os.environ, "PYTHONPATH": str(REPO)}
            return subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)

    def facade(self, *extra: str) -> str:
        sock, port = free_port()
        sock.close()
        self.facades.append((self.start("serve", "--port", str(port), *extra), f"http://127.0.0.1:{port}"))
        return self.facades[-1][1]

    def kill(self, pid: int) -> None:
        os.kill(pid, signal.SIGKILL)
        self.killed_at[pid] = time.time_ns() // 1000

    def stop(self) -> None:
        for process in [*self.workers, *(p for p, _ in self.facades)]:
            if process.poll() is None:
                process.terminate()
        for process in [*self.workers, *(p for p, _ in self.facades)]:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _sos_servers() -> Iterator[list[ServerRuntime]]:
    a, b = start_server(SosState()), start_server(SosState())
    a.state.add_offering(WEATHER, {AIR: series(600, offset=10.0), HUMIDITY: series(600, scale=0.5, offset=40.0)})
    b.state.add_offering(RIVER, {DISCHARGE: series(600, step=timedelta(hours=1), scale=1.5, offset=100.0)})
    for runtime in (a, b):
        runtime.state.delay = 0.05  # a run lasts seconds: a worker can be killed in the middle of one
    yield [a, b]
    a.stop()
    b.stop()


@pytest.fixture
def sos_pair() -> Iterator[list[ServerRuntime]]:
    """Two SOS test servers of their own, with distinct offerings (sources share no resource)."""
    yield from _sos_servers()


def _sources(sps: SpsState, sos: list[ServerRuntime]) -> str:
    text = f'[[sources]]\nname = "sps1"\ntype = "sps"\nurl = "{sps.url}"\nretries = 1\ntimeout = 10.0\n'
    text += 'schedule = "interval:1h"\n'
    for name, runtime in zip(("sos-a", "sos-b"), sos, strict=True):
        text += f'\n[[sources]]\nname = "{name}"\ntype = "sos"\nurl = "{runtime.state.url}"\n{SOS_OPTIONS}'
    return text


def _config(tmp: Path, store: str, sps: SpsState, sos: list[ServerRuntime]) -> Path:
    path = tmp / "bridge.toml"
    path.write_text(
        f'store = "{store}"\ncommand_poll_interval = 0.3\nlease_ttl = {TTL}\n\n'
        '[auth]\nanonymous_roles = ["read", "command"]\n\n' + _sources(sps, sos),
        encoding="utf-8",
    )
    return path


async def _until(check: Any, timeout: float = 60.0, step: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await check()
        if value:
            return value
        await asyncio.sleep(step)
    raise AssertionError(f"not reached within {timeout}s")


async def _up(url: str) -> None:
    async def ready() -> bool:
        try:
            async with httpx.AsyncClient(timeout=2) as http:
                return (await http.get(f"{url}/controlstreams/{CAMERA_STREAM}")).status_code == 200
        except httpx.TransportError:
            return False

    await _until(ready, timeout=60, step=0.2)


async def _lease_holder(store: SqlStore, prefix: str, *, running: bool = False) -> tuple[str, int] | None:
    """A held lease with this name prefix and the pid of its holder (its harvest run in progress if `running`)."""
    now = time.time_ns() // 1000
    async with store.engine.connect() as conn:
        rows = list(await conn.execute(select(leases).where(leases.c.name.like(f"{prefix}%"), leases.c.expires > now)))
        busy = {r.source for r in await conn.execute(select(runs.c.source).where(runs.c.status == "running"))}
    for row in rows:
        if row.holder and (not running or row.name.removeprefix("harvest:") in busy):
            return row.name, int(row.holder.split(":")[1])
    return None


async def _post(url: str, n: int) -> str:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        body = {"parameters": CAMERA_PARAMS}
        answer = await http.post(f"/controlstreams/{CAMERA_STREAM}/commands", json=body)
        assert answer.status_code == 201, (n, answer.text)
        return answer.headers["location"].rsplit("/", 1)[-1]


def _submits(sps: SpsState) -> int:
    return sum(1 for op, _ in list(sps.requests) if op == "Submit")


async def _kill_a_worker_mid_run(fleet: Fleet, store: SqlStore) -> int:
    """SIGKILL the worker running a SOS harvest as soon as one is running."""

    async def running() -> tuple[str, int] | None:
        return await _lease_holder(store, "harvest:sos-", running=True)

    _, pid = await _until(running, timeout=60, step=0.01)
    fleet.kill(pid)
    return pid


async def _kill_mid_submit(fleet: Fleet, store: SqlStore, sps: SpsState) -> None:
    """A facade dies while its Submit is at the SPS; then the worker reconciling that Submit dies the same way."""
    sps.timeout_delay = 2.0
    sps.fail_next("timeout", "Submit", times=2)  # the SPS answers two Submits only after 2 s (creating the task)
    facade, url = fleet.facades[0]
    before = _submits(sps)
    post = asyncio.create_task(_post(url, -1))

    async def arrived(count: int) -> bool:
        return _submits(sps) >= count

    await _until(lambda: arrived(before + 1))
    fleet.kill(facade.pid)
    with pytest.raises(httpx.TransportError):
        await post
    await _until(lambda: arrived(before + 2), timeout=30)  # a worker took the lease over and repeats the Submit

    async with store.engine.connect() as conn:
        (unrecorded,) = (await conn.execute(select(commands.c.id).where(commands.c.legacy_id.is_(None)))).scalars()

    async def reconciler() -> tuple[str, int] | None:
        return await _lease_holder(store, f"command:{unrecorded}")

    _, pid = await _until(reconciler)
    assert pid in {w.pid for w in fleet.workers}
    fleet.kill(pid)


async def _commands_final(url: str, expected: int) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:

        async def done() -> list[dict[str, Any]] | None:
            items = (await http.get("/commands?limit=1000")).json()["items"]
            final = [c for c in items if c["currentStatus"] == "COMPLETED"]
            return items if len(items) == expected and len(final) == expected else None

        commands: list[dict[str, Any]] = await _until(done, timeout=60, step=0.3)
        for command in commands:
            reports = (await http.get(f"/commands/{command['id']}/status?limit=1000")).json()["items"]
            command["reports"] = [r["statusCode"] for r in reports]
        return commands


async def _runs_done(store: SqlStore, sources: tuple[str, ...]) -> list[Any]:
    async def done() -> list[Any] | None:
        async with store.engine.connect() as conn:
            rows = list(await conn.execute(select(runs).order_by(runs.c.started)))
        completed = Counter(r.source for r in rows if r.status in ("completed", "completed-with-errors"))
        return rows if all(completed[s] >= 1 for s in sources) else None

    rows: list[Any] = await _until(done, timeout=90, step=0.3)
    return rows


def _no_overlap(rows: list[Any], killed_at: dict[int, int]) -> None:
    """Runs of one source never overlap: each starts after the previous ended (or its worker was killed)."""
    kill_times = sorted(killed_at.values())
    by_source: dict[str, list[Any]] = {}
    for row in rows:
        by_source.setdefault(row.source, []).append(row)
    for source, runs_ in by_source.items():
        for before, after in itertools.pairwise(runs_):
            end = before.ended or min(t for t in kill_times if t >= before.started)  # its worker was killed
            assert after.started >= end, f"two runs of {source} overlapped"


async def _reference(tmp: Path, sps: SpsState, sos: list[ServerRuntime]) -> dict[str, Any]:
    """One process harvesting the same sources, uninterrupted, into its own store."""
    store = await SqlStore.open(f"sqlite:///{tmp / 'reference.db'}")
    try:
        sources = [SourceConfig(name="sps1", type="sps", url=sps.url, retries=1)]
        sources += [
            SourceConfig(name=name, type="sos", url=r.state.url, page_size=100, max_window="P1D", retries=0)
            for name, r in zip(("sos-a", "sos-b"), sos, strict=True)
        ]
        for source in sources:
            assert (await run_harvest(source, store)).status == "completed"
        return await snapshot(store)
    finally:
        await store.close()


async def _pg_schema_url() -> tuple[str, str]:
    import psycopg

    schema = f"fleet_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f"create schema {schema}")
    sep = "&" if "?" in PG_URL else "?"
    return schema, f"{PG_URL}{sep}options=-csearch_path%3D{schema}"


def _drop(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        conn.execute(f"drop schema {schema} cascade")


def _check_commands(commands: list[dict[str, Any]], sps: SpsState) -> None:
    assert sum(op == "GetStatus" for op, _ in sps.requests) >= len(commands)  # polled ...
    assert sps.status_overlap == 1  # ... never by two processes at the same time
    tasks = Counter(t.client_reference for t in sps.tasks_of(CAMERA))
    assert tasks == Counter({c["id"]: 1 for c in commands})  # every command is exactly one SPS task
    for command in commands:
        assert len(command["reports"]) == len(set(command["reports"])), command  # each report once
        assert command["reports"][-1] == "COMPLETED"


COMMANDS = 10


async def test_fleet_on_postgresql(sps_server: SpsState, sos_pair: list[ServerRuntime], tmp_path: Path) -> None:
    require_postgres()
    sps_server.auto_progress(0.3)
    sps_server.status_delay = 0.1  # a poll lasts: two at once for one task would be seen
    expected = await _reference(tmp_path, sps_server, sos_pair)
    schema, url = await _pg_schema_url()
    store = await SqlStore.open(url)  # the schema exists before the fleet starts
    fleet = Fleet(_config(tmp_path, url, sps_server, sos_pair), tmp_path / "fleet.log")
    try:
        fleet.workers = [fleet.start("worker") for _ in range(3)]
        urls = [fleet.facade(), fleet.facade()]
        await _kill_a_worker_mid_run(fleet, store)
        for url_ in urls:
            await _up(url_)
        await asyncio.gather(*(_post(urls[i % 2], i) for i in range(COMMANDS // 2)))
        await _kill_mid_submit(fleet, store, sps_server)
        await asyncio.gather(*(_post(urls[1], i) for i in range(COMMANDS // 2, COMMANDS - 1)))
        commands = await _commands_final(urls[1], COMMANDS)
        rows = await _runs_done(store, ("sps1", "sos-a", "sos-b"))
        _check_commands(commands, sps_server)
        _no_overlap(rows, fleet.killed_at)
        assert sum(r.status == "interrupted" for r in rows) >= 1  # the killed run(s), resumed by another worker
        assert Counter(r.source for r in rows if r.status == "completed") == {"sps1": 1, "sos-a": 1, "sos-b": 1}
        assert sum(w.poll() is None for w in fleet.workers) == 1  # two were killed; the last one did the rest
        assert await snapshot(store) == expected
    finally:
        fleet.stop()
        await store.close()
        _drop(schema)


async def test_one_process_on_sqlite(sps_server: SpsState, sos_pair: list[ServerRuntime], tmp_path: Path) -> None:
    sps_server.auto_progress(0.3)
    sps_server.status_delay = 0.1
    expected = await _reference(tmp_path, sps_server, sos_pair)
    url = f"sqlite:///{tmp_path / 'one.db'}"
    store = await SqlStore.open(url)
    fleet = Fleet(_config(tmp_path, url, sps_server, sos_pair), tmp_path / "one.log")
    try:
        only = fleet.facade("--sync")
        await _up(only)
        await asyncio.gather(*(_post(only, i) for i in range(COMMANDS)))
        commands = await _commands_final(only, COMMANDS)
        rows = await _runs_done(store, ("sps1", "sos-a", "sos-b"))
        _check_commands(commands, sps_server)
        _no_overlap(rows, {})
        assert Counter(r.source for r in rows if r.status == "completed") == {"sps1": 1, "sos-a": 1, "sos-b": 1}
        assert await snapshot(store) == expected
    finally:
        fleet.stop()
        await store.close()
