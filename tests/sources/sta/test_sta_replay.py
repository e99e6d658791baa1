"""Every recorded STA document replayed through httpx.MockTransport and read with StaReader."""

from __future__ import annotations

from typing import Any

import httpx

from bridge.sources.sta import StaReader, StaReaderConfig
from bridge.sources.sta.parse import parse_datastream

ROOT = "http://sta.test/v1.1/"
DATA_ARRAY = "http://www.opengis.net/spec/iot_sensing/1.1/req/data-array/data-array"


def stream(path: str) -> Any:
    return parse_datastream({"@iot.id": "ds", "name": "ds", "Observations@iot.navigationLink": ROOT + path})


async def test_service_roots_replayed(fake_sta, sta_bytes) -> None:
    fake_sta.on("/v1.1/", httpx.Response(200, content=sta_bytes("istsos4-service-root.json")))
    async with fake_sta.client() as client:
        root = await StaReader(client, ROOT).service_root()
    assert root.has("data_array") and root.entity_sets["Things"] == "https://istsos.org/v4/v1.1/Things"
    fake_sta.routes.clear()
    fake_sta.on("/v1.1/", httpx.Response(200, content=sta_bytes("examind-service-root.json")))
    async with fake_sta.client() as client:
        root = await StaReader(client, ROOT).service_root()
    assert root.has("multi_datastream") and root.data_array is True


async def test_52n_pages_with_injected_expand_and_repeated_items(fake_sta, sta_bytes) -> None:
    fake_sta.root_doc("Datastreams", conformance=[])
    first = sta_bytes("52n-sta-observations-orderby-top-skip-expand-foi-nextlink.json")
    rest = sta_bytes("52n-sta-datastream-observations-string-results.json")
    path = "/52n-sensorthings-webapp/Datastreams(thermometer_readings_102)/Observations"
    fake_sta.on(path, httpx.Response(200, content=rest), when=lambda q: "$expand" in q and q.get("$skip") == "4")
    fake_sta.on("/v1.1/Datastreams(1)/Observations", httpx.Response(200, content=first))
    async with fake_sta.client() as client:
        reader = StaReader(client, ROOT, StaReaderConfig(use_data_array=False))
        batches = [b async for b in reader.observations(stream("Datastreams(1)/Observations"), foi=False)]
    first_ids = [o.id for o in batches[0].observations]
    second = batches[1].observations
    assert first_ids == ["cb2c0cc6-c9c8-4e47-a665-9029a0ff6ac4", "45725aa8-6aab-4861-8b0c-80650e8ec5a0"]
    assert len(second) == 3 and not set(first_ids) & {o.id for o in second}  # boundary repeats dropped
    assert all(isinstance(o.result, float) and isinstance(o.result_raw, str) for o in second)
    assert fake_sta.paths()[-1].startswith(path + "?$top=2&$orderby=phenomenonTime%20asc&$expand=FeatureOfInterest")


async def test_examind_observation_pages_and_dataarray(fake_sta, sta_bytes) -> None:
    fake_sta.root_doc("Datastreams", conformance=[DATA_ARRAY])
    fake_sta.on(
        "/v1.1/Datastreams(2)/Observations",
        httpx.Response(200, content=sta_bytes("examind-datastream-observations-dataarray.json")),
        when=lambda q: q.get("$resultFormat") == "dataArray",
    )
    fake_sta.on(
        "/v1.1/Datastreams(3)/Observations",
        httpx.Response(200, content=sta_bytes("examind-observations-top-count-nextlink.json")),
    )
    fake_sta.on("/WS/sts/default/v1.1/Observations", {"value": []}, when=lambda q: q.get("$skip") == "2")
    async with fake_sta.client() as client:
        reader = StaReader(client, ROOT)
        (array_batch,) = [b async for b in reader.observations(stream("Datastreams(2)/Observations"), foi=False)]
        plain = StaReader(client, ROOT, StaReaderConfig(use_data_array=False))
        pages = [b async for b in plain.observations(stream("Datastreams(3)/Observations"), foi=False)]
    assert len(array_batch.observations) == 5 and array_batch.observations[0].result == 6.56
    assert [o.result for o in pages[0].observations] == [False, "blue"] and pages[1].observations == []


async def test_examind_multidatastream_and_its_dataarray(fake_sta, sta_doc, sta_bytes) -> None:
    fake_sta.root_doc("MultiDatastreams", conformance=[DATA_ARRAY, "…/req/multi-datastream"])
    fake_sta.on("/v1.1/MultiDatastreams", {"value": [sta_doc("examind-multidatastream.json")]})
    mds_path = "/WS/sts/default/v1.1/MultiDatastreams(urn:ogc:object:observation:template:GEOM:8)"
    fake_sta.on(mds_path + "/Things", {"@iot.id": "urn:thing"})
    fake_sta.on(mds_path + "/Sensors", {"@iot.id": "urn:sensor"})
    fake_sta.on(mds_path + "/ObservedProperties", {"value": [{"@iot.id": "depth"}, {"@iot.id": "temp"}]})
    fake_sta.on(
        mds_path + "/Observations",
        httpx.Response(200, content=sta_bytes("examind-multidatastream-observations-dataarray.json")),
    )
    async with fake_sta.client() as client:
        reader = StaReader(client, ROOT)
        (mds,) = [m async for m in reader.multi_datastreams()]
        (batch,) = [b async for b in reader.observations(mds, foi=False)]
    # the record's Thing/Sensor links are Examind's plural paths; the ids were not $expanded -> links followed
    assert (mds.thing_id, mds.sensor_id, mds.observed_property_ids) == ("urn:thing", "urn:sensor", ["depth", "temp"])
    assert [o.result for o in batch.observations][:2] == [[6.56, 12.0], [6.56, 13.0]]
    assert {o.multi_datastream_id for o in batch.observations} == {mds.id}


async def test_things_with_expanded_locations_and_nested_next_links(fake_sta, sta_doc) -> None:
    fake_sta.root_doc("Things")
    fake_sta.on("/v1.1/Things", {"value": [sta_doc("examind-thing-expand-locations.json")]})
    async with fake_sta.client() as client:
        (thing,) = [t async for t in StaReader(client, ROOT).things()]
    assert thing.location_ids == ["urn:ogc:object:sensor:GEOM:2"]

    frost = sta_doc("frost-docs-thing-nested-expand-observations-nextlink.json")
    fake_sta.on(
        "/FROST-Server/v1.1/Datastreams(19)/Observations",
        {"value": [{"@iot.id": 900, "phenomenonTime": "2020-04-10T15:00:00.000Z", "result": 4.4}]},
        when=lambda q: q.get("$skip") == "1" and q.get("$orderby") == "phenomenonTime desc",
    )
    async with fake_sta.client() as client:
        reader = StaReader(client, ROOT)
        datastreams = [d async for d in reader.nested(frost, "Datastreams")]
        observations = [o async for o in reader.nested(datastreams[0], "Observations")]
    assert [d["@iot.id"] for d in datastreams] == [19, 21]
    assert [o.get("result") for o in observations] == [4.6, 4.4]
    assert "server.de" in str(fake_sta.requests[-1].url)


async def test_tasking_capabilities_replayed(fake_sta, sta_doc) -> None:
    washer = {
        "@iot.id": 1,
        "name": "washer",
        "taskingParameters": sta_doc("frost-swecommon-taskingparameters-washer.json"),
        "Thing": {"@iot.id": 5},
        "Actuator": {"@iot.id": 6},
    }
    deep = {
        "@iot.id": 2,
        **sta_doc("frost-tests-taskingcapability-deep-insert-request.json"),
        "Thing": {"@iot.id": 5},
        "Actuator": {"@iot.id": 7},
    }
    fake_sta.root_doc("Things", "TaskingCapabilities", "Actuators", "Tasks")
    fake_sta.on("/v1.1/TaskingCapabilities", {"value": [washer, deep]})
    async with fake_sta.client() as client:
        caps = [c async for c in StaReader(client, ROOT).tasking_capabilities()]
    assert [(c.tasking_shape, c.thing_id, c.actuator_id) for c in caps] == [("swe", "5", "6"), ("opaque", "5", "7")]


async def test_istsos_expanded_observations_and_encoded_next_link(fake_sta, sta_bytes) -> None:
    fake_sta.root_doc("Datastreams", conformance=[])
    fake_sta.on(
        "/v1.1/Datastreams(16)/Observations",
        httpx.Response(200, content=sta_bytes("istsos4-datastream-observations-expand-datastream-foi.json")),
    )
    fake_sta.on(
        "/v1.1/Datastreams(17)/Observations",
        httpx.Response(200, content=sta_bytes("istsos4-observations-filter-orderby-top-skip-nextlink.json")),
    )
    fake_sta.on("/v4/v1.1/Observations", {"value": []}, when=lambda q: q.get("$skip") == "3")
    async with fake_sta.client() as client:
        reader = StaReader(client, ROOT, StaReaderConfig(expand_related="expand", use_data_array=False))
        (batch,) = [b async for b in reader.observations(stream("Datastreams(16)/Observations"))]
        pages = [b async for b in reader.observations(stream("Datastreams(17)/Observations"), foi=False)]
    assert [(o.id, o.foi_id, o.datastream_id) for o in batch.observations] == [
        ("18", "15", "16"),
        ("19", "15", "16"),
        ("20", "15", "16"),
    ]
    assert [o.id for o in pages[0].observations] == ["23"] and pages[1].observations == []
    assert "%24skip=3" in fake_sta.paths()[-1]
