"""A first end-to-end pass on /systems: create, read in both encodings, page, delete."""

from __future__ import annotations

import json

import httpx

from tests.conftest import FIXTURES
from tests.validate import PART1, assert_valid


def _system(i: int) -> dict[str, object]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [i % 180, 10.0]},
        "properties": {"uid": f"urn:x-test:sys:{i}", "name": f"Sys {i}", "featureType": "sosa:Sensor"},
    }


async def test_create_read_both_encodings(client: httpx.AsyncClient) -> None:
    body = json.loads((FIXTURES / "csapi/part1/systems/thermometer-sensor-sml.json").read_text())
    r = await client.post("/systems", json=body, headers={"Content-Type": "application/sml+json"})
    assert r.status_code == 201, r.text
    location = r.headers["location"]
    sml = await client.get(location, headers={"Accept": "application/sml+json"})
    assert sml.headers["content-type"] == "application/sml+json"
    assert_valid(PART1 + "sensorml/system.json", sml.json())
    assert sml.json()["identifiers"] == body["identifiers"]
    geo = await client.get(location + "?f=geojson")
    assert geo.headers["content-type"] == "application/geo+json"
    assert_valid(PART1 + "geojson/system.json", geo.json())
    assert geo.json()["properties"]["uid"] == body["uniqueId"]


async def test_paging_walks_every_system_once_while_inserting(client: httpx.AsyncClient) -> None:
    for i in range(250):
        assert (await client.post("/systems", json=_system(i))).status_code == 201
    seen: list[str] = []
    url: str | None = "/systems?limit=100"
    extra = 250
    while url:
        page = (await client.get(url)).json()
        assert_valid(PART1 + "geojson/systemCollection.json", page)
        assert page["numberReturned"] == len(page["features"]) <= 100
        seen += [f["properties"]["uid"] for f in page["features"]]
        await client.post("/systems", json=_system(extra))
        extra += 1
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
    originals = [u for u in seen if int(u.rsplit(":", 1)[1]) < 250]
    assert sorted(originals) == sorted(f"urn:x-test:sys:{i}" for i in range(250))
    assert len(seen) == len(set(seen))


async def test_invalid_body_is_400_naming_the_path(client: httpx.AsyncClient) -> None:
    bad = _system(1)
    del bad["properties"]["name"]  # type: ignore[attr-defined]
    r = await client.post("/systems", json=bad)
    assert r.status_code == 400
    assert "name" in r.json()["description"]
    r = await client.post("/systems", content=b"<xml/>", headers={"Content-Type": "text/xml"})
    assert r.status_code == 400


async def test_json_labelled_text_xml_is_accepted(client: httpx.AsyncClient) -> None:
    r = await client.post("/systems", content=json.dumps(_system(7)), headers={"Content-Type": "text/xml"})
    assert r.status_code == 201
    r = await client.post("/systems", content=json.dumps(_system(8)), headers={"Content-Type": ""})
    assert r.status_code == 201
