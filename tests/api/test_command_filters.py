"""Query parameters of `/commands`, `/controlstreams/{id}/commands` and `/commands/{id}/status` (Part 2 §9).

Commands are stored through the store (as a harvest would: with their issue time, sender and history):
    ptz (on a, pan/zoom)   c1  issued 2021-01-01  alice  PENDING
                           c2  issued 2021-01-02  bob    ACCEPTED → SCHEDULED 2021-01-05/06   sampling feature sf1
    valve (on b)           c3  issued 2021-01-03  alice  ACCEPTED → COMPLETED 2021-01-03T00/01
                           c4  issued 2021-02-01  -      CANCELED
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime

import httpx
import pytest
import pytest_asyncio

from bridge.model.csapi import Command, CommandStatus, StatusCode, TimeExtent
from bridge.model.time import parse_datetime
from bridge.store.sql.store import SqlStore
from tests.api.part2_support import (
    GEO,
    assert_bad_param,
    controlstream_body,
    example,
    ids_at,
    local_id,
    new_stream,
    new_system,
    open_part2_client,
    quantity,
    sampling_feature_body,
    walk,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")
PAN = "http://sensorml.com/ont/swe/property/PanAngle"
VALVE = "http://example.org/def/valve_opening"
PTZ = {"pan": 1.0, "tilt": 2.0, "zoom": 3.0}


@dataclass
class World:
    client: httpx.AsyncClient
    ids: dict[str, str] = field(default_factory=dict)
    report_times: dict[str, str] = field(default_factory=dict)

    def names(self, found: set[str]) -> set[str]:
        by_id = {v: k for k, v in self.ids.items()}
        return {by_id.get(i, i) for i in found}


def _t(text: str) -> datetime:
    return parse_datetime(text)


async def _store_command(
    store: SqlStore,
    cs_id: str,
    issued: str,
    sender: str | None,
    params: object,
    history: list[tuple[StatusCode, str, list[str] | None]],
    foi: str | None = None,
) -> str:
    cmd = Command(
        controlstream_id=cs_id, issue_time=_t(issued), sender=sender, parameters=params, sampling_feature_id=foi
    )
    first = CommandStatus(command_id="", status_code=StatusCode.PENDING, report_time=_t(issued))
    stored, _ = await store.create_command(cmd, first)
    for code, at, execution in history:
        period = TimeExtent(_t(execution[0]), _t(execution[1])) if execution else None
        await store.add_status(
            CommandStatus(command_id=stored.id, status_code=code, report_time=_t(at), execution_time=period)
        )
    return stored.id


async def _build(client: httpx.AsyncClient, store: SqlStore) -> World:
    w = World(client)
    ids = w.ids
    ids["a"] = await new_system(client, "urn:x-p2c:sys:a", "A")
    ids["b"] = await new_system(client, "urn:x-p2c:sys:b", "B")
    body = sampling_feature_body("urn:x-p2c:sf:1", "sf1", "urn:x-p2c:foi:bay")
    r = await client.post(f"/systems/{ids['a']}/samplingFeatures", json=body, headers={"Content-Type": GEO})
    ids["sf1"] = local_id(r.headers["location"])
    ids["ptz"] = await new_stream(
        client, ids["a"], "controlstreams", example("controlstreams/controlstream-ptz-create.json")
    )
    ids["valve"] = await new_stream(
        client, ids["b"], "controlstreams", controlstream_body("valve", quantity("o", VALVE, "%"))
    )
    ids["c1"] = await _store_command(store, ids["ptz"], "2021-01-01T00:00:00Z", "alice", PTZ, [])
    ids["c2"] = await _store_command(
        store,
        ids["ptz"],
        "2021-01-02T00:00:00Z",
        "bob",
        PTZ,
        [
            (StatusCode.ACCEPTED, "2021-01-02T00:00:01Z", None),
            (StatusCode.SCHEDULED, "2021-01-02T00:00:02Z", ["2021-01-05T00:00:00Z", "2021-01-06T00:00:00Z"]),
        ],
        foi=ids["sf1"],
    )
    ids["c3"] = await _store_command(
        store,
        ids["valve"],
        "2021-01-03T00:00:00Z",
        "alice",
        50.0,
        [
            (StatusCode.ACCEPTED, "2021-01-03T00:00:01Z", None),
            (StatusCode.COMPLETED, "2021-01-03T01:00:00Z", ["2021-01-03T00:00:00Z", "2021-01-03T01:00:00Z"]),
        ],
    )
    ids["c4"] = await _store_command(
        store,
        ids["valve"],
        "2021-02-01T00:00:00Z",
        None,
        10.0,
        [
            (StatusCode.CANCELED, "2021-02-01T00:00:05Z", None),
        ],
    )
    return w


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world() -> AsyncIterator[World]:
    store = await SqlStore.open("sqlite:///:memory:")
    async with open_part2_client(store) as client:
        yield await _build(client, store)
    await store.close()


ALL = {"c1", "c2", "c3", "c4"}
CASES: list[tuple[str, set[str]]] = [
    ("", ALL),
    ("issueTime=2021-01-02T00:00:00Z", {"c2"}),
    ("issueTime=2021-01-02T00:00:00Z/..", {"c2", "c3", "c4"}),
    ("issueTime=../2021-01-01T12:00:00Z", {"c1"}),
    ("issueTime=2022-01-01T00:00:00Z/..", set()),
    ("executionTime=2021-01-05T12:00:00Z", {"c2"}),
    ("executionTime=2021-01-03T00:30:00Z/2021-01-04T00:00:00Z", {"c3"}),
    ("executionTime=2020-01-01T00:00:00Z/..", {"c2", "c3"}),  # c1, c4 never had an execution time
    ("executionTime=2021-01-07T00:00:00Z/..", set()),
    ("statusCode=PENDING", {"c1"}),  # the current status
    ("statusCode=SCHEDULED,COMPLETED", {"c2", "c3"}),
    ("statusCode=canceled", {"c4"}),
    ("statusCode=ACCEPTED", set()),  # c2 and c3 were accepted, but are no longer
    ("sender=alice", {"c1", "c3"}),
    ("sender=alice,bob", {"c1", "c2", "c3"}),
    ("sender=carol", set()),
    ("foi={sf1}", {"c2"}),
    ("foi=urn:x-p2c:foi:bay", {"c2"}),
    ("foi=nope", set()),
    (f"controlledProperty={PAN}", {"c1", "c2"}),
    (f"controlledProperty={VALVE}", {"c3", "c4"}),
    ("controlledProperty=http://example.org/nothing", set()),
    ("controlStream={ptz}", {"c1", "c2"}),
    ("controlStream={ptz},{valve}", ALL),
    ("controlStream=nope", set()),
    ("system={b}", {"c3", "c4"}),
    ("system=urn:x-p2c:sys:a", {"c1", "c2"}),
    ("id={c3}", {"c3"}),
    ("controlStream={ptz}&sender=alice", {"c1"}),
    ("statusCode=COMPLETED&sender=bob", set()),
]


@pytest.mark.parametrize(("query", "expected"), CASES, ids=[c[0] or "all" for c in CASES])
async def test_command_filters(world: World, query: str, expected: set[str]) -> None:
    found = await ids_at(world.client, f"/commands?{query.format(**world.ids)}")
    assert world.names(found) == expected


async def test_nested_command_list_filters(world: World) -> None:
    client, ids = world.client, world.ids
    assert world.names(await ids_at(client, f"/controlstreams/{ids['valve']}/commands")) == {"c3", "c4"}
    found = await ids_at(client, f"/controlstreams/{ids['valve']}/commands?statusCode=CANCELED")
    assert world.names(found) == {"c4"}
    found = await ids_at(client, f"/controlstreams/{ids['ptz']}/commands?issueTime=2021-01-03T00:00:00Z/..")
    assert found == set()


STATUS_CASES = [
    ("", ["PENDING", "ACCEPTED", "SCHEDULED"]),
    ("statusCode=ACCEPTED", ["ACCEPTED"]),
    ("statusCode=PENDING,SCHEDULED", ["PENDING", "SCHEDULED"]),
    ("statusCode=COMPLETED", []),
    ("reportTime=2021-01-02T00:00:01Z", ["ACCEPTED"]),
    ("reportTime=2021-01-02T00:00:01Z/..", ["ACCEPTED", "SCHEDULED"]),
    ("datetime=../2021-01-02T00:00:00Z", ["PENDING"]),  # datetime applies to reportTime
    ("reportTime=2030-01-01T00:00:00Z/..", []),
]


@pytest.mark.parametrize(("query", "expected"), STATUS_CASES, ids=[c[0] or "all" for c in STATUS_CASES])
async def test_status_report_filters(world: World, query: str, expected: list[str]) -> None:
    reports = await walk(world.client, f"/commands/{world.ids['c2']}/status?{query}")
    assert [r["statusCode"] for r in reports] == expected


INVALID = [
    ("/commands", "statusCode", "DONE"),
    ("/commands", "statusCode", "PENDING,"),
    ("/commands", "sender", "a,,b"),
    ("/commands", "issueTime", "2021-01-01T00:00:00+25:00"),
    ("/commands", "executionTime", "2021/2022"),
    ("/commands", "controlStream", "a,urn:x:b"),
    ("/commands", "foi", ","),
    ("/commands", "limit", "0"),
    ("/commands", "cursor", "eyJhZnRlciI6ImEifQ"),  # {"after":"a"}
    ("/commands", "datetime", "2021-01-01T00:00:00Z"),  # not a command parameter
    ("status", "statusCode", "WAITING"),
    ("status", "reportTime", "noon"),
    ("status", "datetime", "2021-01-01T00:00:00Z/2020-01-01T00:00:00Z"),
    ("status", "sender", "alice"),  # not a status parameter
]


@pytest.mark.parametrize(("path", "name", "value"), INVALID, ids=[f"{p}?{n}={v[:20]}" for p, n, v in INVALID])
async def test_invalid_values_are_400_naming_the_parameter(world: World, path: str, name: str, value: str) -> None:
    url = f"/commands/{world.ids['c2']}/status" if path == "status" else path
    assert_bad_param(await world.client.get(url, params={name: value}), name)
