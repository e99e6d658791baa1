"""A small store holding every kind of resource the pages show: the demo's example documents (Part 1), a system
with a datastream of observations, a control stream with commands, status reports, results and a feasibility
request, a system event, a past description, and a harvest run. Built through the API (and the store for the
run record), once per module."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI

from bridge.demo import load_demo
from bridge.resources import data_path
from bridge.store.sql.store import SqlStore
from tests.api.part2_support import controlstream_body, datastream_body, local_id, quantity

GEO = "application/geo+json"
SOSA = "http://www.w3.org/ns/sosa/"
AIR = "http://mmisw.org/ont/cf/parameter/air_temperature"
HUMIDITY = "http://mmisw.org/ont/cf/parameter/relative_humidity"
PAN = "http://example.org/def/pan"
OBSERVATIONS = 30


@dataclass
class HtmlWorld:
    """Local ids by role, and the app they live in."""

    app: FastAPI
    ids: dict[str, str] = field(default_factory=dict)


async def _post(client: httpx.AsyncClient, path: str, body: Any, media_type: str = "application/json") -> str:
    r = await client.post(path, content=json.dumps(body), headers={"Content-Type": media_type})
    assert r.status_code == 201, f"POST {path}: {r.status_code} {r.text}"
    return local_id(r.headers["location"]) if "location" in r.headers else ""


def _station() -> dict[str, Any]:
    props = {"uid": "urn:x-html:station", "name": "Roof station", "featureType": SOSA + "Platform",
             "description": "A station on a roof"}  # fmt: skip
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1.44, 43.6]}, "properties": props}


def _sampling_point() -> dict[str, Any]:
    props = {"uid": "urn:x-html:sf", "name": "Roof point", "sampledFeature@link": {"href": "urn:x-html:roof"},
             "featureType": "http://www.opengis.net/def/samplingFeatureType/OGC-OM/2.0/SF_SamplingPoint"}  # fmt: skip
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1.441, 43.601]}, "properties": props}


def command_schema() -> dict[str, Any]:
    """A command schema with a bounded quantity, allowed tokens, an optional boolean and a time."""
    pan = quantity("pan", PAN, "deg", constraint={"type": "AllowedValues", "intervals": [[-180, 180]]})
    mode = {"name": "mode", "type": "Category", "definition": "http://example.org/def/mode", "label": "Mode",
            "constraint": {"type": "AllowedTokens", "values": ["auto", "manual"]}}  # fmt: skip
    light = {"name": "light", "type": "Boolean", "definition": "http://example.org/def/light", "label": "Light",
             "optional": True}  # fmt: skip
    return {"type": "DataRecord", "name": "params", "label": "Camera command", "fields": [pan, mode, light]}


async def _part2(client: httpx.AsyncClient, world: HtmlWorld) -> None:
    ids = world.ids
    record = {"type": "DataRecord", "name": "weather", "label": "Weather",
              "fields": [quantity("temp", AIR, "Cel"), quantity("humidity", HUMIDITY, "%")]}  # fmt: skip
    ids["ds"] = await _post(client, f"/systems/{ids['station']}/datastreams", datastream_body("Weather", record))
    observations = [
        {"phenomenonTime": f"2024-05-01T{h:02d}:00:00Z", "resultTime": f"2024-05-01T{h:02d}:00:00Z",
         "samplingFeature@id": ids["sf"], "result": {"temp": 10.0 + h / 2, "humidity": 80.0 - h}}
        for h in range(OBSERVATIONS - 6)
    ] + [
        {"phenomenonTime": f"2024-05-02T{h:02d}:00:00Z", "resultTime": f"2024-05-02T{h:02d}:00:00Z",
         "samplingFeature@id": ids["sf"], "result": {"temp": 20.0 - h, "humidity": 60.0 + h}}
        for h in range(6)
    ]  # fmt: skip
    r = await client.post(f"/datastreams/{ids['ds']}/observations", json=observations)
    assert r.status_code == 201, r.text
    ids["obs"] = r.json()["items"][0].rstrip("/").rsplit("/", 1)[-1]
    body = controlstream_body("Camera", command_schema())
    ids["cs"] = await _post(client, f"/systems/{ids['station']}/controlstreams", body)
    ids["cmd"] = await _post(
        client, f"/controlstreams/{ids['cs']}/commands", {"parameters": {"pan": 10, "mode": "auto"}}
    )
    accepted = {"statusCode": "ACCEPTED", "reportTime": "2024-05-01T00:00:01Z", "message": "queued"}
    ids["status"] = await _post(client, f"/commands/{ids['cmd']}/status", accepted)
    ids["result"] = await _post(client, f"/commands/{ids['cmd']}/result", {"data": {"image": "frame-1"}})
    ids["feas"] = await _post(
        client, f"/controlstreams/{ids['cs']}/feasibility", {"parameters": {"pan": 5, "mode": "manual"}}
    )
    event = {"label": "Calibration", "definition": "http://www.opengis.net/def/x-OGC/TBD/Calibration",
             "time": "2024-04-30T00:00:00Z", "description": "yearly calibration"}  # fmt: skip
    ids["event"] = await _post(client, f"/systems/{ids['station']}/events", event)


async def build_html_world(app: FastAPI, store: SqlStore) -> HtmlWorld:
    """The data set of the page tests."""
    world = HtmlWorld(app)
    ids = world.ids
    await load_demo(app, data_path("demo"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        ids["station"] = await _post(client, "/systems", _station(), GEO)
        ids["sf"] = await _post(client, f"/systems/{ids['station']}/samplingFeatures", _sampling_point(), GEO)
        renamed = _station()
        renamed["properties"]["name"] = "Roof station (renamed)"
        r = await client.put(f"/systems/{ids['station']}", content=json.dumps(renamed), headers={"Content-Type": GEO})
        assert r.status_code == 204, r.text
        ids["rev"] = (await client.get(f"/systems/{ids['station']}/history")).json()["features"][0]["id"]
        for kind in ("deployments", "procedures", "properties"):
            ids[kind] = (await client.get(f"/{kind}", headers={"Accept": "application/json"})).json()
        ids["deployment"] = _first_id(ids.pop("deployments"))
        ids["procedure"] = _first_id(ids.pop("procedures"))
        ids["property"] = _first_id(ids.pop("properties"))
        await _part2(client, world)
    run = await store.start_run("harvested-source")
    report = {"observations": 12, "entities": {"Thing": {"created": 1}}, "errors": ["Datastream 9: not mapped"],
              "durationSeconds": 1.5, "requests": 7, "bytes": 2048, "duplicatesDropped": 0}  # fmt: skip
    await store.finish_run(run, "completed-with-errors", report)
    ids["run"] = run
    return world


def _first_id(doc: Any) -> str:
    items = doc.get("features") or doc.get("items")
    return str(items[0]["id"])
