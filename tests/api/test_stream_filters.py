"""Query parameters of `/datastreams` and `/controlstreams` (Part 2 §9): match, non-match and invalid values.

systems    alpha (urn:x-p2f:sys:alpha) └ alpha-sub        beta (urn:x-p2f:sys:beta)
sampling   sf-a on alpha (samples urn:x-p2f:foi:lake)     sf-b on beta (samples urn:x-p2f:foi:sea)
datastreams
  air    on alpha,     samplingFeature sf-a, validTime 2020, observations 2021-01-01T00..02 (results +1 h)
  wind   on alpha-sub, record speed+direction, no validTime, observations 2022-06 with samplingFeature@id sf-b
  idle   on beta,      no observations, validTime 2023/now
control streams
  valve  on alpha,     async, validTime 2020, commands issued now, executionTime 2024-01-01/2024-01-02
  ptz    on beta,      sync (the official example), samplingFeature sf-b, no commands
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
    BASE,
    GEO,
    assert_bad_param,
    controlstream_body,
    datastream_body,
    example,
    ids_at,
    local_id,
    new_stream,
    new_system,
    open_part2_client,
    post_json,
    post_observations,
    quantity,
    sampling_feature_body,
    walk,
)
from tests.api.support import geo_deployment

pytestmark = pytest.mark.asyncio(loop_scope="module")
WIND = "http://mmisw.org/ont/cf/parameter/wind_speed"
WIND_DIR = "http://mmisw.org/ont/cf/parameter/wind_from_direction"
VALVE = "http://example.org/def/valve_opening"
PAN = "http://sensorml.com/ont/swe/property/PanAngle"


@dataclass
class World:
    client: httpx.AsyncClient
    ids: dict[str, str] = field(default_factory=dict)

    def names(self, found: set[str]) -> set[str]:
        by_id = {v: k for k, v in self.ids.items()}
        return {by_id.get(i, i) for i in found}


async def _sampling_feature(client: httpx.AsyncClient, system_id: str, uid: str, sampled: str) -> str:
    r = await client.post(
        f"/systems/{system_id}/samplingFeatures",
        json=sampling_feature_body(uid, uid, sampled),
        headers={"Content-Type": GEO},
    )
    assert r.status_code == 201, r.text
    return local_id(r.headers["location"])


async def _build(client: httpx.AsyncClient) -> World:
    w = World(client)
    ids = w.ids
    ids["alpha"] = await new_system(client, "urn:x-p2f:sys:alpha", "Alpha")
    r = await client.post(
        f"/systems/{ids['alpha']}/subsystems",
        json={
            "type": "Feature",
            "geometry": None,
            "properties": {
                "uid": "urn:x-p2f:sys:alpha-sub",
                "name": "Sub",
                "featureType": "http://www.w3.org/ns/sosa/Sensor",
            },
        },
        headers={"Content-Type": GEO},
    )
    ids["alpha-sub"] = local_id(r.headers["location"])
    ids["beta"] = await new_system(client, "urn:x-p2f:sys:beta", "Beta")
    ids["sf-a"] = await _sampling_feature(client, ids["alpha"], "urn:x-p2f:sf:a", "urn:x-p2f:foi:lake")
    ids["sf-b"] = await _sampling_feature(client, ids["beta"], "urn:x-p2f:sf:b", "urn:x-p2f:foi:sea")
    y2020 = ["2020-01-01T00:00:00Z", "2020-12-31T00:00:00Z"]
    sf_a = {"href": f"{BASE}/samplingFeatures/{ids['sf-a']}"}
    ids["air"] = await new_stream(
        client,
        ids["alpha"],
        "datastreams",
        datastream_body(
            "Air temperature", quantity("temp", AIR_TEMP), validTime=y2020, **{"samplingFeature@link": sf_a}
        ),
    )
    record = {"type": "DataRecord", "fields": [quantity("speed", WIND, "m/s"), quantity("dir", WIND_DIR, "deg")]}
    ids["wind"] = await new_stream(client, ids["alpha-sub"], "datastreams", datastream_body("Wind gusts", record))
    ids["idle"] = await new_stream(
        client,
        ids["beta"],
        "datastreams",
        datastream_body(
            "Idle humidity",
            quantity("rh", "http://mmisw.org/ont/cf/parameter/relative_humidity", "%"),
            validTime=["2023-01-01T00:00:00Z", "now"],
        ),
    )
    await post_observations(
        client,
        ids["air"],
        [
            {
                "phenomenonTime": f"2021-01-01T0{h}:00:00Z",
                "resultTime": f"2021-01-01T0{h + 1}:00:00Z",
                "result": 1.0 * h,
            }
            for h in range(3)
        ],
    )
    await post_observations(
        client,
        ids["wind"],
        [
            {
                "resultTime": "2022-06-01T00:00:00Z",
                "result": {"speed": 3.0, "dir": 90},
                "samplingFeature@id": ids["sf-b"],
            },
        ],
    )
    valve = quantity("opening", VALVE, "%")
    ids["valve"] = await new_stream(
        client, ids["alpha"], "controlstreams", controlstream_body("Valve control", valve, validTime=y2020)
    )
    await post_json(client, f"/controlstreams/{ids['valve']}/commands", {"parameters": 50})
    cmd = await walk(client, f"/controlstreams/{ids['valve']}/commands")
    execution = ["2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"]
    await post_json(client, f"/commands/{cmd[0]['id']}/status", {"statusCode": "ACCEPTED"})
    await post_json(client, f"/commands/{cmd[0]['id']}/status", {"statusCode": "SCHEDULED", "executionTime": execution})
    ptz = example("controlstreams/controlstream-ptz-create.json")
    ptz["samplingFeature@link"] = {"href": f"{BASE}/samplingFeatures/{ids['sf-b']}"}
    ids["ptz"] = await new_stream(client, ids["beta"], "controlstreams", ptz)
    for name, valid, systems in (
        ("mission", y2020, ["alpha"]),
        ("late", ["2022-01-01T00:00:00Z", "now"], ["alpha", "beta"]),
    ):
        body = geo_deployment(f"urn:x-p2f:dep:{name}", name, valid, [f"{BASE}/systems/{ids[s]}" for s in systems])
        r = await client.post("/deployments", json=body, headers={"Content-Type": GEO})
        ids[name] = local_id(r.headers["location"])
    return w


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world() -> AsyncIterator[World]:
    store = await SqlStore.open("sqlite:///:memory:")
    async with open_part2_client(store) as client:
        yield await _build(client)
    await store.close()


def _cases_with_ids(world: World, query: str) -> str:
    """Replace `{name}` placeholders by the local ids of the world."""
    return query.format(**world.ids)


DATASTREAM_CASES: list[tuple[str, set[str]]] = [
    ("", {"air", "wind", "idle"}),
    ("datetime=2020-06-01T00:00:00Z", {"air", "wind"}),  # wind has no validTime: always valid
    ("datetime=2023-06-01T00:00:00Z/..", {"wind", "idle"}),
    ("datetime=../2019-01-01T00:00:00Z", {"wind"}),
    ("phenomenonTime=2021-01-01T01:00:00Z", {"air"}),
    ("phenomenonTime=2021-01-01T02:30:00Z/..", {"wind"}),
    ("phenomenonTime=../2021-01-01T00:00:00Z", {"air"}),
    ("phenomenonTime=2021-01-01T02:01:00Z/2022-05-31T00:00:00Z", set()),
    ("phenomenonTime=2019-01-01T00:00:00Z,2030-01-01T00:00:00Z", {"air", "wind"}),  # ',' tolerated
    ("resultTime=2021-01-01T03:00:00Z", {"air"}),
    ("resultTime=2021-01-01T00:00:00Z/2021-01-01T00:59:00Z", set()),
    ("resultTime=2022-01-01/..", {"wind"}),  # a date is an instant at 00:00Z
    (f"observedProperty={AIR_TEMP}", {"air"}),
    (f"observedProperty={WIND_DIR}", {"wind"}),
    (f"observedProperty={AIR_TEMP},{WIND}", {"air", "wind"}),
    ("observedProperty=http://example.org/nothing", set()),
    ("foi={sf-a}", {"air"}),
    ("foi={sf-b}", {"wind"}),  # through its observations
    ("foi=urn:x-p2f:sf:a,urn:x-p2f:sf:b", {"air", "wind"}),
    ("foi=urn:x-p2f:foi:lake", {"air"}),  # the domain feature sampled by sf-a
    ("foi=urn:x-p2f:foi:nowhere", set()),
    ("system={alpha}", {"air"}),
    ("system=urn:x-p2f:sys:beta", {"idle"}),
    ("system=urn:x-p2f:sys:*", {"air", "wind", "idle"}),
    ("system=nope", set()),
    ("id={wind}", {"wind"}),
    ("id={air},{idle}", {"air", "idle"}),
    ("q=gusts", {"wind"}),
    ("q=nothing", set()),
    (f"system={{alpha}}&observedProperty={WIND}", set()),  # different parameters: AND
    (f"foi={{sf-a}}&observedProperty={AIR_TEMP}&phenomenonTime=2021-01-01T00:00:00Z", {"air"}),
]

CONTROLSTREAM_CASES: list[tuple[str, set[str]]] = [
    ("", {"valve", "ptz"}),
    ("datetime=2020-06-01T00:00:00Z", {"valve", "ptz"}),
    ("datetime=2021-06-01T00:00:00Z", {"ptz"}),
    ("issueTime=2000-01-01T00:00:00Z/..", {"valve"}),  # ptz has no commands: no issueTime
    ("issueTime=../2000-01-01T00:00:00Z", set()),
    ("executionTime=2024-01-01T12:00:00Z", {"valve"}),
    ("executionTime=2024-01-03T00:00:00Z/..", set()),
    (f"controlledProperty={PAN}", {"ptz"}),
    (f"controlledProperty={VALVE},{PAN}", {"valve", "ptz"}),
    ("controlledProperty=http://example.org/nothing", set()),
    ("foi={sf-b}", {"ptz"}),
    ("foi=urn:x-p2f:foi:sea", {"ptz"}),
    ("foi={sf-a}", set()),
    ("system={alpha}", {"valve"}),
    ("system=urn:x-p2f:sys:beta", {"ptz"}),
    ("id={ptz}", {"ptz"}),
    ("q=valve", {"valve"}),
    (f"system={{beta}}&controlledProperty={VALVE}", set()),
]


@pytest.mark.parametrize(("query", "expected"), DATASTREAM_CASES, ids=[c[0] or "all" for c in DATASTREAM_CASES])
async def test_datastream_filters(world: World, query: str, expected: set[str]) -> None:
    found = await ids_at(world.client, f"/datastreams?{_cases_with_ids(world, query)}")
    assert world.names(found) == expected


@pytest.mark.parametrize(("query", "expected"), CONTROLSTREAM_CASES, ids=[c[0] or "all" for c in CONTROLSTREAM_CASES])
async def test_controlstream_filters(world: World, query: str, expected: set[str]) -> None:
    found = await ids_at(world.client, f"/controlstreams?{_cases_with_ids(world, query)}")
    assert world.names(found) == expected


async def test_nested_lists_take_the_same_filters(world: World) -> None:
    client, ids = world.client, world.ids
    assert world.names(await ids_at(client, f"/systems/{ids['alpha']}/datastreams")) == {"air", "wind"}
    assert world.names(await ids_at(client, f"/systems/{ids['alpha-sub']}/datastreams")) == {"wind"}
    found = await ids_at(client, f"/systems/{ids['alpha']}/datastreams?observedProperty={WIND}")
    assert world.names(found) == {"wind"}
    assert world.names(await ids_at(client, f"/systems/{ids['beta']}/controlstreams")) == {"ptz"}
    found = await ids_at(client, f"/systems/{ids['alpha']}/controlstreams?executionTime=2030-01-01T00:00:00Z")
    assert found == set()


async def test_streams_of_a_deployment_are_those_of_its_systems_valid_during_it(world: World) -> None:
    client, ids = world.client, world.ids
    assert world.names(await ids_at(client, f"/deployments/{ids['mission']}/datastreams")) == {"air"}
    assert world.names(await ids_at(client, f"/deployments/{ids['mission']}/controlstreams")) == {"valve"}
    assert world.names(await ids_at(client, f"/deployments/{ids['late']}/datastreams")) == {"idle"}
    assert world.names(await ids_at(client, f"/deployments/{ids['late']}/controlstreams")) == {"ptz"}
    found = await ids_at(client, f"/deployments/{ids['late']}/datastreams?q=gusts")
    assert found == set()


INVALID = [
    ("/datastreams", "datetime", "2020-13-01T00:00:00Z"),
    ("/datastreams", "phenomenonTime", "yesterday"),
    ("/datastreams", "phenomenonTime", "2021-01-01T00:00:00Z/2020-01-01T00:00:00Z"),
    ("/datastreams", "phenomenonTime", "../.."),
    ("/datastreams", "resultTime", "latest"),  # `latest` is for observations only
    ("/datastreams", "resultTime", "2021-01-01T00:00:00"),  # no time zone
    ("/datastreams", "observedProperty", "temp,http://x.org/p"),  # ids and URIs mixed
    ("/datastreams", "foi", ""),
    ("/datastreams", "system", "a,,b"),
    ("/datastreams", "limit", "0"),
    ("/datastreams", "limit", "ten"),
    ("/datastreams", "issueTime", "2021-01-01T00:00:00Z"),  # a control stream parameter
    ("/datastreams", "cursor", "not-a-token"),
    ("/controlstreams", "issueTime", "2021-02-30T00:00:00Z"),
    ("/controlstreams", "executionTime", "1/2/3"),
    ("/controlstreams", "controlledProperty", "a,urn:x:b"),
    ("/controlstreams", "phenomenonTime", "2021-01-01T00:00:00Z"),  # a datastream parameter
    ("/controlstreams", "datetime", "now/yesterday"),
    ("/controlstreams", "q", "x" * 51),
]


@pytest.mark.parametrize(("path", "name", "value"), INVALID, ids=[f"{p}?{n}={v[:20]}" for p, n, v in INVALID])
async def test_invalid_values_are_400_naming_the_parameter(world: World, path: str, name: str, value: str) -> None:
    assert_bad_param(await world.client.get(path, params={name: value}), name)
    assert_bad_param(await world.client.get(f"/systems/{world.ids['alpha']}{path}", params={name: value}), name)


async def test_limit_above_the_maximum_is_not_an_error(world: World) -> None:
    body = (await world.client.get("/datastreams", params={"limit": 1_000_000})).json()
    assert len(body["items"]) == 3
