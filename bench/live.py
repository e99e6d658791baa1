"""Live data benchmark: from an HTTP POST of observations to an MQTT subscriber (a real Mosquitto).

Rows:
- latency, POST of a 100-observation batch → each observation at the MQTT subscriber (p50/p99), against the
  best a client can do without the live transport: polling `GET …/observations?phenomenonTime={last}/..` in a
  tight loop (timed in the same run, on the same batches);
- sustained rate: batches POSTed at a fixed offered rate for some seconds; the rate the subscriber receives and
  the per-observation latency from the start of its batch's POST.

`websocket_rows()` is the hook for the WebSocket rows (the integrator adds them with the WebSocket endpoints).
- legacy STA MQTT message → CSAPI subscriber: the live front of an STA source (the test SensorThings server,
  an STA-MQTT peer publishing on `v1.1/Datastreams({id})/Observations`), in-process.

Usage: python -m bench.live [--batches N] [--rate OBS_PER_S] [--seconds S] [--batch N] [--pushes N] [--no-sta]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bench.server import TEMPERATURE_SCHEMA, BridgeServer, bench_system, free_port, percentile

T0 = 1_704_067_200  # 2024-01-01T00:00:00Z


def _iso(i: int) -> str:
    seconds, micros = divmod(i, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(T0 + seconds)) + f".{micros:03d}Z"


def _csv(start: int, n: int) -> bytes:
    return "".join(f"{_iso(i)},{i}\n" for i in range(start, start + n)).encode()


class Broker:
    """A private Mosquitto on a free port (the one on 1883 when the binary is missing)."""

    def __init__(self, workdir: Path) -> None:
        binary = shutil.which("mosquitto") or ("/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None)
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 1883
        if binary:
            self.port = free_port()
            conf = workdir / "mosquitto.conf"
            conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n")
            self.proc = subprocess.Popen([binary, "-c", str(conf)], stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("no MQTT broker") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)


class Subscriber:
    """A paho subscriber recording the arrival time of each observation (keyed by its result, a global index)."""

    def __init__(self, port: int, topic: str) -> None:
        self.arrivals: dict[int, float] = {}
        self.lock = threading.Lock()
        ready = threading.Event()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.on_connect = lambda c, *a: c.subscribe(topic, qos=1)
        self.client.on_subscribe = lambda *a: ready.set()
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        ready.wait(10)

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        now = time.perf_counter()
        index = int(orjson.loads(message.payload)["result"])
        with self.lock:
            self.arrivals.setdefault(index, now)

    def count(self) -> int:
        with self.lock:
            return len(self.arrivals)

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Poller(threading.Thread):
    """The alternative without push: GET the observations after the last seen time, in a tight loop."""

    def __init__(self, url: str, ds: str) -> None:
        super().__init__(daemon=True)
        self.url, self.ds = url, ds
        self.arrivals: dict[int, float] = {}
        self.running = True
        self.polls = 0

    def run(self) -> None:
        last = _iso(0)
        with httpx.Client(base_url=self.url, timeout=30) as http:
            while self.running:
                r = http.get(
                    f"/datastreams/{self.ds}/observations", params={"phenomenonTime": f"{last}/..", "limit": 10_000}
                )
                now = time.perf_counter()
                self.polls += 1
                for obs in r.json()["items"]:
                    index = int(obs["result"])
                    self.arrivals.setdefault(index, now)
                    last = max(last, obs["phenomenonTime"])


def _setup(http: httpx.Client) -> str:
    system = bench_system("live bench")
    sid = http.post("/systems", json=system).headers["location"].rsplit("/", 1)[1]
    return (
        http.post(f"/systems/{sid}/datastreams", json={"name": "v", "schema": TEMPERATURE_SCHEMA})
        .headers["location"]
        .rsplit("/", 1)[1]
    )


def _wait(check: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not check() and time.monotonic() < deadline:
        time.sleep(0.01)


def _post_batches(
    http: httpx.Client, ds: str, batches: int, size: int, seen: Any
) -> tuple[dict[int, float], list[float]]:
    """POST batches one after the other, each once the previous one was seen; (start time per batch, POST ms)."""
    started: dict[int, float] = {}
    post_ms: list[float] = []
    for b in range(batches):
        start = b * size
        started[b] = time.perf_counter()
        r = http.post(
            f"/datastreams/{ds}/observations",
            content=_csv(start, size),
            headers={"Content-Type": "application/swe+csv"},
        )
        post_ms.append((time.perf_counter() - started[b]) * 1000)
        assert r.status_code == 201, r.text
        target = start + size
        _wait(lambda target=target: seen() >= target, 10)
        time.sleep(0.01)
    return started, post_ms


def latency(http: httpx.Client, url: str, port: int, prefix: str, batches: int, size: int = 100) -> list[str]:
    """POST → subscriber latency of each observation; then the same with a tight polling loop instead (the
    two phases apart, so the poller does not slow the subscriber down)."""
    total = batches * size
    ds = _setup(http)
    sub = Subscriber(port, f"{prefix}/datastreams/{ds}/observations:data")
    started, post_ms = _post_batches(http, ds, batches, size, sub.count)
    sub.stop()
    mqtt_ms = [(sub.arrivals[i] - started[i // size]) * 1000 for i in sub.arrivals]
    ds = _setup(http)
    poller = Poller(url, ds)
    poller.start()
    started, _ = _post_batches(http, ds, batches, size, lambda: len(poller.arrivals))
    poller.running = False
    poll_ms = [(poller.arrivals[i] - started[i // size]) * 1000 for i in poller.arrivals]
    return [
        _row(f"the POST of {size} obs itself (201 received)", f"{batches} POSTs", post_ms),
        _row(f"POST {size} obs → MQTT subscriber", f"{len(mqtt_ms)}/{total}", mqtt_ms),
        _row(f"POST {size} obs → tight HTTP polling loop ({poller.polls} GETs)", f"{len(poll_ms)}/{total}", poll_ms),
    ]


def _row(what: str, received: str, ms: list[float]) -> str:
    return f"| {what} | {received} | {percentile(ms, 50):.1f} | {percentile(ms, 99):.1f} |"


def sustained(http: httpx.Client, port: int, prefix: str, rate: int, seconds: float, size: int) -> list[str]:
    """Batches of `size` POSTed at `rate` observations/s for `seconds`; the rate and latency at the subscriber."""
    ds = _setup(http)
    sub = Subscriber(port, f"{prefix}/datastreams/{ds}/observations:data")
    bodies = [_csv(b * size, size) for b in range(int(rate * seconds / size))]
    started: dict[int, float] = {}
    begin = time.perf_counter()
    for b, body in enumerate(bodies):
        due = begin + b * size / rate
        while time.perf_counter() < due:
            time.sleep(0.0005)
        started[b] = time.perf_counter()
        r = http.post(f"/datastreams/{ds}/observations", content=body, headers={"Content-Type": "application/swe+csv"})
        assert r.status_code == 201, r.text
    offered = len(bodies) * size / (time.perf_counter() - begin)
    _wait(lambda: sub.count() >= len(bodies) * size, 60)
    sub.stop()
    arrivals = sub.arrivals
    done = max(arrivals.values()) - begin
    ms = [(t - started[i // size]) * 1000 for i, t in arrivals.items()]
    return [
        f"| sustained: {len(bodies)} POSTs of {size}, offered {offered:,.0f} obs/s → MQTT subscriber | "
        f"{len(arrivals):,}/{len(bodies) * size:,} in {done:.1f} s = {len(arrivals) / done:,.0f} obs/s | "
        f"{percentile(ms, 50):.1f} | {percentile(ms, 99):.1f} |"
    ]


async def _sta_push(port: int, workdir: Path, count: int) -> list[str]:
    """A legacy STA MQTT message → the CSAPI subscriber, through the live front of an STA source (in-process)."""
    from bridge.server import build_app
    from bridge.settings import Settings
    from tests.sta_server.seed import seed_small
    from tests.sta_server.server import start_server

    server = start_server()
    try:
        seeded = await seed_small(server.base_url, per_stream=(5, 5, 5))
        prefix = f"sta{uuid.uuid4().hex[:6]}"
        settings = Settings(
            store=f"sqlite:///{workdir}/sta.db",
            mqtt={"enabled": True, "url": f"mqtt://127.0.0.1:{port}", "prefix": prefix, "ingest": False},
            sources=[{"name": "sta", "type": "sta", "url": server.base_url, "live": True,
                      "live_url": f"mqtt://127.0.0.1:{port}"}],
        )  # fmt: skip
        sub = Subscriber(port, f"{prefix}/datastreams/+/observations:data")
        app = build_app(settings, poll=False)
        legacy = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        legacy.connect("127.0.0.1", port)
        legacy.loop_start()
        sent: dict[int, float] = {}
        async with app.router.lifespan_context(app):
            await asyncio.to_thread(_wait, lambda: sub.count() >= 15, 60)  # the first catch-up
            topic = f"v1.1/Datastreams('{seeded.streams[0].id}')/Observations"
            for i in range(count):
                index = 100_000 + i
                doc = {"@iot.id": f"push-{uuid.uuid4()}", "phenomenonTime": _iso(index), "result": index}
                sent[index] = time.perf_counter()
                legacy.publish(topic, orjson.dumps(doc), qos=1)
                await asyncio.sleep(0.01)
            await asyncio.to_thread(_wait, lambda: sub.count() >= 15 + count, 30)
        legacy.disconnect()
        legacy.loop_stop()
        sub.stop()
    finally:
        server.stop()
    ms = [(sub.arrivals[i] - t) * 1000 for i, t in sent.items() if i in sub.arrivals]
    return [_row(f"legacy STA MQTT message → CSAPI subscriber ({count} at 100/s)", f"{len(ms)}/{count}", ms)]


def websocket_rows(http: httpx.Client, url: str) -> list[str]:
    """Hook for the WebSocket rows (POST → WebSocket client latency, fan-out to 100 clients); none here yet."""
    return []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batches", type=int, default=100, help="latency: batches of 100 observations")
    parser.add_argument("--rate", type=int, default=20_000, help="sustained: offered observations per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="sustained: duration")
    parser.add_argument("--batch", type=int, default=1000, help="sustained: observations per POST")
    parser.add_argument("--pushes", type=int, default=500, help="STA live front: legacy MQTT messages")
    parser.add_argument("--no-sta", action="store_true", help="skip the STA live front row (needs the test STA server)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        broker = Broker(Path(tmp))
        prefix = f"bench{uuid.uuid4().hex[:6]}"
        os.environ.update(
            {
                "BRIDGE_MQTT__ENABLED": "true",
                "BRIDGE_MQTT__URL": f"mqtt://127.0.0.1:{broker.port}",
                "BRIDGE_MQTT__PREFIX": prefix,
                "BRIDGE_MQTT__INGEST": "false",
            }
        )
        server = BridgeServer(f"sqlite:///{tmp}/live.db", Path(tmp) / "bridge.log")
        try:
            with httpx.Client(base_url=server.url, timeout=60) as http:
                rows = latency(http, server.url, broker.port, prefix, args.batches)
                rows += sustained(http, broker.port, prefix, args.rate, args.seconds, args.batch)
                rows += websocket_rows(http, server.url)
            rss, peak = server.rss_mb()
            if not args.no_sta:
                rows += asyncio.run(_sta_push(broker.port, Path(tmp), args.pushes))
        finally:
            server.stop()
            broker.stop()
    print("| measurement | observations received | p50 ms | p99 ms |")
    print("|---|---|---|---|")
    for row in rows:
        print(row)
    print(f"\nserver RSS {rss:.0f} MB (peak {peak:.0f} MB); SQLite store; one Mosquitto on loopback; QoS 1")


if __name__ == "__main__":
    main()
