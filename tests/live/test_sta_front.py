"""The live front of a SensorThings source (`live = true`): observations the legacy service pushes on its MQTT
extension reach CSAPI subscribers at once; after a reconnection a catch-up read from the stored cursors fills
what the push missed. The legacy side is the real test STA server plus a small STA-MQTT peer (this test,
publishing what the STA extension would on `v1.1/Datastreams({id})/Observations`) on a real Mosquitto."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import pytest

from bridge.server import build_app
from bridge.settings import Settings
from tests.live.mosquitto import Mosquitto, Recorder, prefix, publish
from tests.open_access import OPEN
from tests.sta_server.fixtures import running_sta_server
from tests.sta_server.seed import seed_small

pytestmark = pytest.mark.slow


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


async def _new_observation(sta: httpx.AsyncClient, ds: str, when: str, value: float) -> dict[str, object]:
    """Create an observation on the STA server and read it back as the MQTT extension would publish it."""
    r = await sta.post("Observations", json={"phenomenonTime": when, "result": value, "Datastream": {"@iot.id": ds}})
    r.raise_for_status()
    return dict((await sta.get(r.headers["location"])).json())


async def test_pushed_observations_reach_subscribers_and_reconnects_catch_up(
    mosquitto: Mosquitto, tmp_path: Path
) -> None:
    if not mosquitto.private:
        pytest.skip("needs the mosquitto binary to restart a private broker")
    p = prefix()
    with running_sta_server() as server:
        seeded = await seed_small(server.base_url, per_stream=(20, 10, 10))
        settings = Settings(
            auth=OPEN, store=f"sqlite:///{tmp_path / 'live.db'}", base_url="http://testserver",
            mqtt={"enabled": True, "url": mosquitto.url, "prefix": p},
            sources=[{"name": "sta1", "type": "sta", "url": server.base_url, "live": True, "live_url": mosquitto.url}],
        )  # fmt: skip
        rec = Recorder(mosquitto.port, [f"{p}/datastreams/+/observations:data"], persistent=True)
        app = build_app(settings, poll=False)
        stream = seeded.streams[0]
        async with app.router.lifespan_context(app), httpx.AsyncClient(base_url=server.base_url, timeout=30) as sta:
            await rec.until(lambda: len(rec.messages) == 40, timeout=60)  # the first catch-up: everything seeded
            # pushed: stored and published within a second
            doc = await _new_observation(sta, stream.id, _now(), 99.5)  # new observations are of now
            pushed_at = time.perf_counter()
            await asyncio.to_thread(
                publish, mosquitto.port, f"v1.1/Datastreams('{stream.id}')/Observations", orjson.dumps(doc)
            )
            await rec.until(lambda: len(rec.messages) == 41, timeout=5)
            latency = time.perf_counter() - pushed_at
            assert orjson.loads(rec.messages[-1][1])["result"] == 99.5
            # the link drops; the legacy service keeps observing; nothing is pushed meanwhile
            mosquitto.stop()
            for i in range(5):
                await _new_observation(sta, stream.id, _now(), float(i))
            await asyncio.sleep(1.0)
            mosquitto.start()
            await rec.until(lambda: len(rec.messages) >= 46, timeout=60)  # the catch-up after the reconnection
            await asyncio.sleep(1.0)
            ds_id = orjson.loads(rec.messages[-1][1])["datastream@id"]
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as api:
                stored = (await api.get(f"/datastreams/{ds_id}/observations", params={"limit": 1000})).json()["items"]
        rec.close()
    assert latency < 1.0
    results = sorted(o["result"] for o in stored)
    assert len(stored) == 26 and results.count(99.5) == 1  # the pushed one was not stored again by the catch-up
    assert len({orjson.loads(m)["id"] for _, m in rec.messages}) == 46
