"""Nothing committed is lost: the broker restarted mid-stream, the bridge process killed (`kill -9`) mid-stream.
Subscribers may see a message twice (QoS 1, republished rounds) and drop repeats by the observation id."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from bridge.store.sql.store import SqlStore
from tests.api.part2_support import AIR_TEMP, datastream_body, new_stream, new_system, post_observations, quantity
from tests.live.conftest import live_app, live_settings
from tests.live.mosquitto import Mosquitto, Recorder, _free_port, prefix
from tests.loopback import bridge_up, serve_bridge

TEMP = quantity("temp", AIR_TEMP)


def batch(n: int, start: int = 0) -> bytes:
    """A SWE CSV bulk body of n observations."""
    return "".join(f"2024-01-01T00:00:00.{i:06d}Z,{i}\n" for i in range(start, start + n)).encode()


def ids_on(rec: Recorder, topic: str) -> set[str]:
    return {orjson.loads(m)["id"] for m in rec.on(topic)}


@pytest.mark.slow
async def test_broker_restart_mid_stream_loses_nothing(mosquitto: Mosquitto, tmp_path: Path) -> None:
    if not mosquitto.private:
        pytest.skip("needs the mosquitto binary to restart a private broker")
    p = prefix()
    rec = Recorder(mosquitto.port, [f"{p}/datastreams/+/observations:data"], persistent=True)
    store = await SqlStore.open(f"sqlite:///{tmp_path / 'live.db'}")
    try:
        async with live_app(store, live_settings(mosquitto.url, p)) as (http, _):
            sys_id = await new_system(http, "urn:x:restart")
            ds = await new_stream(http, sys_id, "datastreams", datastream_body("t", TEMP))
            topic = f"{p}/datastreams/{ds}/observations:data"
            await post_observations(http, ds, batch(20_000), "application/swe+csv")
            await rec.until(lambda: len(rec.on(topic)) > 0)
            mosquitto.stop()  # mid-stream
            seen_at_stop = len(ids_on(rec, topic))
            # the facade keeps serving while the broker is down
            await post_observations(http, ds, batch(1000, 20_000), "application/swe+csv")
            assert (await http.get(f"/datastreams/{ds}")).status_code == 200
            await asyncio.sleep(1.0)
            mosquitto.start()
            await rec.until(lambda: len(ids_on(rec, topic)) == 21_000, timeout=60)
            stored = (await http.get(f"/datastreams/{ds}/observations", params={"limit": 10_000})).json()["items"]
    finally:
        await store.close()
        rec.close()
    assert seen_at_stop < 21_000
    assert {o["id"] for o in stored} <= ids_on(rec, topic)


def _config(tmp_path: Path, db: Path, broker: Mosquitto, p: str) -> Path:
    config = tmp_path / "bridge.toml"
    config.write_text(
        f'store = "sqlite:///{db}"\n\n'
        '[auth]\nanonymous_roles = ["read", "write", "delete", "command", "admin"]\n\n'
        f'[mqtt]\nenabled = true\nurl = "{broker.url}"\nprefix = "{p}"\ninflight = 200\nbatch = 5\n',
        encoding="utf-8",
    )
    return config


@pytest.mark.slow
async def test_bridge_killed_mid_stream_publishes_the_rest_after_restart(mosquitto: Mosquitto, tmp_path: Path) -> None:
    p = prefix()
    db, log, port = tmp_path / "bridge.db", tmp_path / "bridge.log", _free_port()
    config, url = _config(tmp_path, db, mosquitto, p), f"http://127.0.0.1:{port}"
    rec = Recorder(mosquitto.port, [f"{p}/datastreams/+/observations:data"])
    process = serve_bridge(config, port, log)
    try:
        await bridge_up(url, process, log)
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            sys_id = await new_system(http, "urn:x:kill")
            r = await http.post(f"/systems/{sys_id}/datastreams", json=datastream_body("t", TEMP))
            ds = r.headers["location"].rsplit("/", 1)[1]
            topic = f"{p}/datastreams/{ds}/observations:data"
            committed: list[Any] = []
            for i in range(40):  # 40 committed batches of 1000
                r = await http.post(
                    f"/datastreams/{ds}/observations",
                    content=batch(1000, i * 1000),
                    headers={"Content-Type": "application/swe+csv"},
                )
                assert r.status_code == 201, r.text
                committed.append(r.json()["count"])
            await rec.until(lambda: len(rec.on(topic)) > 0)
            process.send_signal(signal.SIGKILL)  # mid-stream: part of the outbox is still unpublished
            process.wait(10)
            seen_at_kill = len(ids_on(rec, topic))
            process = serve_bridge(config, port, log)
            await bridge_up(url, process, log)
            await rec.until(lambda: len(ids_on(rec, topic)) == 40_000, timeout=60)
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(10)
        rec.close()
    assert sum(committed) == 40_000 and seen_at_kill < 40_000
