"""SensorThings harvest benchmark against the real test server (django-ogc-sensorthings on loopback).

Seeds N observations through the server's own API, harvests them into a fresh SQLite store while
recording every request, then GETs the very same URLs again without doing anything with the bodies.
Reports harvest time vs. plain GET time (the bridge's overhead), observations/s stored and the peak RSS
of the harvesting process.
Usage: python -m bench.sta_harvest [--observations N] [--page N]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bridge.jobs.run import run_harvest
from bridge.settings import SourceConfig
from bridge.store.sql.store import SqlStore
from tests.sta_server.bench import seed
from tests.sta_server.server import start_server


class RecordingTransport(httpx.AsyncBaseTransport):
    """Passes requests through and remembers their URLs."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.urls: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(str(request.url))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def bench(observations: int, page: int) -> dict[str, Any]:
    server = start_server()
    try:
        _, seed_seconds, _ = await seed(server.base_url, observations, 0)
        with tempfile.TemporaryDirectory() as tmp:
            store = await SqlStore.open(f"sqlite:///{Path(tmp) / 'sta.db'}")
            transport = RecordingTransport()
            source = SourceConfig(name="bench", type="sta", url=server.base_url, page_size=page)
            rss_before = _peak_mb()
            clock = time.perf_counter()
            report = await run_harvest(source, store, transport=transport)
            harvest_seconds = time.perf_counter() - clock
            rss_peak = _peak_mb()
            await store.close()
        clock = time.perf_counter()
        async with httpx.AsyncClient(timeout=600) as client:
            for url in transport.urls:
                await client.get(url)
        get_seconds = time.perf_counter() - clock
    finally:
        server.stop()
    return {
        "observations": report.observations,
        "requests": len(transport.urls),
        "seed_s": round(seed_seconds, 1),
        "harvest_s": round(harvest_seconds, 1),
        "plain_get_s": round(get_seconds, 1),
        "overhead_pct": round((harvest_seconds / get_seconds - 1) * 100, 1),
        "stored_obs_s": round(report.observations / harvest_seconds),
        "peak_rss_mb_before": round(rss_before),
        "peak_rss_mb": round(rss_peak),
        "status": report.status,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--observations", type=int, default=200_000)
    parser.add_argument("--page", type=int, default=10_000, help="dataArray $top")
    args = parser.parse_args()
    row = asyncio.run(bench(args.observations, args.page))
    print("| " + " | ".join(row) + " |\n|" + "---|" * len(row))
    print("| " + " | ".join(str(v) for v in row.values()) + " |")


if __name__ == "__main__":
    main()
