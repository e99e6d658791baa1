"""SensorThings harvest benchmark: the harvest against what the server delivers to a plain client, same run.

    python -m bench sta_harvest [--server istsos4|django] [--observations N] [--concurrency 1 4 ...]

`istsos4` (default): istSOS4, a real STA server on PostgreSQL, started from the shared servers folder
(`BRIDGE_ISTSOS4_DIR`, default `../shared/servers/istsos4`; `up.sh` needs root) in its own instance, emptied and
seeded through its own API with N observations in 6 Datastreams (two of them moving between features of
interest; istSOS4 has no MultiDatastream). Then, timed one after the other:

1. a plain single-client walk of `/Observations?$top=1000` along its next links, without `$expand` (the
   cheapest full read a client can make of this server; the bodies are decoded, nothing else);
2. the harvest into a fresh SQLite store with the default settings, then with each `--concurrency`.

Reported per read: observations/s, requests, the ratio to the walk, and the harvesting process's RSS at its
first and last batch and its peak during the read (targets: default ≥ 1.0× the walk, concurrency 4 ≥ 2×,
RSS flat). `django`: the same against django-ogc-sensorthings (started in a subprocess), whose JSON pages
stop at 100 rows, walked with `$top=100`.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import orjson

from bridge.jobs.run import RunReport, run_harvest
from bridge.settings import SourceConfig
from bridge.store.sql.store import SqlStore


def rss_mb() -> float:
    """Resident set size of this process now (MB)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * 4096 / 1e6


class RssTrace:
    """RSS at the first and last stored batch of observations of a run, and its peak (sampled after every batch)."""

    def __init__(self) -> None:
        self.samples: list[float] = []

    def __call__(self, report: RunReport, event: str) -> None:
        if report.observations:
            self.samples.append(rss_mb())

    def summary(self) -> str:
        if not self.samples:
            return "-"
        return f"{self.samples[0]:.0f} / {self.samples[-1]:.0f} MB ({max(self.samples):.0f} MB)"


async def walk(root: str, top: int) -> tuple[int, int, float]:
    """(observations, requests, seconds) of a nextLink walk of `/Observations?$top=top`."""
    began = time.perf_counter()
    count = requests = 0
    url: str | None = f"{root.rstrip('/')}/Observations?$top={top}"
    async with httpx.AsyncClient(timeout=600) as client:
        while url:
            response = await client.get(url)
            response.raise_for_status()
            doc = orjson.loads(response.content)
            requests += 1
            count += len(doc["value"])
            url = doc.get("@iot.nextLink")
    return count, requests, time.perf_counter() - began


async def harvest(root: str, concurrency: int | None) -> tuple[RunReport, float, str]:
    """One harvest into a fresh SQLite store: the report, wall seconds, the RSS trace."""
    options: dict[str, Any] = {} if concurrency is None else {"concurrency": concurrency}
    source = SourceConfig(name="bench", type="sta", url=root, **options)
    trace = RssTrace()
    with tempfile.TemporaryDirectory() as tmp:
        store = await SqlStore.open(f"sqlite:///{Path(tmp) / 'sta.db'}")
        began = time.perf_counter()
        report = await run_harvest(source, store, progress=trace)
        seconds = time.perf_counter() - began
        await store.close()
    return report, seconds, trace.summary()


async def istsos4(observations: int) -> tuple[str, Callable[[], None], int]:
    """istSOS4's bench instance, emptied and seeded: (service root, stop, walk page size)."""
    from tests.istsos4.seed import bench_plan, clear, seed
    from tests.istsos4.server import BENCH

    root = BENCH.start()
    await clear(root)
    began = time.perf_counter()
    seeded = await seed(root, bench_plan(observations))
    print(f"seeded {seeded.observation_count} observations in {len(seeded.streams)} datastreams "
          f"in {time.perf_counter() - began:.1f} s", flush=True)  # fmt: skip
    return root, lambda: None, 1000


async def django(observations: int) -> tuple[str, Callable[[], None], int]:
    """A fresh django-ogc-sensorthings, seeded: (service root, stop, walk page size)."""
    from tests.sta_server.bench import seed
    from tests.sta_server.server import start_server

    server = start_server()
    _, seconds, _ = await seed(server.base_url, observations, 0)
    print(f"seeded {observations} observations in {seconds:.1f} s", flush=True)
    return server.base_url, server.stop, 100


async def bench(server: str, observations: int, concurrencies: list[int]) -> list[dict[str, Any]]:
    """The walk, then the harvests; one row each."""
    root, stop, top = await (istsos4 if server == "istsos4" else django)(observations)
    rows: list[dict[str, Any]] = []
    try:
        count, requests, seconds = await walk(root, top)
        walk_rate = count / seconds
        rows.append({"read": f"plain walk of /Observations?$top={top}", "observations": count, "requests": requests,
                     "seconds": round(seconds, 1), "obs/s": round(walk_rate), "× walk": "1.0", "RSS": "-"})  # fmt: skip
        for concurrency in [None, *concurrencies]:
            report, seconds, rss = await harvest(root, concurrency)
            label = "harvest, default settings" if concurrency is None else f"harvest, concurrency={concurrency}"
            rate = report.observations / seconds
            rows.append({"read": label, "observations": report.observations, "requests": report.requests,
                         "seconds": round(seconds, 1), "obs/s": round(rate), "× walk": f"{rate / walk_rate:.1f}",
                         "RSS": rss})  # fmt: skip
            if report.status != "completed":
                print(f"{label}: {report.status}: {report.errors[:3]}")
            print(f"{label}: reading {orjson.dumps(report.reading).decode()}", flush=True)
    finally:
        stop()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--server", choices=("istsos4", "django"), default="istsos4")
    parser.add_argument("--observations", type=int, default=200_000)
    parser.add_argument("--concurrency", type=int, nargs="*", default=[1, 4], help="harvests besides the default")
    args = parser.parse_args()
    from tests.istsos4.server import Istsos4Unavailable

    try:
        rows = asyncio.run(bench(args.server, args.observations, args.concurrency))
    except Istsos4Unavailable as exc:
        print(f"sta_harvest not run: {exc} (`--server django` needs no istSOS4)")
        return
    print("\n| " + " | ".join(rows[0]) + " |\n|" + "---|" * len(rows[0]))
    for row in rows:
        print("| " + " | ".join(str(v) for v in row.values()) + " |")


if __name__ == "__main__":
    main()
