"""Facade throughput with 1, 2 and 4 `csapi-bridge serve` replicas on one PostgreSQL.

Pages measured: `GET /systems?limit=100` (a 100-item page of 1,000 systems) and `GET /datastreams/{id}/observations?
limit=100` (a 100-observation page of 10,000). Load comes from `wrk` (Debian package `wrk`) in separate processes:
one per replica, the connections split evenly among them (a client-side balancer: no proxy in the way). Beside
each figure, the floor: the same number of bare ASGI apps (`bench/floor.py`, the same uvicorn) answering the same
bytes — what the HTTP server and loopback alone allow on this machine. The store is a fresh schema of the
PostgreSQL server (`BRIDGE_BENCH_PG_URL`, default the test server), dropped at the end.

Usage: python -m bench replicas [--replicas 1,2,4] [--seconds 8] [--connections 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import psycopg

from bench.observations import _csv, _setup
from bench.server import BridgeServer, free_port
from bench.systems import _fill

PG_URL = os.environ.get("BRIDGE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _load(client: httpx.Client, systems: int, observations: int) -> str:
    """Fill the store (systems directly, observations through the API); the observation page's path."""
    ds = _setup(client)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    for offset in range(0, observations, 5000):
        body = _csv(start, offset, min(5000, observations - offset))
        client.post(f"/datastreams/{ds}/observations", content=body,
                    headers={"Content-Type": "application/swe+csv"}).raise_for_status()  # fmt: skip
    return f"/datastreams/{ds}/observations?limit=100"


class Floor:
    """A bare ASGI app (bench/floor.py) under uvicorn, answering `body` to everything."""

    def __init__(self, body: Path, media: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "BENCH_FLOOR_BODY": str(body), "BENCH_FLOOR_TYPE": media}
        args = [sys.executable, "-m", "uvicorn", "bench.floor:app", "--port", str(self.port), "--log-level", "warning"]
        self.proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(self.url, timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("the floor app did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def _wrk(urls: list[str], seconds: int, connections: int) -> tuple[float, float]:
    """Requests/s summed over one wrk per URL (connections split among them), and the worst p99 in ms."""
    each = max(1, connections // len(urls))
    procs = [
        subprocess.Popen(
            ["wrk", "-t1", f"-c{each}", f"-d{seconds}s", "--latency", url],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for url in urls
    ]
    total, p99 = 0.0, 0.0
    for proc in procs:
        out = proc.communicate(timeout=seconds + 60)[0]
        if "Non-2xx" in out or "Socket errors" in out:
            raise RuntimeError(f"wrk saw errors:\n{out}")
        total += float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
        value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        p99 = max(p99, float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit])
    return total, p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replicas", default="1,2,4")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--systems", type=int, default=1000)
    parser.add_argument("--observations", type=int, default=10_000)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    counts = [int(n) for n in args.replicas.split(",")]
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_plain(PG_URL), autocommit=True) as conn:
        conn.execute(f"create schema {schema}")
    store = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    rows: list[tuple[str, int, float, float, float, float]] = []
    try:
        asyncio.run(_fill(store, args.systems))
        first = BridgeServer(store)
        with tempfile.TemporaryDirectory() as tmp:
            try:
                with httpx.Client(base_url=first.url, timeout=120) as client:
                    observations = _load(client, args.systems, args.observations)
                    pages = {
                        "systems page (100 items)": "/systems?limit=100",
                        "observations page (100 items)": observations,
                    }
                    bodies = {}
                    for name, path in pages.items():
                        answer = client.get(path)
                        answer.raise_for_status()
                        bodies[name] = (Path(tmp) / f"{len(bodies)}.body", answer.headers["content-type"])
                        bodies[name][0].write_bytes(answer.content)
            finally:
                first.stop()
            for count in counts:
                servers = [BridgeServer(store) for _ in range(count)]
                floors = {name: [Floor(*bodies[name]) for _ in range(count)] for name in pages}
                try:
                    for name, path in pages.items():
                        bridge = _wrk([s.url + path for s in servers], args.seconds, args.connections)
                        floor = _wrk([f.url + path for f in floors[name]], args.seconds, args.connections)
                        rows.append((name, count, *bridge, *floor))
                        print(f"{name}, {count} replica(s): {bridge[0]:.0f} req/s (floor {floor[0]:.0f})", flush=True)
                finally:
                    for server in servers:
                        server.stop()
                    for group in floors.values():
                        for f in group:
                            f.stop()
    finally:
        with psycopg.connect(_plain(PG_URL), autocommit=True) as conn:
            conn.execute(f"drop schema {schema} cascade")
    print(f"\n{os.cpu_count()} CPU(s); wrk: {args.connections} connections in all, {args.seconds} s per figure\n")
    print("| page | replicas | requests/s | p99 ms | bare ASGI floor requests/s | floor p99 ms |")
    print("|---|---|---|---|---|---|")
    for name, count, rate, p99, floor_rate, floor_p99 in rows:
        print(f"| {name} | {count} | {rate:.0f} | {p99:.1f} | {floor_rate:.0f} | {floor_p99:.1f} |")


if __name__ == "__main__":
    main()
