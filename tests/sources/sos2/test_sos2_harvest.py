"""SOS 2.0 → CSAPI end to end: `run_harvest` against the SOS test server, checked through the CSAPI facade."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bridge.api.app import create_app
from bridge.jobs.run import RunReport, run_harvest
from bridge.settings import Settings, SourceConfig
from bridge.store.sql.store import SqlStore
from tests.open_access import OPEN
from tests.sos_server.state import BASE, SML20, SML101, ServerState, series
from tests.sos_server.worlds import AIR, DISCHARGE, KERIKERI, MEAN_TEMP, MUENSTER, RIVER, WEATHER, WELLINGTON
from tests.sos_server.worlds import multi_offering as world
from tests.validate import PART1, PART2, assert_valid

UNTIL = "2024-03-01T00:00:00Z"
FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "sos2"


def collection(features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features.values())}


def source(server: ServerState, **options: Any) -> SourceConfig:
    return SourceConfig(**{"name": "sos-test", "type": "sos", "url": server.url, "retries": 0, **options})


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[SqlStore]:
    store = await SqlStore.open(f"sqlite:///{tmp_path / 'sos.db'}")
    yield store
    await store.close()


@pytest.fixture
async def api(db: SqlStore) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(auth=OPEN, store="sqlite:///:memory:", base_url="http://bridge"), db)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bridge") as client:
        yield client


async def walk(client: httpx.AsyncClient, url: str, key: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    next_url: str | None = url
    while next_url:
        response = await client.get(next_url)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page[key]
        next_url = next((link["href"] for link in page.get("links", []) if link["rel"] == "next"), None)
    return items


def server_rows(server: ServerState, offering: str, prop: str) -> list[tuple[str, float, str]]:
    """(time, value, feature id) of every observation the server holds for one stream."""
    return sorted((t.strftime("%Y-%m-%dT%H:%M:%SZ"), v, f.identifier) for t, f, v in server.data[(offering, prop)])


async def stream_rows(client: httpx.AsyncClient, ds_id: str, fois: dict[str, str]) -> list[tuple[str, float, str]]:
    rows = await walk(client, f"/datastreams/{ds_id}/observations?limit=1000", "items")
    return sorted((o["phenomenonTime"], o["result"], fois[o["samplingFeature@id"]]) for o in rows)


async def streams_by_name(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    return {s["name"]: s for s in await walk(client, "/datastreams?limit=100", "items")}


async def test_multi_offering_harvest_is_complete_and_correct(
    sos_server: ServerState, db: SqlStore, api: httpx.AsyncClient
) -> None:
    world(sos_server)
    report = await run_harvest(source(sos_server), db, until=UNTIL)
    assert report.status == "completed-with-errors"
    [error] = report.errors  # the failing offering is reported and the others were harvested
    assert sos_server.url in error and "GetObservation" in error and "broken-offering" in error
    assert "NoApplicableCode" in error and "locator offering" in error
    assert report.observations == sos_server.total() - 10
    systems = {f["properties"]["uid"]: f for f in (await api.get("/systems?limit=100")).json()["features"]}
    assert_valid(
        PART1 + "geojson/systemCollection.json", {"type": "FeatureCollection", "features": list(systems.values())}
    )
    weather = systems[WEATHER.procedure]
    assert weather["properties"]["name"] == "Weather station 1"
    assert weather["geometry"] == {"type": "Point", "coordinates": [MUENSTER.lon, MUENSTER.lat]}
    assert any(link["rel"] == "via" and "request=DescribeSensor" in link["href"] for link in weather["links"])
    river = systems["urn:x-sos:sos-test:procedure:ws%202500%20%28roof%29"]  # non-URI id → a valid URN (Q3)
    assert river["geometry"]["coordinates"] == [KERIKERI.lon, KERIKERI.lat]
    assert "urn:test:procedure:broken" in systems
    sfs = {f["properties"]["uid"]: f for f in (await api.get("/samplingFeatures?limit=100")).json()["features"]}
    assert_valid(
        PART1 + "geojson/samplingFeatureCollection.json", {"type": "FeatureCollection", "features": list(sfs.values())}
    )
    wellington = sfs["urn:x-sos:sos-test:feature:station%3A42%20%28harbour%29"]
    assert wellington["geometry"] == {"type": "Point", "coordinates": [WELLINGTON.lon, WELLINGTON.lat]}
    assert sfs[MUENSTER.identifier]["properties"]["sampledFeature@link"]["href"] == MUENSTER.sampled
    parent = next(link["href"] for link in wellington["links"] if link["rel"] == "parentSystem")
    assert parent.endswith("/systems/" + river["id"])
    props = (await api.get("/properties?limit=100")).json()["items"]
    assert_valid(PART1 + "sensorml/propertyCollection.json", {"items": props})
    assert {p["baseProperty"] for p in props} >= {
        AIR,
        "http://vocab.nerc.ac.uk/standard_name/water_volume_transport_in_river_channel/",
    }
    fois = {f["id"]: (f["properties"]["uid"] if f["properties"]["uid"].startswith("http") else f["properties"]["name"])
            for f in sfs.values()}  # fmt: skip
    names = {MUENSTER.identifier: MUENSTER.identifier, KERIKERI.name: KERIKERI.identifier,
             WELLINGTON.name: WELLINGTON.identifier}  # fmt: skip
    fois = {k: names.get(v, v) for k, v in fois.items()}
    streams = await streams_by_name(api)
    assert_valid(PART2 + "dataStreamCollection.json", {"items": list(streams.values())})
    expected_units = {"air_temperature (Weather station 1)": "Cel", "Abfluss (River gauge 8)": "m3/s",
                      "relative_humidity (Weather station 1)": "%"}  # fmt: skip
    for name, code in expected_units.items():
        schema = (await api.get(f"/datastreams/{streams[name]['id']}/schema?obsFormat=application/json")).json()
        assert schema["resultSchema"]["type"] == "Quantity" and schema["resultSchema"]["uom"] == {"code": code}
    for spec, prop in ((WEATHER, AIR), (RIVER, DISCHARGE), (RIVER, MEAN_TEMP)):
        ds = next(s for s in streams.values() if s["description"].endswith(f"'{spec.identifier}' of the SOS")
                  and s["observedProperties"][0]["label"] in prop.replace(" ", "_"))  # fmt: skip
        got = await stream_rows(api, ds["id"], fois)
        assert got == server_rows(sos_server, spec.identifier, prop)
        assert ds["phenomenonTime"] == [got[0][0], got[-1][0]]
    broken = next(s for s in streams.values() if "broken" in s["description"])  # listed, without data
    assert (await api.get(f"/datastreams/{broken['id']}/observations")).json()["items"] == []


async def test_sensorml_versions_are_negotiated_and_kept(
    sos_server: ServerState, db: SqlStore, api: httpx.AsyncClient
) -> None:
    world(sos_server, with_broken=False)
    report = await run_harvest(source(sos_server), db, until=UNTIL)
    assert report.status == "completed", report.errors
    asked = [
        (p["procedure"], p["procedureDescriptionFormat"]) for op, _, p in sos_server.requests if op == "DescribeSensor"
    ]
    assert asked == [(WEATHER.procedure, SML20), (RIVER.procedure, SML101)]
    systems = {f["properties"]["uid"]: f["id"] for f in (await api.get("/systems?limit=100")).json()["features"]}
    sml20 = (await api.get(f"/systems/{systems[WEATHER.procedure]}?f=sml")).json()
    assert_valid(PART1 + "sensorml/system.json", sml20)
    assert sml20["type"] == "PhysicalSystem" and sml20["uniqueId"] == WEATHER.procedure
    assert {i["label"] for i in sml20["identifiers"]} >= {"Serial number"}
    assert sml20["characteristics"] and sml20["contacts"] and sml20["classifiers"]
    assert [o["uom"] for o in sml20["outputs"]] == [{"code": "degC"}, {"code": "%"}]
    assert sml20["position"]["coordinates"] == [MUENSTER.lon, MUENSTER.lat]
    sml101 = (await api.get(f"/systems/{systems['urn:x-sos:sos-test:procedure:ws%202500%20%28roof%29']}?f=sml")).json()
    assert_valid(PART1 + "sensorml/system.json", sml101)
    assert {i["value"] for i in sml101["identifiers"]} == {RIVER.procedure, "River gauge 8"}
    assert all(o["definition"].startswith(("http", "urn:")) for o in sml101["outputs"])


async def test_window_is_split_on_response_exceeds_size_limit(sos_server: ServerState, db: SqlStore) -> None:
    world(sos_server, with_broken=False)
    sos_server.size_limit = 70
    report = await run_harvest(source(sos_server), db, until=UNTIL)
    assert report.status == "completed", report.errors
    assert report.observations == sos_server.total()
    assert sos_server.count("GetObservation") > 8  # four streams, each split several times


async def test_max_window_and_data_availability_plan_the_requests(
    sos_server: ServerState, db: SqlStore, tmp_path: Path
) -> None:
    world(sos_server, with_broken=False)
    sos_server.add_points(WEATHER.identifier, AIR, series(20, start=BASE + timedelta(days=40), offset=5.0))
    report = await run_harvest(source(sos_server, max_window="P1D"), db, until=UNTIL)
    assert report.status == "completed", report.errors
    assert report.observations == sos_server.total()
    without = sos_server.count("GetObservation")
    sos_server.requests.clear()
    sos_server.data_availability = True
    other = await SqlStore.open(f"sqlite:///{tmp_path / 'gda.db'}")
    again = await run_harvest(source(sos_server, max_window="P1D"), other, until=UNTIL)
    await other.close()
    assert again.observations == sos_server.total()
    assert "GetDataAvailability" in [op for op, _, _ in sos_server.requests]
    assert sos_server.count("GetObservation") < without - 30  # the empty weeks between the data are skipped


async def test_second_run_writes_nothing_and_third_only_new_data(sos_server: ServerState, db: SqlStore) -> None:
    world(sos_server)
    first = await run_harvest(source(sos_server), db, until=UNTIL)
    second = await run_harvest(source(sos_server), db, until=UNTIL)
    assert second.observations == 0 and second.duplicates <= 5
    assert all(outcome == "unchanged" for (_, outcome) in second.entities), second.entities
    sos_server.add_points(WEATHER.identifier, AIR, series(25, start=BASE + timedelta(days=65), offset=30.0))
    third = await run_harvest(source(sos_server), db, until="2024-04-01T00:00:00Z")
    assert third.observations == 25
    assert first.observations + third.observations == sos_server.total() - 10


async def test_result_retrieval_is_used_when_advertised(
    sos_server: ServerState, db: SqlStore, api: httpx.AsyncClient
) -> None:
    world(sos_server, with_broken=False)
    sos_server.result_retrieval = True
    report = await run_harvest(source(sos_server), db, until=UNTIL)
    assert report.status == "completed", report.errors
    assert report.observations == sos_server.total()
    operations = {op for op, _, _ in sos_server.requests}
    assert {"GetResultTemplate", "GetResult"} <= operations and "GetObservation" not in operations
    streams = await streams_by_name(api)
    rows = await walk(api, f"/datastreams/{streams['Abfluss (River gauge 8)']['id']}/observations?limit=1000", "items")
    assert len({r["samplingFeature@id"] for r in rows}) == 2  # the feature column of the template


async def test_soap_only_operations_are_called_in_soap(sos_server: ServerState, db: SqlStore) -> None:
    world(sos_server, with_broken=False)
    sos_server.soap_only = {"DescribeSensor", "GetObservation", "GetFeatureOfInterest"}
    report = await run_harvest(source(sos_server), db, until=UNTIL)
    assert report.status == "completed", report.errors
    assert report.observations == sos_server.total()
    bindings = {(op, binding) for op, binding, _ in sos_server.requests}
    assert ("GetObservation", "soap") in bindings and ("GetObservation", "kvp") not in bindings


async def test_sos1_only_server_fails_with_a_clear_error(db: SqlStore, tmp_path: Path) -> None:
    fixture = (
        Path(__file__).resolve().parents[3] / "fixtures" / "sos2" / "52n-ioos-getcapabilities-sos100-dual-version.xml"
    )
    from bridge.model.harvest import HarvestState
    from bridge.model.time import utcnow
    from bridge.sources.http import PoliteClient
    from bridge.sources.sos2.harvest import SosHarvester

    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=fixture.read_bytes()))
    async with PoliteClient(transport=transport) as client:
        harvester = SosHarvester("old", "http://old.example/sos", client)
        with pytest.raises(Exception, match=r"SOS 1\.0") as raised:
            async for _ in harvester.batches(HarvestState({}, None, utcnow())):
                pass
    assert "GetCapabilities" in str(raised.value)


def _report_lines(report: RunReport) -> str:
    return "\n".join(report.errors)


async def test_soap_only_server_including_capabilities(sos_server: ServerState, db: SqlStore) -> None:
    world(sos_server, with_broken=False)
    sos_server.soap_only = {"GetCapabilities", "DescribeSensor", "GetObservation", "GetFeatureOfInterest"}
    report = await run_harvest(source(sos_server), db, until=UNTIL)
    assert report.status == "completed", report.errors
    assert report.observations == sos_server.total()
    capabilities = [binding for op, binding, _ in sos_server.requests if op == "GetCapabilities"]
    assert capabilities == ["kvp", "pox", "soap"]  # KVP and POX were refused with exception reports, SOAP worked
    assert {b for op, b, _ in sos_server.requests if op != "GetCapabilities"} == {"soap"}


async def test_mapping_override_of_a_deployment(sos_server: ServerState, db: SqlStore, tmp_path: Path,
                                                api: httpx.AsyncClient) -> None:  # fmt: skip
    world(sos_server, with_broken=False)
    overrides = tmp_path / "mappings"
    overrides.mkdir()
    (overrides / "entities.yaml").write_text('lookups:\n  units:\n    "degC": "K"\n')
    report = await run_harvest(source(sos_server, mappings=str(overrides)), db, until=UNTIL)
    assert report.status == "completed", report.errors
    streams = await streams_by_name(api)
    schema = (
        await api.get(
            f"/datastreams/{streams['air_temperature (Weather station 1)']['id']}/schema?obsFormat=application/json"
        )
    ).json()
    assert schema["resultSchema"]["uom"] == {"code": "K"}


def test_invalid_override_is_refused_at_startup(tmp_path: Path) -> None:
    from bridge.errors import ConfigError
    from bridge.jobs.sources import build_source

    (tmp_path / "entities.yaml").write_text(
        "resources:\n  Datastream:\n    kind: datastreams\n    id: {from: stream.legacy_id, transform: nope}\n"
    )
    with pytest.raises(ConfigError, match="unknown transform 'nope'"):
        build_source(SourceConfig(name="x", type="sos", url="http://sos.example", mappings=str(tmp_path)))
    with pytest.raises(ConfigError, match="max_window"):
        build_source(SourceConfig(name="x", type="sos", url="http://sos.example", max_window="31 days"))


def test_oversized_text_nodes_and_size_limits_shrink_the_window() -> None:
    from bridge.model.legacy.sos2 import SosException
    from bridge.sources.sos2.exceptions import OwsException
    from bridge.sources.sos2.harvest import too_large
    from bridge.sources.xml import parse_xml

    with pytest.raises(Exception) as huge:
        parse_xml(b"<a>" + b"1," * 5_500_000 + b"</a>")  # an 11 MB text block
    assert too_large(huge.value)
    assert too_large(OwsException((SosException("ResponseExceedsSizeLimit"),)))
    assert not too_large(OwsException((SosException("NoApplicableCode"),)))


async def test_waterml_only_offering_is_harvested(
    sos_server: ServerState, db: SqlStore, api: httpx.AsyncClient
) -> None:
    from tests.sos_server.worlds import GAUGE

    stage = GAUGE.properties[0]
    sos_server.add_offering(GAUGE, {stage: series(150, step=timedelta(minutes=5), scale=0.01, offset=1.2)})
    report = await run_harvest(source(sos_server, max_window="PT6H"), db, until=UNTIL)
    assert report.status == "completed", report.errors
    assert report.observations == 150
    formats = {p.get("responseFormat") for op, _, p in sos_server.requests if op == "GetObservation"}
    assert formats == {"http://www.opengis.net/waterml/2.0"}
    [stream] = (await api.get("/datastreams")).json()["items"]
    schema = (await api.get(f"/datastreams/{stream['id']}/schema?obsFormat=application/json")).json()
    assert schema["resultSchema"]["uom"] == {"code": "m"}
    rows = await walk(api, f"/datastreams/{stream['id']}/observations?limit=1000", "items")
    got = sorted((r["phenomenonTime"], r["result"]) for r in rows)
    assert got == [(t, v) for t, v, _ in server_rows(sos_server, GAUGE.identifier, stage)]
    assert rows[0]["parameters"]["interpolationType"].endswith("/continuous")


async def test_offering_gone_from_the_capabilities_is_ended(sos_server: ServerState, db: SqlStore) -> None:
    world(sos_server, with_broken=False)
    await run_harvest(source(sos_server), db, until=UNTIL)
    sos_server.offerings.remove(RIVER)
    report = await run_harvest(source(sos_server), db, until=UNTIL)
    assert report.status == "completed", report.errors
    assert report.reconciled == {"Procedure": 1, "Datastream": 2, "ObservableProperty": 2}


async def _contents(store: SqlStore) -> set[tuple[str, str, Any]]:
    app = create_app(Settings(auth=OPEN, store="sqlite:///:memory:", base_url="http://bridge"), store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bridge") as client:
        names = {s["id"]: s["name"] for s in await walk(client, "/datastreams?limit=100", "items")}
        rows = await walk(client, "/observations?limit=1000", "items")
    return {(names[o["datastream@id"]], o["phenomenonTime"], o["result"]) for o in rows}


async def test_streams_are_read_in_parallel_up_to_the_source_concurrency(
    sos_server: ServerState, tmp_path: Path
) -> None:
    """A slow server: `concurrency` streams are read at once, and the store ends the same as one at a time."""
    world(sos_server)
    sos_server.delay = 0.05
    found: dict[int, tuple[int, set[tuple[str, str, Any]], int]] = {}
    for concurrency in (1, 4):
        sos_server.max_in_flight = 0
        store = await SqlStore.open(f"sqlite:///{tmp_path / f'c{concurrency}.db'}")
        try:
            report = await run_harvest(source(sos_server, concurrency=concurrency), store, until=UNTIL)
            found[concurrency] = (sos_server.max_in_flight, await _contents(store), report.observations)
        finally:
            await store.close()
    assert found[1][0] == 1 and found[4][0] > 1  # parallel GetObservation requests only when allowed
    assert found[1][1] == found[4][1] and found[1][2] == found[4][2] == sos_server.total() - 10


@pytest.mark.parametrize("concurrency", [1, 4])
async def test_refused_windows_are_learned_per_offering_and_remembered(
    sos_server: ServerState, db: SqlStore, api: httpx.AsyncClient, concurrency: int
) -> None:
    from math import ceil, log2

    from tests.sos_server.worlds import HUMIDITY

    every = timedelta(hours=12)  # 200 days of data per stream, a server refusing periods over 31 days
    sos_server.add_offering(WEATHER, {AIR: series(400, step=every), HUMIDITY: series(400, step=every, offset=40.0)})
    sos_server.add_offering(RIVER, {DISCHARGE: series(200, step=every * 2), MEAN_TEMP: series(100, step=every * 4)})
    sos_server.window_limit = timedelta(days=31)
    until = (BASE + timedelta(days=400)).strftime("%Y-%m-%dT%H:%M:%SZ")
    report = await run_harvest(source(sos_server, concurrency=concurrency), db, until=until)
    assert report.status == "completed", report.errors
    assert report.observations == sos_server.total()
    learned = report.reading["windows"]
    for spec in (WEATHER, RIVER):
        times = [t for p in spec.properties for t, _, _ in sos_server.data[(spec.identifier, p)]]
        extent = (max(times) - min(times)).total_seconds()
        accepted = learned[spec.identifier]["acceptedSeconds"]
        refused = sos_server.refused.count(spec.identifier)
        assert accepted <= 31 * 86_400 and refused == learned[spec.identifier]["refused"]
        assert 1 <= refused <= ceil(log2(extent / accepted)) + 1, (spec.identifier, refused, extent / accepted)
    cursors = await db.harvest_cursors("sos-test")  # stored with the cursors, so the next run starts from it
    assert cursors[f"learned:window/{WEATHER.identifier}"] == int(learned[WEATHER.identifier]["acceptedSeconds"] * 1e6)
    page = (await api.get("/sources/sos-test")).json()  # learned lengths shown apart from the stream positions
    assert not any(c["stream"].startswith("learned:") for c in page["cursors"])
    assert {f"window/{WEATHER.identifier}", f"window/{RIVER.identifier}"} == {x["name"] for x in page["learned"]}
    sos_server.refused.clear()
    sos_server.add_points(WEATHER.identifier, AIR, series(100, start=BASE + timedelta(days=410), step=every))
    later = (BASE + timedelta(days=500)).strftime("%Y-%m-%dT%H:%M:%SZ")
    again = await run_harvest(source(sos_server, concurrency=concurrency), db, until=later)
    assert again.status == "completed" and again.observations == 100
    assert sos_server.refused == []


async def test_observed_area_axis_order_follows_the_features_it_covers(
    sos_server: ServerState, db: SqlStore, api: httpx.AsyncClient
) -> None:
    """The server writes observedArea lon/lat under EPSG:4326 (52°North, Q4); in Europe both orders look valid.
    A system placed by its observed area (no SensorML position) lands where its features of interest are."""
    from tests.sos_server.state import Foi, OfferingSpec

    essen = OfferingSpec("essen-1", "urn:test:procedure:essen", [AIR], {AIR: "degC"},
                         [Foi("essen-roof", "Essen roof", 51.40, 6.97)], formats=[], label="Essen")  # fmt: skip
    sos_server.add_offering(essen, {AIR: series(20)})
    sos_server.add_offering(RIVER, {DISCHARGE: series(20), MEAN_TEMP: series(5)})  # NZ: |lon| > 90 tells
    report = await run_harvest(source(sos_server), db, until=UNTIL)
    assert report.status == "completed" or all("DescribeSensor" in e for e in report.errors), report.errors
    systems = {s["properties"]["uid"]: s for s in (await api.get("/systems")).json()["features"]}
    placed = systems["urn:test:procedure:essen"]
    assert placed["geometry"] == {"type": "Point", "coordinates": [6.97, 51.40]}  # not off Somalia (51.40 E 6.97 N)
    props = placed["properties"]
    assert props["sosOfferings"][0]["observedArea"] == [6.97, 51.4, 6.97, 51.4]
    (issue,) = props["provenanceIssues"]
    assert "observedArea of offering essen-1" in issue and "axis order swapped" in issue
    river = next(p for s in systems.values() if (p := s["properties"])["sosOfferings"][0]["identifier"] == "8")
    assert "provenanceIssues" not in river  # the plausibility check already read it right
    west, south, east, north = river["sosOfferings"][0]["observedArea"]
    assert 170 < west < east < 180 and -42 < south < north < -35


def test_observed_area_that_covers_no_feature_either_way_is_kept_and_noted() -> None:
    from bridge.model.legacy.sos2 import FeatureOfInterest, Offering
    from bridge.sources.sos2.areas import check_observed_areas
    from bridge.sources.sos2.records import ProcedureInfo

    def proc(box: tuple[float, float, float, float]) -> ProcedureInfo:
        area = Offering("o", "p", observed_area=box, observed_area_srs="EPSG:4326", observed_area_ambiguous=True)
        return ProcedureInfo("p", [area])

    point = FeatureOfInterest("f", geometry={"type": "Point", "coordinates": [10.0, 50.0]})
    far = proc((20.0, 30.0, 21.0, 31.0))
    check_observed_areas(far, [point])
    assert far.offerings[0].observed_area == (20.0, 30.0, 21.0, 31.0) and "in either axis order" in far.issues[0]
    right = proc((9.0, 49.0, 11.0, 51.0))
    check_observed_areas(right, [point])
    assert right.offerings[0].observed_area == (9.0, 49.0, 11.0, 51.0) and right.issues == []
    flipped = proc((49.0, 9.0, 51.0, 11.0))
    check_observed_areas(flipped, [point])
    assert flipped.offerings[0].observed_area == (9.0, 49.0, 11.0, 51.0) and len(flipped.issues) == 1
    unplaced = proc((49.0, 9.0, 51.0, 11.0))
    check_observed_areas(unplaced, [FeatureOfInterest("g")])  # no positions to check against: nothing decided
    assert unplaced.offerings[0].observed_area == (49.0, 9.0, 51.0, 11.0) and unplaced.issues == []
