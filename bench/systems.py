"""Part 1 benchmark: 10,000 systems in the SQLite store, served by a real HTTP server on loopback.

Measures `GET /systems?limit=100` (first page and 100th page) and `GET /systems/{id}`: median and
p99 latency and requests/s (sequential requests, one client).
Usage: python -m bench.systems [--systems N] [--requests N] [--store URL]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from bench.server import BridgeServer, percentile
from bridge.model.csapi import System
from bridge.store.sql.store import SqlStore


async def _fill(url: str, count: int) -> None:
    store = await SqlStore.open(url)
    try:
        for i in range(count):
            lon, lat = (i % 360) - 180 + 0.5, ((i // 360) % 180) - 90 + 0.5
            await store.create_feature(
                System(
                    uid=f"urn:x-bench:system:{i}",
                    name=f"Station {i}",
                    description=f"benchmark station number {i}",
                    feature_type="http://www.w3.org/ns/sosa/Sensor",
                    asset_type="Equipment",
                    geometry={"type": "Point", "coordinates": [lon, lat]},
                )
            )
    finally:
        await store.close()


def _time(client: httpx.Client, url: str, n: int) -> dict[str, float]:
    client.get(url).raise_for_status()  # warm-up
    times = []
    clock = time.perf_counter()
    for _ in range(n):
        start = time.perf_counter()
        client.get(url).raise_for_status()
        times.append((time.perf_counter() - start) * 1000)
    total = time.perf_counter() - clock
    return {
        "median_ms": round(statistics.median(times), 2),
        "p99_ms": round(percentile(times, 99), 2),
        "req_s": round(n / total),
    }


def _page_url(client: httpx.Client, number: int) -> str:
    url = "/systems?limit=100"
    for _ in range(number - 1):
        page = client.get(url).json()
        url = next(lk["href"] for lk in page["links"] if lk["rel"] == "next")
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--systems", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--store", default=None, help="store URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = args.store or f"sqlite:///{Path(tmp) / 'systems.db'}"
        asyncio.run(_fill(store, args.systems))
        server = BridgeServer(store)
        try:
            with httpx.Client(base_url=server.url, timeout=60) as client:
                page100 = _page_url(client, 100)
                one = client.get("/systems?limit=1").json()["features"][0]["id"]
                rows = {
                    "GET /systems?limit=100 (page 1)": _time(client, "/systems?limit=100", args.requests),
                    "GET /systems?limit=100 (page 100)": _time(client, page100, args.requests),
                    "GET /systems/{id}": _time(client, f"/systems/{one}", args.requests),
                }
        finally:
            server.stop()
    print("| request | median ms | p99 ms | requests/s |\n|---|---|---|---|")
    for name, r in rows.items():
        print(f"| {name} | {r['median_ms']} | {r['p99_ms']} | {r['req_s']} |")


if __name__ == "__main__":
    main()
