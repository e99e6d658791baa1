"""Part 2 benchmark: 1,000,000 observations in one datastream, on SQLite and PostgreSQL.

Measures batch ingest via POST in SWE CSV, reading the whole datastream through `next` links in
SWE CSV and in JSON, `resultTime=latest` latency, and the server's RSS along the way.
Usage: python -m bench.observations [--count N] [--batch N] [--page N] [--pg URL] [--sqlite-only]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg

from bench.server import BridgeServer, percentile

SCHEMA = {
    "obsFormat": "application/json",
    "resultSchema": {
        "type": "Quantity",
        "name": "temp",
        "label": "Air temperature",
        "definition": "http://mmisw.org/ont/cf/parameter/air_temperature",
        "uom": {"code": "Cel"},
    },
}


def _csv(start: datetime, offset: int, count: int) -> bytes:
    lines = []
    for i in range(offset, offset + count):
        t = start + timedelta(seconds=i)
        lines.append(f"{t:%Y-%m-%dT%H:%M:%S}Z,{(i % 4000) / 100:.2f}\n")
    return "".join(lines).encode()


def _setup(client: httpx.Client) -> str:
    system = {
        "type": "Feature",
        "geometry": None,
        "properties": {"uid": f"urn:x-bench:{uuid.uuid4()}", "name": "bench", "featureType": "sosa:Sensor"},
    }
    sid = client.post("/systems", json=system).headers["location"].rsplit("/", 1)[1]
    body = {"name": "bench temperature", "schema": SCHEMA}
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


def _latest(client: httpx.Client, ds: str) -> tuple[float, float]:
    times = []
    for _ in range(200):
        clock = time.perf_counter()
        client.get(f"/datastreams/{ds}/observations?resultTime=latest").raise_for_status()
        times.append((time.perf_counter() - clock) * 1000)
    return statistics.median(times), percentile(times, 99)


def run(store: str, label: str, count: int, batch: int, page: int) -> dict[str, object]:
    server = BridgeServer(store)
    try:
        with httpx.Client(base_url=server.url, timeout=600) as client:
            ds = _setup(client)
            ingest = _ingest(client, ds, count, batch)
            rss_before = server.rss_mb()
            csv_rate, csv_total, csv_rss = _read(client, server, ds, "application/swe+csv", page)
            json_rate, json_total, json_rss = _read(client, server, ds, "application/json", page)
            latest = _latest(client, ds)
            peak = server.rss_mb()[1]
    finally:
        server.stop()
    assert csv_total == json_total == count, (csv_total, json_total, count)
    return {
        "store": label,
        "observations": count,
        "ingest_obs_s": round(ingest),
        "read_csv_obs_s": round(csv_rate),
        "read_json_obs_s": round(json_rate),
        "latest_median_ms": round(latest[0], 2),
        "latest_p99_ms": round(latest[1], 2),
        "rss_start_mb": round(rss_before[0]),
        "rss_first_page_mb": round(csv_rss[0]),
        "rss_last_page_mb": round(csv_rss[-1]),
        "rss_json_last_page_mb": round(json_rss[-1]),
        "peak_rss_mb": round(peak),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=50_000, help="observations per POST")
    parser.add_argument("--page", type=int, default=10_000, help="limit of each GET page")
    default_pg = os.environ.get("BRIDGE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--pg", default=default_pg, help="PostgreSQL URL (default: $BRIDGE_TEST_PG_URL or local)")
    parser.add_argument("--sqlite-only", action="store_true")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        results.append(run(f"sqlite:///{Path(tmp) / 'bench.db'}", "SQLite", args.count, args.batch, args.page))
    if not args.sqlite_only:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        plain = args.pg.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f"create schema {schema}")
        try:
            url = f"{args.pg}?options=-csearch_path%3D{schema}"
            results.append(run(url, "PostgreSQL", args.count, args.batch, args.page))
        finally:
            with psycopg.connect(plain, autocommit=True) as conn:
                conn.execute(f"drop schema {schema} cascade")
    keys = list(results[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for row in results:
        print("| " + " | ".join(str(row[k]) for k in keys) + " |")


if __name__ == "__main__":
    main()
