"""Part 1 benchmark: 10,000 systems in the SQLite store, served by a real HTTP server on loopback.

Measures `GET /systems?limit=100` (first page and 100th page) and `GET /systems/{id}`: median and
p99 latency and requests/s (sequential requests, one client), each beside its floor timed in the same run: the same
bytes answered by a bare ASGI app on uvicorn (`bench.bare_app`), the ratio of p99s first.
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

from bench.server import BareServer, BridgeServer, percentile
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


def _stats(times: list[float]) -> dict[str, float]:
    return {
        "median_ms": round(statistics.median(times), 2),
        "p99_ms": round(percentile(times, 99), 2),
        "req_s": round(1000 * len(times) / sum(times)),
    }


def _time(client: httpx.Client, url: str, floor: httpx.Client, n: int) -> tuple[dict[str, float], dict[str, float]]:
    """(bridge, bare) latencies of `url` and of the bare app's `/blob`, requests interleaved (same conditions)."""
    client.get(url).raise_for_status()  # warm-up
    floor.get("/blob").raise_for_status()
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(n):
        for target, path, out in ((client, url, times[0]), (floor, "/blob", times[1])):
            start = time.perf_counter()
            target.get(path).raise_for_status()
            out.append((time.perf_counter() - start) * 1000)
    return _stats(times[0]), _stats(times[1])


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
        server, bare = BridgeServer(store), BareServer()
        try:
            with httpx.Client(base_url=server.url, timeout=60) as client, httpx.Client(base_url=bare.url) as floor:
                page100 = _page_url(client, 100)
                one = client.get("/systems?limit=1").json()["features"][0]["id"]
                urls = {
                    "GET /systems?limit=100 (page 1)": "/systems?limit=100",
                    "GET /systems?limit=100 (page 100)": page100,
                    "GET /systems/{id}": f"/systems/{one}",
                }
                rows = {}
                for name, url in urls.items():
                    body = client.get(url).content
                    floor.put("/blob", content=body).raise_for_status()  # the bare app answers these bytes
                    rows[name] = (*_time(client, url, floor, args.requests), len(body))
        finally:
            server.stop()
            bare.stop()
    print("| request | p99 / bare p99 | median / bare median | median ms | p99 ms | requests/s | bare median / p99 |")
    print("|---|---|---|---|---|---|---|")
    for name, (r, f, size) in rows.items():
        print(
            f"| {name} ({size:,} bytes) | {r['p99_ms'] / f['p99_ms']:.2f} | {r['median_ms'] / f['median_ms']:.2f} "
            f"| {r['median_ms']} | {r['p99_ms']} | {r['req_s']} | {f['median_ms']} / {f['p99_ms']} |"
        )


if __name__ == "__main__":
    main()
