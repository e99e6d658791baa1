"""StaReader against scripted servers: retries, probing fallbacks, windows, $expand bug, tasks, errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from bridge.errors import UpstreamError
from bridge.model.legacy.sta import Datastream, MultiDatastream, TaskingCapability
from bridge.sources.sta import StaError, StaReader, StaReaderConfig
from bridge.sources.sta.parse import parse_datastream

ROOT = "http://sta.test/v1.1/"
DS_PATH = "/v1.1/Datastreams(7)/Observations"


def stream(ds_id: str = "7") -> Datastream:
    return parse_datastream(
        {
            "@iot.id": int(ds_id),
            "@iot.selfLink": f"{ROOT}Datastreams({ds_id})",
            "name": "ds",
            "Observations@iot.navigationLink": f"{ROOT}Datastreams({ds_id})/Observations",
        }
    )


def obs(i: int, minute: int | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "@iot.id": i,
        "phenomenonTime": f"2024-01-01T00:{minute if minute is not None else i:02d}:00Z",
        "result": i * 1.5,
        **extra,
    }


async def batches(fake, ds: Datastream | MultiDatastream | None = None, **kwargs: Any) -> list[Any]:
    config = kwargs.pop("config", StaReaderConfig())
    async with fake.client() as client:
        reader = StaReader(client, ROOT, config)
        return [b async for b in reader.observations(ds or stream(), **kwargs)]


async def test_service_root_503_with_retry_after_then_success(fake_sta) -> None:
    busy = httpx.Response(503, headers={"Retry-After": "0"}, text="busy")
    fake_sta.on("/v1.1/", busy, {"value": [{"name": "Things", "url": ROOT + "Things"}]})
    async with fake_sta.client() as client:
        root = await StaReader(client, ROOT).service_root()
        assert root.entity_sets == {"Things": ROOT + "Things"}
        assert client.stats.retries == 1


async def test_429_and_timeouts_are_retried(fake_sta) -> None:
    calls = {"n": 0}

    def flaky(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            raise httpx.ReadTimeout("slow", request=request)
        if calls["n"] == 2:
            return httpx.Response(429, headers={"Retry-After": "0"})
        return httpx.Response(200, json={"value": [{"@iot.id": 1, "name": "a"}]})

    fake_sta.root_doc("Things")
    fake_sta.on("/v1.1/Things", flaky)
    async with fake_sta.client() as client:
        names = [t.name async for t in StaReader(client, ROOT).things()]
        assert names == ["a"] and client.stats.retries == 2


async def test_errors_carry_the_server_message(fake_sta, sta_bytes) -> None:
    fake_sta.root_doc("Things")
    fake_sta.on("/v1.1/Things", httpx.Response(404, content=sta_bytes("istsos4-error-404.json")))
    async with fake_sta.client() as client:
        with pytest.raises(StaError) as info:
            _ = [t async for t in StaReader(client, ROOT).things()]
    assert info.value.status_code == 404 and info.value.server_message == "Not Found"
    assert isinstance(info.value, UpstreamError) and "Not Found" in str(info.value)


async def test_orderby_500_falls_back_to_unordered_reads_probed_once(fake_sta) -> None:
    fake_sta.root_doc("Datastreams", conformance=[])
    fake_sta.on(DS_PATH, httpx.Response(500, json={"detail": "Internal server error"}), when=lambda q: "$orderby" in q)
    fake_sta.on(
        DS_PATH,
        {"value": [obs(3), obs(1)], "@iot.nextLink": ROOT + "Datastreams(7)/Observations?$top=2&$skip=2"},
        when=lambda q: q.get("$skip") is None and q.get("$top") == "100",
    )
    fake_sta.on(DS_PATH, {"value": [obs(2)]}, when=lambda q: q.get("$skip") == "2")
    fake_sta.on(DS_PATH, {"value": [obs(1)]})  # probes with $top=1
    async with fake_sta.client() as client:
        reader = StaReader(client, ROOT, StaReaderConfig(use_data_array=False))
        first = [b async for b in reader.observations(stream(), foi=False)]
        second = [b async for b in reader.observations(stream(), foi=False)]
    assert [len(b.observations) for b in first] == [2, 1]
    assert all(not b.ordered for b in first) and [b.last for b in first] == [False, True]
    assert first[-1].high_water == datetime(2024, 1, 1, 0, 3, tzinfo=UTC)
    assert len(second) == 2
    assert sum("orderby" in p for p in fake_sta.paths()) == 2  # probe + one retry of the 5xx, never again
    assert reader.quirks.orderby == {"phenomenonTime": False}


async def test_window_filters_are_encoded(fake_sta) -> None:
    fake_sta.root_doc("Datastreams", conformance=[])
    fake_sta.on(DS_PATH, {"value": []})
    since, until = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 2, 12, 30, tzinfo=UTC)
    result = await batches(fake_sta, since=since, until=until, foi=False, config=StaReaderConfig(use_data_array=False))
    assert result[0].observations == [] and result[0].ordered and result[0].last
    last = fake_sta.requests[-1]
    assert (
        last.url.params["$filter"]
        == "phenomenonTime ge 2024-01-01T00:00:00Z and phenomenonTime lt 2024-01-02T12:30:00Z"
    )
    assert last.url.params["$orderby"] == "phenomenonTime asc"
    assert last.url.params["$select"] == "id,phenomenonTime,resultTime,result,resultQuality,validTime,parameters"
    assert "%24filter=phenomenonTime+ge+2024-01-01T00%3A00%3A00Z+and+" in str(last.url)

    await batches(fake_sta, since=datetime(2024, 5, 1, 10, tzinfo=UTC), order_field="resultTime", foi=False)
    assert fake_sta.requests[-1].url.params["$filter"] == "resultTime ge 2024-05-01T10:00:00Z"
    await batches(fake_sta, since=41, until="urn:x'9", order_field="id", foi=False)
    assert fake_sta.requests[-1].url.params["$filter"] == "id ge 41 and id lt 'urn:x''9'"
    assert fake_sta.requests[-1].url.params["$orderby"] == "id asc"


async def test_ordered_claim_that_is_not_kept_is_downgraded(fake_sta) -> None:
    fake_sta.root_doc("Datastreams", conformance=[])
    fake_sta.on(DS_PATH, {"value": [obs(5), obs(2)]})
    (batch,) = await batches(fake_sta, foi=False)
    assert not batch.ordered and batch.high_water == datetime(2024, 1, 1, 0, 5, tzinfo=UTC)


async def test_data_array_with_foi_column_and_top_cap(fake_sta, sta_doc) -> None:
    fake_sta.root_doc(
        "Datastreams", conformance=["http://www.opengis.net/spec/iot_sensing/1.1/req/data-array/data-array"]
    )
    fake_sta.on(
        DS_PATH, httpx.Response(422, json={"detail": "$top must be <= 100"}), when=lambda q: q.get("$top") == "1000"
    )
    doc = sta_doc("examind-datastream-observations-dataarray.json")
    doc["value"][0]["components"].append("FeatureOfInterest/id")
    for row in doc["value"][0]["dataArray"]:
        row.append("foi-1")
    fake_sta.on(DS_PATH, doc)
    result = await batches(fake_sta)
    (batch,) = result
    assert [o.id for o in batch.observations][:2] == [
        "urn:ogc:object:observation:GEOM:507-2-1",
        "urn:ogc:object:observation:GEOM:507-2-2",
    ]
    assert {o.foi_id for o in batch.observations} == {"foi-1"} and batch.observations[0].datastream_id == "7"
    params = fake_sta.requests[-1].url.params
    assert params["$resultFormat"] == "dataArray" and params["$top"] == "100"
    assert params["$select"].endswith(",FeatureOfInterest/id")


async def test_foi_expand_verified_and_distrusted(fake_sta) -> None:
    fake_sta.root_doc("Datastreams", conformance=[])
    nav = {"FeatureOfInterest@iot.navigationLink": ROOT + "Observations({})/FeatureOfInterest"}

    def expanded_page(request: httpx.Request) -> httpx.Response:
        rows = [obs(i, FeatureOfInterest={"@iot.id": "f1"}) for i in (1, 2, 3)]  # the bug: all the first FoI
        return httpx.Response(200, json={"value": rows})

    def plain_page(request: httpx.Request) -> httpx.Response:
        rows = [{**obs(i), **{k: v.format(i) for k, v in nav.items()}} for i in (1, 2, 3)]
        return httpx.Response(200, json={"value": rows})

    fake_sta.on(DS_PATH, expanded_page, when=lambda q: "$expand" in q)
    fake_sta.on(DS_PATH, plain_page, when=lambda q: "$select" not in q)
    for i, foi in ((1, "f1"), (2, "f2"), (3, "f1")):
        fake_sta.on(f"/v1.1/Observations({i})/FeatureOfInterest", {"@iot.id": foi})
    async with fake_sta.client() as client:
        reader = StaReader(client, ROOT, StaReaderConfig(use_data_array=False))
        (batch,) = [b async for b in reader.observations(stream())]
        assert reader.expand.state == "broken"
    assert [o.foi_id for o in batch.observations] == [None, None, None]


async def test_datastream_expand_bug_detected_and_resolved_by_links(fake_sta) -> None:
    def ds(i: int, sensor: str) -> dict[str, Any]:
        return {
            "@iot.id": i,
            "@iot.selfLink": f"{ROOT}Datastreams({i})",
            "name": f"d{i}",
            "Thing": {"@iot.id": 1},
            "Sensor": {"@iot.id": sensor},
            "ObservedProperty": {"@iot.id": 9},
        }

    fake_sta.root_doc("Datastreams")
    fake_sta.on("/v1.1/Datastreams", {"value": [ds(1, "s1"), ds(2, "s1"), ds(3, "s1")]})
    for i in (1, 2, 3):
        fake_sta.on(f"/v1.1/Datastreams({i})/Thing", {"@iot.id": 1})
        fake_sta.on(f"/v1.1/Datastreams({i})/Sensor", {"@iot.id": f"s{i}"})
        fake_sta.on(f"/v1.1/Datastreams({i})/ObservedProperty", {"@iot.id": 9})
    async with fake_sta.client() as client:
        reader = StaReader(client, ROOT)
        streams = [d async for d in reader.datastreams()]
    assert [(d.thing_id, d.sensor_id, d.observed_property_id) for d in streams] == [
        ("1", "s1", "9"),
        ("1", "s2", "9"),
        ("1", "s3", "9"),
    ]
    assert reader.expand.state == "broken"
    expand = fake_sta.requests[1].url.params["$expand"]
    assert expand == "Thing($select=id),Sensor($select=id),ObservedProperty($select=id)"


async def test_datastream_expand_trusted_when_ids_differ(fake_sta) -> None:
    rows = [
        {
            "@iot.id": i,
            "name": f"d{i}",
            "Thing": {"@iot.id": i},
            "Sensor": {"@iot.id": i},
            "ObservedProperty": {"@iot.id": i},
        }
        for i in (1, 2)
    ]
    fake_sta.root_doc("Datastreams")
    fake_sta.on("/v1.1/Datastreams", {"value": rows})
    async with fake_sta.client() as client:
        reader = StaReader(client, ROOT)
        streams = [d async for d in reader.datastreams()]
    assert [d.sensor_id for d in streams] == ["1", "2"] and reader.expand.state == "ok"
    assert len(fake_sta.requests) == 2


async def test_multi_datastreams_only_when_supported(fake_sta, sta_doc) -> None:
    mds = sta_doc("examind-multidatastream.json")
    mds["Thing"] = [{"@iot.id": "t"}]
    mds["Sensor"] = {"@iot.id": "s"}
    mds["ObservedProperties"] = [{"@iot.id": "p2"}, {"@iot.id": "p1"}]
    fake_sta.root_doc("Things", "MultiDatastreams")
    fake_sta.on("/v1.1/MultiDatastreams", {"value": [mds]})
    async with fake_sta.client() as client:
        (record,) = [m async for m in StaReader(client, ROOT).multi_datastreams()]
    assert (record.thing_id, record.sensor_id, record.observed_property_ids) == ("t", "s", ["p2", "p1"])
    fake_sta.routes.clear()
    fake_sta.root_doc("Things")
    async with fake_sta.client() as client:
        assert [m async for m in StaReader(client, ROOT).multi_datastreams()] == []


async def test_create_task_posts_to_tasks_with_the_raw_capability_id(fake_sta) -> None:
    posted: list[Any] = []

    def create(request: httpx.Request) -> httpx.Response:
        import json

        posted.append(json.loads(request.content))
        return httpx.Response(201, headers={"Location": ROOT + "Tasks(31)"})

    fake_sta.root_doc("Things", "TaskingCapabilities", "Tasks", "Actuators")
    fake_sta.on("/v1.1/TaskingCapabilities(4)", {"@iot.id": 4})
    fake_sta.on("/v1.1/Tasks", create)
    fake_sta.on(
        "/v1.1/Tasks(31)",
        {"@iot.id": 31, "creationTime": "2024-02-02T10:00:00.000Z", "taskingParameters": {"program": "Wool"}},
    )
    capability = TaskingCapability(id="4", self_link=ROOT + "TaskingCapabilities(4)", name="washer")
    async with fake_sta.client() as client:
        task = await StaReader(client, ROOT).create_task(capability, {"program": "Wool"})
    assert posted == [{"taskingParameters": {"program": "Wool"}, "TaskingCapability": {"@iot.id": 4}}]
    assert task.id == "31" and task.tasking_capability_id == "4"
    assert task.creation_time == datetime(2024, 2, 2, 10, tzinfo=UTC)


async def test_create_task_rejected_is_an_sta_error(fake_sta) -> None:
    fake_sta.root_doc("Tasks")
    fake_sta.on("/v1.1/Tasks", httpx.Response(400, json={"code": 400, "type": "error", "message": "bad parameters"}))
    async with fake_sta.client() as client:
        with pytest.raises(StaError, match="bad parameters"):
            await StaReader(client, ROOT).create_task("urn:cap:1", {"x": 1})
    assert len([r for r in fake_sta.requests if r.method == "POST"]) == 1  # never retried


async def test_stream_without_links_is_an_upstream_error(fake_sta) -> None:
    fake_sta.root_doc("Datastreams", conformance=[])
    with pytest.raises(UpstreamError):
        await batches(fake_sta, Datastream(id="1", self_link=None, name="x"))
