"""Query parameters of `/observations` and `/datastreams/{id}/observations` (Part 2 §9): match, non-match, invalid.

systems   s (urn:x-p2o:sys:s), t (urn:x-p2o:sys:t)
sampling  sf1, sf2 on s (sampling urn:x-p2o:foi:river and urn:x-p2o:foi:lake)
temp (air temperature, on s)        phenomenonTime         resultTime            foi
    o1                              2021-01-01T00:00Z      2021-01-01T00:00Z     sf1
    o2                              2021-01-01T01:00Z      2021-01-01T01:00Z     sf2
    o3, o4 (one forecast run)       2021-01-01T02:00Z/03Z  2021-01-01T05:00Z     sf1
rh (relative humidity, on t)
    p1, p2                          2022-01-01, 2022-01-02 (= resultTime)
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
import pytest_asyncio

from bridge.store.sql.store import SqlStore
from tests.api.part2_support import (
    AIR_TEMP,
    GEO,
    SWE_CSV,
    assert_bad_param,
    assert_error,
    datastream_body,
    ids_at,
    local_id,
    new_stream,
    new_system,
    open_part2_client,
    post_observations,
    quantity,
    sampling_feature_body,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")
RH = "http://mmisw.org/ont/cf/parameter/relative_humidity"


@dataclass
class World:
    client: httpx.AsyncClient
    ids: dict[str, str] = field(default_factory=dict)

    def names(self, found: set[str]) -> set[str]:
        by_id = {v: k for k, v in self.ids.items()}
        return {by_id.get(i, i) for i in found}


async def _build(client: httpx.AsyncClient) -> World:
    w = World(client)
    ids = w.ids
    ids["s"] = await new_system(client, "urn:x-p2o:sys:s", "S")
    ids["t"] = await new_system(client, "urn:x-p2o:sys:t", "T")
    for name, foi in (("sf1", "urn:x-p2o:foi:river"), ("sf2", "urn:x-p2o:foi:lake")):
        body = sampling_feature_body(f"urn:x-p2o:sf:{name}", name, foi)
        r = await client.post(f"/systems/{ids['s']}/samplingFeatures", json=body, headers={"Content-Type": GEO})
        ids[name] = local_id(r.headers["location"])
    ids["temp"] = await new_stream(client, ids["s"], "datastreams", datastream_body("temp", quantity("t", AIR_TEMP)))
    ids["rh"] = await new_stream(client, ids["t"], "datastreams", datastream_body("rh", quantity("rh", RH, "%")))
    day = "2021-01-01T0"
    temp = [
        {
            "phenomenonTime": f"{day}0:00:00Z",
            "resultTime": f"{day}0:00:00Z",
            "result": 1,
            "samplingFeature@id": ids["sf1"],
        },
        {
            "phenomenonTime": f"{day}1:00:00Z",
            "resultTime": f"{day}1:00:00Z",
            "result": 2,
            "samplingFeature@id": ids["sf2"],
        },
        {
            "phenomenonTime": f"{day}2:00:00Z",
            "resultTime": f"{day}5:00:00Z",
            "result": 3,
            "samplingFeature@id": ids["sf1"],
        },
        {
            "phenomenonTime": f"{day}3:00:00Z",
            "resultTime": f"{day}5:00:00Z",
            "result": 4,
            "samplingFeature@id": ids["sf1"],
        },
    ]
    urls = (await post_observations(client, ids["temp"], temp)).json()["items"]
    for name, url in zip(("o1", "o2", "o3", "o4"), urls, strict=True):
        ids[name] = local_id(url)
    rh = [{"resultTime": "2022-01-01T00:00:00Z", "result": 50}, {"resultTime": "2022-01-02T00:00:00Z", "result": 60}]
    urls = (await post_observations(client, ids["rh"], rh)).json()["items"]
    for name, url in zip(("p1", "p2"), urls, strict=True):
        ids[name] = local_id(url)
    return w


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world() -> AsyncIterator[World]:
    store = await SqlStore.open("sqlite:///:memory:")
    async with open_part2_client(store) as client:
        yield await _build(client)
    await store.close()


ALL_TEMP = {"o1", "o2", "o3", "o4"}
CASES: list[tuple[str, set[str]]] = [
    ("", ALL_TEMP | {"p1", "p2"}),
    ("phenomenonTime=2021-01-01T01:00:00Z", {"o2"}),
    ("phenomenonTime=2021-01-01T01:30:00Z/..", {"o3", "o4", "p1", "p2"}),
    ("phenomenonTime=../2021-01-01T00:30:00Z", {"o1"}),
    ("phenomenonTime=2021-01-01T01:00:00Z/2021-01-01T02:00:00Z", {"o2", "o3"}),  # closed interval
    ("phenomenonTime=2030-01-01T00:00:00Z/..", set()),
    ("phenomenonTime=now", set()),  # an instant: no observation is exactly now
    ("phenomenonTime=2021-01-01T00:00:00%2B01:00/..", ALL_TEMP | {"p1", "p2"}),  # offset = 2020-12-31T23:00Z
    ("resultTime=latest", {"o3", "o4", "p2"}),  # per datastream
    ("resultTime=2021-01-01T05:00:00Z", {"o3", "o4"}),
    ("resultTime=2021-01-01T00:30:00Z/2021-01-01T04:00:00Z", {"o2"}),
    ("resultTime=2021-12-31T00:00:00Z/..", {"p1", "p2"}),
    ("resultTime=../2020-01-01T00:00:00Z", set()),
    ("foi={sf1}", {"o1", "o3", "o4"}),
    ("foi=urn:x-p2o:sf:sf2", {"o2"}),
    ("foi=urn:x-p2o:foi:river", {"o1", "o3", "o4"}),  # the feature sf1 samples
    ("foi=urn:x-p2o:foi:river,urn:x-p2o:foi:lake", ALL_TEMP),
    ("foi=nope", set()),
    (f"observedProperty={AIR_TEMP}", ALL_TEMP),
    (f"observedProperty={RH}", {"p1", "p2"}),
    ("observedProperty=http://example.org/nothing", set()),
    ("dataStream={temp}", ALL_TEMP),
    ("dataStream={temp},{rh}", ALL_TEMP | {"p1", "p2"}),
    ("dataStream=nope", set()),
    ("system={s}", ALL_TEMP),
    ("system=urn:x-p2o:sys:t", {"p1", "p2"}),
    ("system=urn:x-p2o:sys:*", ALL_TEMP | {"p1", "p2"}),
    ("id={o2},{p1}", {"o2", "p1"}),
    ("id=999999,abc", set()),
    ("dataStream={temp}&resultTime=latest", {"o3", "o4"}),
    ("foi={sf1}&phenomenonTime=2021-01-01T02:30:00Z/..", {"o4"}),
    ("system={t}&observedProperty=" + AIR_TEMP, set()),
]


@pytest.mark.parametrize(("query", "expected"), CASES, ids=[c[0] or "all" for c in CASES])
async def test_observation_filters(world: World, query: str, expected: set[str]) -> None:
    found = await ids_at(world.client, f"/observations?{query.format(**world.ids)}")
    assert world.names(found) == expected


NESTED = [
    ("temp", "", ALL_TEMP),
    ("temp", "resultTime=latest", {"o3", "o4"}),
    ("rh", "resultTime=latest", {"p2"}),
    ("temp", "phenomenonTime=2021-01-01T00:30:00Z/2021-01-01T02:30:00Z", {"o2", "o3"}),
    ("temp", "foi={sf2}", {"o2"}),
    ("rh", "foi={sf2}", set()),
    ("temp", f"observedProperty={RH}", set()),
    ("temp", "id={o1},{p1}", {"o1"}),
]


@pytest.mark.parametrize(("ds", "query", "expected"), NESTED, ids=[f"{d}?{q}" for d, q, _ in NESTED])
async def test_datastream_observation_filters(world: World, ds: str, query: str, expected: set[str]) -> None:
    found = await ids_at(world.client, f"/datastreams/{world.ids[ds]}/observations?{query.format(**world.ids)}")
    assert world.names(found) == expected


async def test_json_observations_are_listed_in_phenomenon_time_order_per_datastream(world: World) -> None:
    body = (await world.client.get(f"/datastreams/{world.ids['temp']}/observations")).json()
    times = [item["phenomenonTime"] for item in body["items"]]
    assert times == sorted(times) and len(times) == 4
    assert all(item["datastream@id"] == world.ids["temp"] for item in body["items"])


async def test_swe_formats_need_a_single_datastream(world: World) -> None:
    client, ids = world.client, world.ids
    r = await client.get(
        "/observations", params={"dataStream": ids["temp"], "resultTime": "latest"}, headers={"Accept": SWE_CSV}
    )
    assert r.status_code == 200 and r.headers["content-type"] == SWE_CSV
    assert r.text == "2021-01-01T02:00:00Z,3.0\n2021-01-01T03:00:00Z,4.0\n"
    assert_error(await client.get("/observations", headers={"Accept": SWE_CSV}), 406)
    assert_bad_param(await client.get("/observations", params={"f": "swecsv"}), "f")


INVALID = [
    ("phenomenonTime", "latest"),
    ("phenomenonTime", "2021-01-01T00:00:00Z/2020-01-01T00:00:00Z"),
    ("phenomenonTime", "not a time"),
    ("resultTime", "latest/.."),
    ("resultTime", "2021-01-01T25:00:00Z"),
    ("resultTime", ".."),
    ("foi", "a,urn:x:b"),
    ("observedProperty", ","),
    ("dataStream", "a,,b"),
    ("system", " "),
    ("limit", "-1"),
    ("limit", "1.5"),
    ("cursor", "eyJrIjoiYWJjIn0"),  # a well-formed token with a forged key
    ("cursor", "%%%"),
    ("datastream", "x"),  # the parameter is `dataStream`
    ("datetime", "2021-01-01T00:00:00Z"),  # not an observation parameter
]


@pytest.mark.parametrize(("name", "value"), INVALID)
async def test_invalid_values_are_400_naming_the_parameter(world: World, name: str, value: str) -> None:
    assert_bad_param(await world.client.get("/observations", params={name: value}), name)
    if name not in ("dataStream", "system", "datastream"):
        url = f"/datastreams/{world.ids['temp']}/observations"
        assert_bad_param(await world.client.get(url, params={name: value}), name)


async def test_a_date_is_an_instant_at_midnight(world: World) -> None:
    found = await ids_at(world.client, "/observations", phenomenonTime="2022-01-02")
    assert world.names(found) == {"p2"}


async def test_unknown_datastream_is_404(world: World) -> None:
    assert_error(await world.client.get("/datastreams/nope/observations"), 404)
