"""Latency under load: `GET /` while a 50 MB SWE CSV is ingested, and while 16 clients read `limit=10000` pages.

The bridge runs as `csapi-bridge serve` (one uvicorn worker, SQLite by default). The load comes from another process
(so the probe's own timings are not slowed by the load's Python), the probe sends one `GET /` every 10 ms from this
process and keeps every latency. For comparison, the same probe on the idle bridge in the same run: the best a
client could see (target: p99 under 50 ms under either load).
Usage: python -m bench.latency [--mb 50] [--readers 16] [--seconds 20] [--seed 200000] [--store URL]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.observations import _csv, _ingest, _setup
from bench.server import BridgeServer, percentile

START = datetime(2020, 1, 1, tzinfo=UTC)


def _post_csv(url: str, ds: str, megabytes: int, offset: int, done: multiprocessing.synchronize.Event) -> None:
    """The load: one POST of a SWE CSV body of `megabytes` MB (timestamps after the seeded ones)."""
    try:
        sample = _csv(START, offset, 4000)
        body = _csv(START, offset, -(-megabytes * 2**20 * 4000 // len(sample)))  # lines of the sample's mean size
        with httpx.Client(base_url=url, timeout=3600) as client:
            started = time.perf_counter()
            r = client.post(
                f"/datastreams/{ds}/observations", content=body, headers={"Content-Type": "application/swe+csv"}
            )
            r.raise_for_status()
            print(
                f"  ingest: {len(body) / 2**20:.0f} MB, {r.json()['count']:,} observations in "
                f"{time.perf_counter() - started:.1f} s",
                flush=True,
            )
    finally:
        done.set()


async def _reader(client: httpx.AsyncClient, ds: str, media: str, until: float) -> int:
    pages = 0
    while time.monotonic() < until:
        url: str | None = f"/datastreams/{ds}/observations?limit=10000"
        while url and time.monotonic() < until:
            async with client.stream("GET", url, headers={"Accept": media}) as r:
                r.raise_for_status()
                async for _ in r.aiter_raw():
                    pass
            pages += 1
            url = r.links.get("next", {}).get("url")
    return pages


def _read_pages(url: str, ds: str, readers: int, seconds: float, done: multiprocessing.synchronize.Event) -> None:
    """The load: `readers` concurrent clients walking the datastream in pages of 10,000 (half JSON, half CSV)."""

    async def main() -> int:
        until = time.monotonic() + seconds
        limits = httpx.Limits(max_connections=readers)
        async with httpx.AsyncClient(base_url=url, timeout=600, limits=limits) as client:
            media = ["application/json", "application/swe+csv"]
            counts = await asyncio.gather(*(_reader(client, ds, media[i % 2], until) for i in range(readers)))
        return sum(counts)

    try:
        pages = asyncio.run(main())
        print(f"  readers: {readers} clients, {pages:,} pages of 10,000 in {seconds:.0f} s", flush=True)
    finally:
        done.set()


def _probe(client: httpx.Client, done: multiprocessing.synchronize.Event | None, count: int = 0) -> list[float]:
    """`GET /` every 10 ms until `done` is set (or `count` times); the latencies in ms."""
    times: list[float] = []
    while (done is not None and not done.is_set()) or (done is None and len(times) < count):
        clock = time.perf_counter()
        client.get("/").raise_for_status()
        times.append((time.perf_counter() - clock) * 1000)
        time.sleep(0.01)
    return times


def _row(name: str, times: list[float]) -> str:
    return (
        f"| {name} | {len(times):,} | {statistics.median(times):.1f} | {percentile(times, 99):.1f} | {max(times):.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=50, help="size of the ingested CSV body")
    parser.add_argument("--readers", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20, help="duration of the read load")
    parser.add_argument("--seed", type=int, default=200_000, help="observations stored before the read load")
    parser.add_argument("--store", default=None, help="store URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    context = multiprocessing.get_context("fork")  # the benchmark runs as __main__ (runpy): fork, not spawn
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        server = BridgeServer(args.store or f"sqlite:///{Path(tmp) / 'latency.db'}")
        try:
            with httpx.Client(base_url=server.url, timeout=60) as client:
                ds = _setup(client)
                _ingest(client, ds, args.seed, 50_000)
                rows.append(_row("idle", _probe(client, None, 500)))
                done = context.Event()
                load = context.Process(target=_post_csv, args=(server.url, ds, args.mb, args.seed, done))
                load.start()
                rows.append(_row(f"during a {args.mb} MB CSV POST", _probe(client, done)))
                load.join()
                done = context.Event()
                load = context.Process(target=_read_pages, args=(server.url, ds, args.readers, args.seconds, done))
                load.start()
                rows.append(_row(f"{args.readers} clients reading limit=10000 pages", _probe(client, done)))
                load.join()
        finally:
            server.stop()
    print("| `GET /` | requests | median ms | p99 ms | max ms |\n|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
