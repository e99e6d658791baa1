"""SensorThings → CSAPI end to end against a real SensorThings server (django-ogc-sensorthings on loopback)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from bridge.api.app import create_app
from bridge.jobs.run import run_harvest
from bridge.mapping.transforms import stable_id
from bridge.settings import Settings, SourceConfig
from bridge.store.sql.store import SqlStore
from tests.jobs.helpers import walk
from tests.open_access import OPEN
from tests.sta_server.seed import SeedResult, seed_small
from tests.validate import PART1, PART2, assert_valid

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def seeded(sta_server: str) -> SeedResult:
    """A fresh small data set (the server is shared: other tests seed it too, so look things up by id)."""
    return asyncio.run(seed_small(sta_server))


async def test_harvest_maps_every_entity_and_observation(seeded: SeedResult, sta_server: str, tmp_path: Path) -> None:
    store = await SqlStore.open(f"sqlite:///{tmp_path / 'h.db'}")
    source = SourceConfig(name="local-sta", type="sta", url=sta_server, retries=1)
    report = await run_harvest(source, store)
    assert report.status == "completed", report.errors
    assert report.observations >= seeded.observation_count
    app = create_app(Settings(auth=OPEN, store="sqlite:///:memory:", base_url="http://bridge"), store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bridge") as client:
        things = (await client.get("/systems?limit=100")).json()
        assert_valid(PART1 + "geojson/systemCollection.json", things)
        thing_a = next(i for i, n in seeded.things.items() if n == "Station A")
        station_a = (await client.get(f"/systems/{stable_id(f'local-sta/Thing/{thing_a}')}")).json()
        assert_valid(PART1 + "geojson/system.json", station_a)
        assert station_a["properties"]["featureType"] == "http://www.w3.org/ns/sosa/Platform"
        assert station_a["geometry"] == {"type": "Point", "coordinates": [7.6, 51.9]}
        assert any(link["rel"] == "via" and thing_a in link["href"] for link in station_a["links"])
        subsystems = (await client.get(f"/systems/{station_a['id']}/subsystems")).json()["features"]
        assert {s["properties"]["name"] for s in subsystems} == {"Thermometer", "Hygrometer"}
        assert all(s["properties"]["featureType"].endswith("Sensor") for s in subsystems)
        listing = {c["id"]: c for c in (await client.get("/collections")).json()["collections"]}
        assert listing["source-local-sta-systems"]["featureType"] == "sosa:System"
        harvested = await walk(client, "/collections/source-local-sta-systems/items?limit=100", "features")
        assert station_a["id"] in {f["id"] for f in harvested}
        assert all(any(lk["rel"] == "canonical" for lk in f["links"]) for f in harvested)
        read_only = await client.delete(f"/collections/source-local-sta-systems/items/{station_a['id']}")
        assert read_only.status_code == 405
        props = (await client.get("/properties?limit=1000")).json()
        assert_valid(PART1 + "sensorml/propertyCollection.json", props)
        assert {p["baseProperty"] for p in props["items"]} >= {"http://example.org/air_temperature"}
        for seeded_stream in seeded.streams:
            ds = (await client.get(f"/datastreams/{stable_id(f'local-sta/Datastream/{seeded_stream.id}')}")).json()
            assert_valid(PART2 + "dataStream.json", ds)
            assert ds["name"] == seeded_stream.name
            schema = (await client.get(f"/datastreams/{ds['id']}/schema?obsFormat=application/json")).json()
            assert schema["resultSchema"]["type"] == "Quantity"
            assert schema["resultSchema"]["uom"] == {"code": "Cel"}  # °C mapped to UCUM through the unit table
            observations = await walk(client, f"/datastreams/{ds['id']}/observations?limit=1000", "items")
            got = sorted((o["phenomenonTime"], o["result"]) for o in observations)
            want = sorted(
                (o.phenomenon_time.strftime("%Y-%m-%dT%H:%M:%SZ"), o.result) for o in seeded_stream.observations
            )
            assert got == want, seeded_stream.name
            assert ds["phenomenonTime"] == [want[0][0], want[-1][0]]
            if seeded_stream.name == "B water temperature":
                fois = {o.get("samplingFeature@id") for o in observations}
                assert len(fois) == 2 and None not in fois
                for foi in fois:
                    sf = (await client.get(f"/samplingFeatures/{foi}")).json()
                    assert_valid(PART1 + "geojson/samplingFeature.json", sf)
                    assert sf["geometry"]["type"] == "Point"
    again = await run_harvest(source, store)
    assert again.observations == 0 and again.status == "completed"
    assert {outcome for (_, outcome) in again.entities} == {"unchanged"}, again.entities
    await store.close()
