"""Takeover time of a fleet: from a worker's death (SIGKILL) to another worker holding its job's lease.

`python -m bench fleet [--ttl 5] [--rounds 5] [--workers 3] [--pg URL]`: `csapi-bridge worker` processes on one
PostgreSQL (default `BRIDGE_TEST_PG_URL`, a fresh schema) share one scheduled source whose legacy service never
answers, so its run lasts and its worker holds the lease `harvest:<source>`. Each round kills the holder and
times until another worker holds the lease (a new fencing token), then starts a replacement worker.

Compared, in the same run, with the best a single process can do without a fleet: a supervisor restarting the
killed worker at once (systemd `Restart=always`, no delay) — the new process starts and then waits out the dead
process's lease as well.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

from bridge.store.sql.store import SqlStore

PG_URL = os.environ.get("BRIDGE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
LEASE = "harvest:silent"


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


class Fleet:
    """Worker processes on one store, and a view of the lease they compete for."""

    def __init__(self, pg: str, ttl: float, tmp: Path) -> None:
        self.schema = f"bench_fleet_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(_plain(pg), autocommit=True) as conn:
            conn.execute(f"create schema {self.schema}")
        sep = "&" if "?" in pg else "?"
        self.store = f"{pg}{sep}options=-csearch_path%3D{self.schema}"
        self.pg = pg
        asyncio.run(self._create())
        self.silent = socket.socket()  # a legacy service that accepts connections and never answers
        self.silent.bind(("127.0.0.1", 0))
        self.silent.listen(64)
        port = self.silent.getsockname()[1]
        self.config = tmp / "fleet.toml"
        self.config.write_text(
            f'store = "{self.store}"\nlease_ttl = {ttl}\ncommand_poll_interval = 60\n\n'
            f'[[sources]]\nname = "silent"\ntype = "sta"\nurl = "http://127.0.0.1:{port}/v1.1/"\n'
            'schedule = "interval:1h"\ntimeout = 3600\nretries = 0\n',
            encoding="utf-8",
        )
        self.tmp = tmp
        self.workers: list[subprocess.Popen[bytes]] = []
        self.conn = psycopg.connect(_plain(pg), autocommit=True, options=f"-csearch_path={self.schema}")

    async def _create(self) -> None:
        store = await SqlStore.open(self.store)  # the schema exists before the workers start
        await store.close()

    def start(self, *, wait: bool = True) -> None:
        """One more `csapi-bridge worker`; with `wait`, return once it has started its jobs."""
        command = [sys.executable, "-m", "bridge.cli", "worker", "--config", str(self.config)]
        log = self.tmp / f"worker-{len(os.listdir(self.tmp))}.log"
        with log.open("wb") as out:
            self.workers.append(subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT))
        deadline = time.monotonic() + 120
        while wait and "scheduled source(s)" not in log.read_text(errors="replace"):
            if time.monotonic() > deadline or self.workers[-1].poll() is not None:
                raise RuntimeError(f"the worker did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.05)

    def holder(self) -> tuple[int, int] | None:
        """(pid of the holder, fencing token) of the lease while it is held."""
        row = self.conn.execute("select holder, token from leases where name = %s", (LEASE,)).fetchone()
        if row is None or row[0] is None:
            return None
        return int(row[0].split(":")[1]), int(row[1])

    def wait_holder(self, newer_than: int = 0, timeout: float = 120.0) -> tuple[int, int]:
        """Poll (every 5 ms) until a holder with a token above `newer_than` has the lease."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            held = self.holder()
            if held is not None and held[1] > newer_than:
                return held
            time.sleep(0.005)
        raise RuntimeError("nobody took the lease")

    def kill_holder(self) -> tuple[float, int]:
        """SIGKILL the holder; (the time of death, its token)."""
        pid, token = self.wait_holder()
        os.kill(pid, signal.SIGKILL)
        died = time.monotonic()
        for worker in self.workers:
            if worker.pid == pid:
                worker.wait()
                self.workers.remove(worker)
        return died, token

    def close(self) -> None:
        for worker in self.workers:
            worker.terminate()
        for worker in self.workers:
            worker.wait(timeout=10)
        self.conn.close()
        self.silent.close()
        with psycopg.connect(_plain(self.pg), autocommit=True) as conn:
            conn.execute(f"drop schema {self.schema} cascade")


def _fleet_takeovers(fleet: Fleet, workers: int, rounds: int) -> list[float]:
    for _ in range(workers):
        fleet.start()
    times = []
    for _ in range(rounds):
        died, token = fleet.kill_holder()
        fleet.wait_holder(newer_than=token)
        times.append(time.monotonic() - died)
        fleet.start()  # back to full strength (started before the next death)
    return times


def _restarts(fleet: Fleet, rounds: int) -> list[float]:
    fleet.start()
    times = []
    for _ in range(rounds):
        died, token = fleet.kill_holder()
        fleet.start(wait=False)  # the supervisor restarts it at once
        fleet.wait_holder(newer_than=token)
        times.append(time.monotonic() - died)
    return times


def _row(label: str, times: list[float]) -> str:
    return f"| {label} | {statistics.median(times):.2f} s | {min(times):.2f} s | {max(times):.2f} s | {len(times)} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ttl", type=float, default=5.0, help="lease_ttl of the workers (seconds)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--pg", default=PG_URL, help="SQLAlchemy URL of the PostgreSQL server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        fleet = Fleet(args.pg, args.ttl, Path(tmp))
        try:
            spares = _fleet_takeovers(fleet, args.workers, args.rounds)
        finally:
            fleet.close()
        single = Fleet(args.pg, args.ttl, Path(tmp))
        try:
            restarts = _restarts(single, args.rounds)
        finally:
            single.close()
    print(f"lease_ttl {args.ttl:g} s (heartbeat every {args.ttl / 3:.2f} s, workers look every "
          f"{min(args.ttl / 3, 5):.2f} s): from SIGKILL to another process holding the lease\n")  # fmt: skip
    print("| | median | min | max | rounds |\n|---|---|---|---|---|")
    print(_row(f"fleet: {args.workers} workers, one killed", spares))
    print(_row("one worker, restarted at once by a supervisor", restarts))


if __name__ == "__main__":
    main()
