"""Part 2 benchmark: observations of one datastream (200,000 by default, 1,000,000 for the README), on SQLite and
PostgreSQL, each figure beside its floor timed in the same run (`bench.floors`).

Measures batch ingest via POST in SWE CSV (floor: the same rows through the bare driver, SQLite `executemany` /
PostgreSQL binary COPY, into a table of the same shape), reading the whole datastream through `next` links in SWE
CSV and in JSON (floor: a bare keyset walk of the same rows), `resultTime=latest` latency (floors: the bare indexed
query, in-process and behind a bare ASGI service on uvicorn), and the server's RSS along the way. Each repetition
runs floors and bridge back to back on fresh databases; ratios are the median of the per-repetition ratios.
Usage: python -m bench.observations [--count N] [--batch N] [--page N] [--repeat N] [--pg URL] [--sqlite-only]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench import floors
from bench.server import TEMPERATURE_SCHEMA, BareServer, BridgeServer, bench_system, percentile

LATEST_REQUESTS = 300


def _csv(start: datetime, offset: int, count: int) -> bytes:
    lines = []
    for i in range(offset, offset + count):
        t = start + timedelta(seconds=i)
        lines.append(f"{t:%Y-%m-%dT%H:%M:%S}Z,{(i % 4000) / 100:.2f}\n")
    return "".join(lines).encode()


def _setup(client: httpx.Client) -> str:
    system = bench_system("bench")
    sid = client.post("/systems", json=system).headers["location"].rsplit("/", 1)[1]
    body = {"name": "bench temperature", "schema": TEMPERATURE_SCHEMA}
    return client.post(f"/systems/{sid}/datastreams", json=body).headers["location"].rsplit("/", 1)[1]


def _ingest(client: httpx.Client, ds: str, count: int, batch: int) -> float:
    start = datetime(2020, 1, 1, tzinfo=UTC)
    bodies = [_csv(start, off, min(batch, count - off)) for off in range(0, count, batch)]
    clock = time.perf_counter()
    for body in bodies:
        r = client.post(
            f"/datastreams/{ds}/observations", content=body, headers={"Content-Type": "application/swe+csv"}
        )
        r.raise_for_status()
    return count / (time.perf_counter() - clock)


def _read(client: httpx.Client, server: BridgeServer, ds: str, media: str, page: int) -> tuple[float, int, list[float]]:
    url: str | None = f"/datastreams/{ds}/observations?limit={page}"
    total, rss = 0, []
    clock = time.perf_counter()
    while url:
        r = client.get(url, headers={"Accept": media})
        r.raise_for_status()
        if media == "application/json":
            doc = r.json()
            total += len(doc["items"])
            url = next((lk["href"] for lk in doc["links"] if lk["rel"] == "next"), None)
        else:
            total += r.content.count(b"\n")
            url = r.links.get("next", {}).get("url")
        rss.append(server.rss_mb()[0])
    return total / (time.perf_counter() - clock), total, rss


def _latest(client: httpx.Client, ds: str, path: str = "") -> tuple[float, float]:
    url = path or f"/datastreams/{ds}/observations?resultTime=latest"
    client.get(url).raise_for_status()  # warm-up (connection, caches)
    times = []
    for _ in range(LATEST_REQUESTS):
        clock = time.perf_counter()
        client.get(url).raise_for_status()
        times.append((time.perf_counter() - clock) * 1000)
    return statistics.median(times), percentile(times, 99)


def _latest_floors(database: str, bare_query: Any) -> dict[str, float]:
    """p99 of the bare indexed latest query: on the driver in-process, and behind the bare ASGI service."""
    _, query_p99 = bare_query()
    bare = BareServer(database)
    try:
        with httpx.Client(base_url=bare.url, timeout=60) as client:
            _, http_p99 = _latest(client, "", path="/latest")
    finally:
        bare.stop()
    return {"query": query_p99, "http": http_p99}


def _measure(server: BridgeServer, count: int, batch: int, page: int) -> dict[str, Any]:
    """The bridge's own figures, over HTTP."""
    with httpx.Client(base_url=server.url, timeout=600) as client:
        ds = _setup(client)
        ingest = _ingest(client, ds, count, batch)
        rss_before = server.rss_mb()
        csv_rate, csv_total, csv_rss = _read(client, server, ds, "application/swe+csv", page)
        json_rate, json_total, json_rss = _read(client, server, ds, "application/json", page)
        latest = _latest(client, ds)
    assert csv_total == json_total == count, (csv_total, json_total, count)
    return {
        "ingest": ingest,
        "csv": csv_rate,
        "json": json_rate,
        "latest_median": latest[0],
        "latest_p99": latest[1],
        "rss": (rss_before[0], csv_rss[0], csv_rss[-1], json_rss[-1], server.rss_mb()[1]),
    }


def run_sqlite(tmp: Path, rep: int, args: argparse.Namespace) -> dict[str, Any]:
    """One repetition on SQLite: the floors on a fresh file, then the bridge on another, back to back."""
    data = floors.rows(floors.START, args.count)
    path = str(tmp / f"floor{rep}.db")
    insert = floors.sqlite_insert(path, data, args.batch)
    keyset, total = floors.sqlite_keyset(path, args.page)
    assert total == args.count
    latest = _latest_floors(f"sqlite:{path}", lambda: floors.sqlite_latest(path, LATEST_REQUESTS))
    server = BridgeServer(f"sqlite:///{tmp / f'bench{rep}.db'}")
    try:
        bridge = _measure(server, args.count, args.batch, args.page)
    finally:
        server.stop()
    return {"floor_insert": insert, "floor_keyset": keyset, "floor_latest": latest, **bridge}


def run_pg(rep: int, args: argparse.Namespace) -> dict[str, Any]:
    """One repetition on PostgreSQL: the floors in a throw-away schema, then the bridge in another."""
    plain = args.pg.replace("postgresql+psycopg://", "postgresql://")
    data = floors.rows(floors.START, args.count)
    with floors.pg_schema(plain) as floor_schema:
        insert = floors.pg_copy(plain, floor_schema, data, args.batch)
        keyset, total = floors.pg_keyset(plain, floor_schema, args.page)
        assert total == args.count
        latest = _latest_floors(
            f"pg:{floor_schema}:{plain}", lambda: floors.pg_latest(plain, floor_schema, LATEST_REQUESTS)
        )
    with floors.pg_schema(plain) as schema:
        server = BridgeServer(f"{args.pg}?options=-csearch_path%3D{schema}")
        try:
            bridge = _measure(server, args.count, args.batch, args.page)
        finally:
            server.stop()
    return {"floor_insert": insert, "floor_keyset": keyset, "floor_latest": latest, **bridge}


def summary(label: str, count: int, reps: list[dict[str, Any]]) -> dict[str, str]:
    """Ratios (median over the repetitions, each ratio taken within one repetition) first, then the absolute
    figures of the best repetition of each."""

    def ratio(num: str, den: Any) -> str:
        return f"{statistics.median(r[num] / den(r) for r in reps):.2f}"

    def best(key: str, low: bool = False) -> float:
        return float((min if low else max)(r[key] for r in reps))

    rss = min(reps, key=lambda r: r["rss"][4])["rss"]
    return {
        "store": label,
        "observations": f"{count:,}",
        "ingest / driver floor": ratio("ingest", lambda r: r["floor_insert"]),
        "CSV read / keyset floor": ratio("csv", lambda r: r["floor_keyset"]),
        "JSON read / keyset floor": ratio("json", lambda r: r["floor_keyset"]),
        "latest p99 / bare service p99": ratio("latest_p99", lambda r: r["floor_latest"]["http"]),
        "latest p99 / bare query p99": ratio("latest_p99", lambda r: r["floor_latest"]["query"]),
        "ingest obs/s (floor)": f"{best('ingest'):,.0f} ({best('floor_insert'):,.0f})",
        "CSV read obs/s (floor)": f"{best('csv'):,.0f} ({best('floor_keyset'):,.0f})",
        "JSON read obs/s": f"{best('json'):,.0f}",
        "latest median / p99 ms": f"{best('latest_median', True):.2f} / {best('latest_p99', True):.2f}",
        "bare service / query p99 ms": (
            f"{min(r['floor_latest']['http'] for r in reps):.2f} / {min(r['floor_latest']['query'] for r in reps):.3f}"
        ),
        "RSS start / first / last page / JSON last (peak) MB": "{:.0f} / {:.0f} / {:.0f} / {:.0f} ({:.0f})".format(
            *rss
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=200_000, help="observations (the README's figures: 1000000)")
    parser.add_argument("--batch", type=int, default=50_000, help="observations per POST")
    parser.add_argument("--page", type=int, default=10_000, help="limit of each GET page")
    parser.add_argument("--repeat", type=int, default=3, help="repetitions (ratios: median; absolute: best)")
    default_pg = os.environ.get("BRIDGE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--pg", default=default_pg, help="PostgreSQL URL (default: $BRIDGE_TEST_PG_URL or local)")
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        reps = [run_sqlite(Path(tmp), rep, args) for rep in range(args.repeat)]
    results.append(summary("SQLite", args.count, reps))
    if not args.sqlite_only:
        results.append(summary("PostgreSQL", args.count, [run_pg(rep, args) for rep in range(args.repeat)]))
    keys = list(results[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for row in results:
        print("| " + " | ".join(str(row[k]) for k in keys) + " |")


if __name__ == "__main__":
    main()
