"""The MQTT transport against a real Mosquitto: every topic and payload shape, format round-trips, ingestion of
observations and commands, bad payloads, no echo (Part 2 §16.2, the CSAPI Pub/Sub topic convention)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import orjson
import pytest

from bridge.errors import ConfigError
from bridge.store.sql.store import SqlStore
from tests.api.part2_support import (
    AIR_TEMP,
    controlstream_body,
    datastream_body,
    new_stream,
    new_system,
    post_observations,
    quantity,
)
from tests.live.conftest import BASE, live_app, live_settings
from tests.live.mosquitto import Mosquitto, Recorder, prefix, publish

TEMP = quantity("temp", AIR_TEMP)
PAN = {
    "type": "DataRecord",
    "fields": [
        {"name": "pan", "type": "Quantity", "definition": "http://x/pan", "label": "Pan", "uom": {"code": "deg"}}
    ],
}
FORMATS = ["json", "om-json", "swe-json", "swe-csv", "swe-binary"]


@pytest.fixture
async def sqlite(tmp_path: Path) -> Any:
    store = await SqlStore.open(f"sqlite:///{tmp_path / 'live.db'}")
    yield store
    await store.close()


def obs(i: int) -> dict[str, Any]:
    return {"resultTime": f"2024-01-01T00:00:{i:02d}Z", "result": float(i)}


async def test_observations_and_events_are_published_on_their_topics(mosquitto: Mosquitto, any_store: SqlStore) -> None:
    sqlite = any_store  # SQLite file and PostgreSQL
    p = prefix()
    rec = Recorder(mosquitto.port, [f"{p}/#", f"/{p}/#"])
    settings = live_settings(mosquitto.url, p, formats=FORMATS, legacy_topics=True)
    async with live_app(sqlite, settings) as (http, _):
        sys_id = await new_system(http, "urn:x:live:1")
        ds_id = await new_stream(http, sys_id, "datastreams", datastream_body("temp", TEMP))
        r = await post_observations(http, ds_id, [obs(i) for i in range(3)])
        ids = [u.rsplit("/", 1)[1] for u in r.json()["items"]]
        data = f"{p}/datastreams/{ds_id}/observations:data"
        await rec.until(lambda: len(rec.on(f"{data}/swe-binary")) == 3)
        await rec.until(lambda: len(rec.on(f"{p}/datastreams")) == 1)
    # the default format (JSON observation, with its id) on `:data`, the same under `json` and `om-json`
    published = rec.json_on(data)
    assert [o["id"] for o in published] == ids
    assert published[0] == {
        "id": ids[0], "datastream@id": ds_id, "phenomenonTime": "2024-01-01T00:00:00Z",
        "resultTime": "2024-01-01T00:00:00Z", "result": 0.0,
    }  # fmt: skip
    assert rec.json_on(f"{data}/json") == published == rec.json_on(f"{data}/om-json")
    # SWE Common: one record per message
    assert rec.on(f"{data}/swe-csv") == [f"2024-01-01T00:00:0{i}Z,{float(i)}\n".encode() for i in range(3)]
    assert [orjson.loads(m) for m in rec.on(f"{data}/swe-json")][1] == [{"time": "2024-01-01T00:00:01Z", "temp": 1.0}]
    assert [len(m) for m in rec.on(f"{data}/swe-binary")] == [30] * 3  # time (length-prefixed text) + a double
    # the older OpenSensorHub form
    assert rec.json_on(f"/{p}/datastreams/{ds_id}/observations") == published
    # resource events: CloudEvents 1.0 on the collection, the resource and the parent's collection topics
    created = rec.json_on(f"{p}/systems")[0]
    assert created["specversion"] == "1.0" and created["type"] == "org.ogc.api.connected-systems.resource.created"
    assert created["subject"] == f"systems/{sys_id}" and created["data"]["link"]["href"] == f"{BASE}/systems/{sys_id}"
    assert rec.json_on(f"{p}/systems/{sys_id}") == [created]
    ds_event = rec.json_on(f"{p}/datastreams")[0]
    assert rec.json_on(f"{p}/datastreams/{ds_id}") == [ds_event] == rec.json_on(f"{p}/systems/{sys_id}/datastreams")
    assert ds_event["id"] != created["id"]
    rec.close()


async def test_updates_and_deletes_are_events(mosquitto: Mosquitto, sqlite: SqlStore) -> None:
    p = prefix()
    rec = Recorder(mosquitto.port, [f"{p}/systems/#"])
    async with live_app(sqlite, live_settings(mosquitto.url, p)) as (http, _):
        sys_id = await new_system(http, "urn:x:live:2")
        r = await http.patch(
            f"/systems/{sys_id}",
            json={"properties": {"name": "renamed"}},
            headers={"Content-Type": "application/merge-patch+json"},
        )
        assert r.status_code == 204, r.text
        assert (await http.delete(f"/systems/{sys_id}")).status_code == 204
        await rec.until(lambda: len(rec.on(f"{p}/systems/{sys_id}")) == 3)
    types = [e["type"].rsplit(".", 1)[1] for e in rec.json_on(f"{p}/systems/{sys_id}")]
    assert types == ["created", "updated", "deleted"]
    rec.close()


async def test_client_publications_are_stored_once_and_not_echoed(mosquitto: Mosquitto, sqlite: SqlStore) -> None:
    p = prefix()
    rec = Recorder(mosquitto.port, [f"{p}/#"])
    async with live_app(sqlite, live_settings(mosquitto.url, p, formats=FORMATS)) as (http, _):
        sys_id = await new_system(http, "urn:x:live:3")
        a = await new_stream(http, sys_id, "datastreams", datastream_body("a", TEMP))
        b = await new_stream(http, sys_id, "datastreams", datastream_body("b", TEMP))
        await post_observations(http, a, [obs(i) for i in range(4)])
        data_a = f"{p}/datastreams/{a}/observations:data"
        await rec.until(lambda: len(rec.on(f"{data_a}/swe-binary")) == 4)
        # what the bridge published for `a`, in each format, is published back by a client for `b`
        for token in FORMATS:
            for payload in rec.on(f"{data_a}/{token}"):
                await asyncio.to_thread(
                    publish, mosquitto.port, f"{p}/datastreams/{b}/observations:data/{token}", payload
                )
        await asyncio.to_thread(
            publish, mosquitto.port, f"{p}/datastreams/{b}/observations:data", orjson.dumps([obs(50), obs(51)])
        )
        data_b = f"{p}/datastreams/{b}/observations:data"
        expected = 4 * len(FORMATS) + 2

        def from_bridge() -> list[Any]:
            return [m for m in rec.json_on(data_b) if isinstance(m, dict) and "id" in m]

        await rec.until(lambda: len(from_bridge()) >= expected)
        await asyncio.sleep(0.5)  # anything more (an echo re-ingested) would arrive now
        stored = (await http.get(f"/datastreams/{b}/observations", params={"limit": 1000})).json()["items"]
        stored_a = (await http.get(f"/datastreams/{a}/observations", params={"limit": 1000})).json()["items"]
    assert len(stored_a) == 4  # the bridge's own publications on `a` were not re-ingested
    results = sorted(o["result"] for o in stored)
    assert results == sorted(
        [0.0, 1.0, 2.0, 3.0] * len(FORMATS) + [50.0, 51.0]
    )  # each format decoded to the same values
    # each stored observation was published once on `b`'s default topic (the client's messages are not counted)
    assert sorted(m["id"] for m in from_bridge()) == sorted(o["id"] for o in stored)
    rec.close()


async def test_bad_publications_store_nothing_and_are_reported(
    mosquitto: Mosquitto, sqlite: SqlStore, caplog: Any
) -> None:
    p = prefix()
    rec = Recorder(mosquitto.port, [f"{p}/+/+/+"])
    async with live_app(sqlite, live_settings(mosquitto.url, p)) as (http, _):
        sys_id = await new_system(http, "urn:x:live:4")
        ds = await new_stream(http, sys_id, "datastreams", datastream_body("a", TEMP))
        data = f"{p}/datastreams/{ds}/observations:data"
        bad = [
            (data, b"{not json"),
            (data, orjson.dumps([obs(1), {"resultTime": "2024-01-01T00:00:02Z", "result": "warm"}])),
            (f"{data}/swe-csv", b"2024-01-01T00:00:00Z,1.0\nyesterday,2\n"),
            (f"{data}/xml", b"<a/>"),
            (f"{p}/datastreams/nosuch/observations:data", orjson.dumps(obs(1))),
        ]
        for topic, payload in bad:
            await asyncio.to_thread(publish, mosquitto.port, topic, payload)
        errors = f"{p}/datastreams/{ds}/observations:errors"
        await rec.until(
            lambda: len(rec.on(errors)) == 4 and len(rec.on(f"{p}/datastreams/nosuch/observations:errors")) == 1
        )
        stored = (await http.get(f"/datastreams/{ds}/observations")).json()["items"]
    assert stored == []  # the batch with one bad observation stored nothing
    reports = rec.json_on(errors)
    assert all(
        r["type"] == "org.ogc.api.connected-systems.ingest.rejected" and r["data"]["status"] == 400 for r in reports
    )
    details = [r["data"]["detail"] for r in reports]
    assert (
        "observation 1.result" in details[1] and "swe+csv" in details[2] and "unknown format token 'xml'" in details[3]
    )
    missing = rec.json_on(f"{p}/datastreams/nosuch/observations:errors")[0]
    assert missing["data"]["status"] == 404
    assert "MQTT publication on" in caplog.text
    rec.close()


async def test_commands_published_by_clients_go_through_the_pipeline(mosquitto: Mosquitto, sqlite: SqlStore) -> None:
    p = prefix()
    rec = Recorder(mosquitto.port, [f"{p}/#"])
    async with live_app(sqlite, live_settings(mosquitto.url, p)) as (http, _):
        sys_id = await new_system(http, "urn:x:live:5")
        cs = await new_stream(http, sys_id, "controlstreams", controlstream_body("ptz", PAN))
        topic = f"{p}/controlstreams/{cs}/commands:data"
        await asyncio.to_thread(publish, mosquitto.port, topic, orjson.dumps({"parameters": {"pan": 10.0}}))
        await asyncio.to_thread(publish, mosquitto.port, topic, orjson.dumps({"parameters": {"pan": "left"}}))
        await rec.until(lambda: len(rec.on(f"{p}/controlstreams/{cs}/status:data")) == 1)
        await rec.until(lambda: len(rec.on(f"{p}/controlstreams/{cs}/commands:errors")) == 1)
        listed = (await http.get(f"/controlstreams/{cs}/commands")).json()["items"]
    assert len(listed) == 1 and listed[0]["parameters"] == {"pan": 10.0}
    published = [m for m in rec.json_on(topic) if "id" in m]
    assert [c["id"] for c in published] == [listed[0]["id"]] and published[0]["currentStatus"] == "PENDING"
    status = rec.json_on(f"{p}/controlstreams/{cs}/status:data")[0]
    assert status["command@id"] == listed[0]["id"] and status["statusCode"] == "PENDING"
    assert rec.json_on(f"{p}/commands/{listed[0]['id']}/status:data") == [status]
    rec.close()


async def test_an_in_memory_store_is_refused(mosquitto: Mosquitto) -> None:
    store = await SqlStore.open("sqlite:///:memory:")
    with pytest.raises(ConfigError, match="memory"):
        async with live_app(store, live_settings(mosquitto.url, prefix())):
            pass
    await store.close()
