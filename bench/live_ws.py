"""Live WebSocket streams: `csapi-bridge serve` in a subprocess (SQLite file, or PostgreSQL with --pg).

1. Latency from an HTTP POST of an observation batch to a WebSocket client of the datastream (p50/p99), against the
   best a client can do without a socket in the same run: polling `GET …/observations?phenomenonTime=<last>/..`
   every `--poll` seconds.
2. Fan-out: `--clients` WebSocket clients of one datastream while observations are posted at `--rate` per second
   (batches every 0.1 s) for `--seconds`: latency p50/p99 from the POST to each client, in SWE CSV (a frame per
   batch) and JSON (a frame per observation, `--json-clients`), and the server's RSS at start and end.

Usage: python -m bench live-ws [--rounds N] [--clients N] [--rate N] [--seconds S] [--pg URL]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect

from bench.server import TEMPERATURE_SCHEMA, BridgeServer, bench_system, percentile

T0 = datetime(2020, 1, 1, tzinfo=UTC)


def stamp(i: int) -> str:
    """The phenomenon time of observation `i` (one per millisecond from T0): the key back to its batch."""
    return (T0 + timedelta(milliseconds=i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def index_of(text: str) -> int:
    when = datetime.fromisoformat(text)
    return round((when - T0) / timedelta(milliseconds=1))


def batch_body(first: int, count: int) -> bytes:
    return orjson.dumps([{"phenomenonTime": stamp(i), "result": i % 4000 / 100} for i in range(first, first + count)])


async def setup(http: httpx.AsyncClient) -> str:
    system = bench_system("live bench")
    sid = (await http.post("/systems", json=system)).headers["location"].rsplit("/", 1)[1]
    body = {"name": "live temperature", "schema": TEMPERATURE_SCHEMA}
    r = await http.post(f"/systems/{sid}/datastreams", json=body)
    return str(r.headers["location"].rsplit("/", 1)[1])


async def post(http: httpx.AsyncClient, ds: str, first: int, count: int) -> None:
    headers = {"Content-Type": "application/json"}
    r = await http.post(f"/datastreams/{ds}/observations", content=batch_body(first, count), headers=headers)
    assert r.status_code == 201, r.text


def frame_indexes(frame: Any) -> list[int]:
    """The observation indexes a frame carries (JSON: one observation; CSV: one per line)."""
    if frame[:1] == "{":
        return [index_of(orjson.loads(frame)["phenomenonTime"])]
    return [index_of(line.split(",", 1)[0]) for line in frame.splitlines() if line]


async def latency_ws(
    http: httpx.AsyncClient, ws_url: str, ds: str, rounds: int, batch: int
) -> tuple[list[float], list[float]]:
    """POST → the last observation of the batch on the socket, `rounds` times (ms); and the POST's own times."""
    out: list[float] = []
    answered: list[float] = []
    async with connect(f"{ws_url}/datastreams/{ds}/observations") as ws:
        for r in range(rounds):
            first = 10_000_000 + r * batch
            clock = time.perf_counter()
            await post(http, ds, first, batch)
            answered.append((time.perf_counter() - clock) * 1000)
            seen = 0
            while seen < batch:
                seen += len(frame_indexes(await asyncio.wait_for(ws.recv(), 10)))
            out.append((time.perf_counter() - clock) * 1000)
    return out, answered


async def latency_poll(http: httpx.AsyncClient, ds: str, rounds: int, batch: int, interval: float) -> list[float]:
    """POST → a poller (GET of what is newer than the last it saw, every `interval` s) has the batch (ms)."""
    out: list[float] = []
    seen_until = stamp(20_000_000)
    posted: dict[int, float] = {}
    done = asyncio.Event()

    async def poller() -> None:
        nonlocal seen_until
        while not done.is_set():
            r = await http.get(
                f"/datastreams/{ds}/observations", params={"phenomenonTime": f"{seen_until}/..", "limit": 10_000}
            )
            now = time.perf_counter()
            for obs in r.json()["items"]:
                i = index_of(obs["phenomenonTime"])
                if i in posted:
                    out.append((now - posted.pop(i)) * 1000)
                    seen_until = max(seen_until, stamp(i + 1))
            await asyncio.sleep(interval)

    task = asyncio.create_task(poller())
    for r in range(rounds):
        first = 20_000_000 + r * batch
        await asyncio.sleep(interval * 1.37)  # not in step with the poller
        clock = time.perf_counter()
        posted[first + batch - 1] = clock
        await post(http, ds, first, batch)
    while posted:
        await asyncio.sleep(interval)
    done.set()
    await task
    return out


async def fan_out(
    server: BridgeServer, http: httpx.AsyncClient, ds: str, clients: int, rate: int, seconds: float, f: str
) -> dict[str, Any]:
    """`clients` sockets on one datastream while `rate` observations/s are posted (every 0.1 s)."""
    base = 30_000_000 if f == "json" else 40_000_000
    posted: dict[int, float] = {}  # batch start index → POST start time
    per_batch = max(1, rate // 10)
    latencies: list[float] = []
    total = int(rate * seconds)
    sockets: list[ClientConnection] = []
    for _ in range(clients):
        sockets.append(await connect(f"{server.url.replace('http', 'ws')}/datastreams/{ds}/observations?f={f}"))
    rss_start = server.rss_mb()[0]

    async def reader(ws: ClientConnection) -> None:
        got = 0
        while got < total:
            frame = await asyncio.wait_for(ws.recv(), 30)
            now = time.perf_counter()
            # a CSV frame holds whole batches: its first line names the (first) batch, its lines count them
            i = frame_indexes(frame.split("\n", 1)[0])[0]
            count = frame.count("\n") or 1
            latencies.extend([(now - posted[base + (i - base) // per_batch * per_batch]) * 1000] * count)
            got += count

    readers = [asyncio.create_task(reader(ws)) for ws in sockets]
    clock = time.perf_counter()
    for n, first in enumerate(range(base, base + total, per_batch)):
        await asyncio.sleep(max(0.0, clock + n * 0.1 - time.perf_counter()))
        posted[first] = time.perf_counter()
        await post(http, ds, first, per_batch)
    elapsed = time.perf_counter() - clock
    await asyncio.gather(*readers)
    rss_end, rss_peak = server.rss_mb()
    for ws in sockets:
        await ws.close()
    return {
        "format": f,
        "clients": clients,
        "obs/s posted": round(total / elapsed),
        "frames": len(latencies) if f == "json" else "1 per batch per client",
        "p50 ms": round(percentile(latencies, 50), 1),
        "p99 ms": round(percentile(latencies, 99), 1),
        "RSS start→end MB": f"{rss_start:.0f} → {rss_end:.0f} (peak {rss_peak:.0f})",
    }


def table(rows: list[dict[str, Any]]) -> None:
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for row in rows:
        print("| " + " | ".join(str(row[k]) for k in keys) + " |")
    print(flush=True)


async def run(store: str, args: argparse.Namespace) -> None:
    server = BridgeServer(store)
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as http:
            ds = await setup(http)
            ws_url = server.url.replace("http", "ws")
            ws, answered = await latency_ws(http, ws_url, ds, args.rounds, args.batch)
            poll = await latency_poll(http, ds, args.rounds, args.batch, args.poll)
            print(f"### {store.split(':', 1)[0]}: POST of {args.batch} observations → client\n")
            table(
                [
                    {"client": "(the POST's own answer)", "rounds": len(answered),
                     "p50 ms": round(percentile(answered, 50), 1), "p99 ms": round(percentile(answered, 99), 1)},
                    {"client": "WebSocket", "rounds": len(ws), "p50 ms": round(percentile(ws, 50), 1),
                     "p99 ms": round(percentile(ws, 99), 1)},
                    {"client": f"GET poll every {args.poll} s", "rounds": len(poll),
                     "p50 ms": round(percentile(poll, 50), 1), "p99 ms": round(percentile(poll, 99), 1)},
                ]
            )  # fmt: skip
            fan = [
                await fan_out(server, http, await setup(http), clients, args.rate, args.seconds, f)
                for f, clients in (("swecsv", args.clients), ("json", args.json_clients))
            ]
            print(f"### fan-out: WebSocket clients of one datastream, {args.rate} observations/s posted\n")
            table(fan)
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=200, help="POSTs timed for the latency row")
    parser.add_argument("--batch", type=int, default=100, help="observations per POST of the latency row")
    parser.add_argument("--poll", type=float, default=0.1, help="seconds between GETs of the polling client")
    parser.add_argument("--clients", type=int, default=100, help="clients of the fan-out in SWE CSV")
    parser.add_argument("--json-clients", type=int, default=10, help="clients of the fan-out in JSON")
    parser.add_argument("--rate", type=int, default=1000, help="observations per second of the fan-out")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--pg", default=None, help="a PostgreSQL URL (default: an SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = args.pg or f"sqlite:///{Path(tmp) / 'live.db'}"
        asyncio.run(run(store, args))


if __name__ == "__main__":
    main()
