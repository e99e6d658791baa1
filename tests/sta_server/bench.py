"""Benchmark: start the real STA server, seed N observations through its API, read them back with StaReader.

Run: `python -m tests.sta_server.bench --observations 200000` (from the repository root).
Prints server start-up time, seeding rates (bulk CreateObservations and one-by-one POST) and
StaReader throughput in dataArray and plain JSON mode. Loopback only; bounded by N.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime, timedelta

import httpx

from bridge.sources.http import HttpPolicy, PoliteClient
from bridge.sources.sta import StaReader, StaReaderConfig
from tests.sta_server.seed import (
    SeedResult,
    bulk_observations,
    create,
    create_stream,
    create_thing,
    post_observations,
    series,
)
from tests.sta_server.server import start_server

START = datetime(2020, 1, 1, tzinfo=UTC)


async def seed(base_url: str, total: int, single: int) -> tuple[SeedResult, float, float]:
    """One Thing/Sensor/property, one bulk Datastream of `total` rows and one of `single` single POSTs."""
    result = SeedResult()
    async with httpx.AsyncClient(base_url=base_url, timeout=300) as client:
        thing = await create_thing(client, result, "Bench", 7.0, 51.0)
        sensor = await create(
            client, "Sensors", {"name": "s", "description": "s", "encodingType": "application/pdf", "metadata": "m"}
        )
        prop = await create(client, "ObservedProperties", {"name": "p", "description": "p", "definition": "http://p"})
        bulk = await create_stream(client, result, "bulk", thing, sensor, prop)
        one_by_one = await create_stream(client, result, "single", thing, sensor, prop)
        began = time.perf_counter()
        await bulk_observations(client, bulk, series(START, total, timedelta(seconds=30), 0.0))
        bulk_seconds = time.perf_counter() - began
        began = time.perf_counter()
        await post_observations(client, one_by_one, series(START, single, timedelta(seconds=30), 0.0))
        single_seconds = time.perf_counter() - began
    return result, bulk_seconds, single_seconds


async def read_back(
    base_url: str, stream_id: str, expected: int, window: int = 0, **config: object
) -> tuple[float, int, dict[str, int]]:
    """Read one datastream completely (in `window`-observation time windows when > 0)."""
    async with PoliteClient(HttpPolicy(timeout=300)) as client:
        reader = StaReader(client, base_url, StaReaderConfig(**config))  # type: ignore[arg-type]
        stream = next(d for d in [d async for d in reader.datastreams()] if d.id == stream_id)
        began = time.perf_counter()
        count = 0
        ids: set[str] = set()
        step = timedelta(seconds=30 * window)
        windows = [(START + k * step, START + (k + 1) * step) for k in range(-(-expected // window))] if window else []
        for since, until in windows or [(None, None)]:
            async for batch in reader.observations(stream, since, until, foi=False):
                count += len(batch.observations)
                ids.update(o.id for o in batch.observations)
        seconds = time.perf_counter() - began
        if count != expected or len(ids) != expected:
            raise SystemExit(f"read {count} observations ({len(ids)} distinct), expected {expected}")
        return seconds, count, {"requests": client.stats.requests, "bytes": client.stats.bytes}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--observations", type=int, default=200_000)
    parser.add_argument("--single", type=int, default=500, help="observations POSTed one by one")
    parser.add_argument("--json-limit", type=int, default=200_000, help="skip the JSON read above this size")
    parser.add_argument("--window", type=int, default=10_000, help="observations per time window (windowed read)")
    parser.add_argument("--runs", default="windowed,da1000,da10000,json", help="comma-separated reads to run")
    args = parser.parse_args()
    server = start_server()
    try:
        print(f"server start: {server.startup_seconds:.2f} s (migrate {server.migrate_seconds:.2f} s)")
        result, bulk_s, single_s = asyncio.run(seed(server.base_url, args.observations, args.single))
        print(f"seed bulk: {args.observations} obs in {bulk_s:.1f} s = {args.observations / bulk_s:,.0f} obs/s")
        print(f"seed single POST: {args.single} obs in {single_s:.1f} s = {args.single / single_s:,.0f} obs/s")
        bulk = result.streams[0]
        runs: tuple[tuple[str, dict[str, object]], ...] = (
            ("windowed", {"data_array_page_size": 1000, "window": args.window}),
            ("da1000", {"data_array_page_size": 1000}),
            ("da10000", {"data_array_page_size": 10000}),
            ("json", {"use_data_array": False}),
        )
        for label, config in runs:
            if label not in args.runs.split(","):
                continue
            if label == "json" and args.observations > args.json_limit:
                continue
            seconds, count, stats = asyncio.run(read_back(server.base_url, bulk.id, args.observations, **config))  # type: ignore[arg-type]
            print(f"read {label}: {count} obs in {seconds:.1f} s = {count / seconds:,.0f} obs/s {stats}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
