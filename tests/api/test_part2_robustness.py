"""No request to a Part 2 endpoint produces a 5xx: garbage query values, odd ids, bad bodies in every write
format, wrong methods. The checking client asserts on every response that the status is below 500 and that
an error body is JSON with `code` and `description`. Runs on PostgreSQL when it answers (it refuses values
SQLite keeps: NUL characters, out-of-range integers), else on SQLite."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio

from bridge.store.sql.store import SqlStore
from tests.api.part2_support import (
    BASE,
    GEO,
    JSON,
    SWE_BINARY,
    SWE_CSV,
    SWE_JSON,
    _shared_app,
    example,
    local_id,
    new_stream,
    new_system,
    open_part2_client,
    post_json,
    post_observations,
    sampling_feature_body,
)
from tests.api.support import geo_deployment
from tests.conftest import PG_UNAVAILABLE, _drop_pg, _pg_store

PART2 = re.compile(r"/(datastreams|observations|controlstreams|commands|systemEvents|systemevents|events|history)\b")
GARBAGE = [  # every query parameter of an operation at once
    "\x00",
    "💥",
    "'; drop table observations; --",
    "1e309",
    "a" * 3000,
    "..",
    "latest/latest",
    "0001-01-01T00:00:00+14:00",
]
ONE_AT_A_TIME = ["9999-12-31T23:59:59-14:00/..", "-99999999999999999999999"]  # each parameter alone
ODD_IDS = ["%F0%9F%92%A5", "%00", "99999999999999999999999", "x" * 3000, "-1"]
BODIES: list[tuple[bytes, str]] = [
    (b"", JSON),
    (b"\x00\xff", JSON),
    (b"[" * 2000 + b"]" * 2000, JSON),
    (b"null", JSON),
    (b"{}", JSON),
    (
        b'{"name": "\\u0000", "label": "\\u0000", "parameters": "\\u0000", "statusCode": "\\u0000", '
        b'"result": "\\u0000"}',
        JSON,
    ),
    (
        b'{"resultTime": "9999-12-31T23:59:59-14:00", "result": 1e308, "phenomenonTime": "0001-01-01T00:00:00+14:00"}',
        JSON,
    ),
    (b'{"schema": {"obsFormat": "application/swe+csv", "recordSchema": {"type": "DataRecord", "fields": []}}}', JSON),
    (b"\x00,\x00\n", SWE_CSV),
    (b"2021-01-01T00:00:00Z," + b"9" * 400 + b"\n", SWE_CSV),
    (b'[{"time": null}]', SWE_JSON),
    (b"\xff" * 64, SWE_BINARY),
    (b"x" * 100_000, "text/plain"),
]


@pytest_asyncio.fixture
async def strict() -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, str]]]:
    store = await SqlStore.open("sqlite:///:memory:") if PG_UNAVAILABLE else await _pg_store()
    async with open_part2_client(store) as client:
        yield client, await _seed(client)
    await (store.close() if PG_UNAVAILABLE else _drop_pg(store))


async def _seed(client: httpx.AsyncClient) -> dict[str, str]:
    """One resource of each Part 2 kind, by kind."""
    system_id = await new_system(client, "urn:x-p2r:sys:a")
    r = await client.post(
        f"/systems/{system_id}/samplingFeatures",
        headers={"Content-Type": GEO},
        json=sampling_feature_body("urn:x-p2r:sf:a", "sf", "urn:x-p2r:foi"),
    )
    body = example("datastreams/datastream-simple-create.json")
    del body["samplingFeature@link"]
    ds_id = await new_stream(client, system_id, "datastreams", body)
    obs = await post_observations(client, ds_id, example("observations/obs-simple-create.json"))
    cs_id = await new_stream(
        client, system_id, "controlstreams", example("controlstreams/controlstream-ptz-create.json")
    )
    cmd = local_id(
        (
            await post_json(
                client, f"/controlstreams/{cs_id}/commands", {"parameters": {"pan": 1, "tilt": 2, "zoom": 3}}
            )
        ).headers["location"]
    )
    status = local_id(
        (await post_json(client, f"/commands/{cmd}/status", {"statusCode": "ACCEPTED"})).headers["location"]
    )
    result = local_id((await post_json(client, f"/commands/{cmd}/result", {"data": 1})).headers["location"])
    event = local_id(
        (await post_json(client, f"/systems/{system_id}/events", example("events/systemEvent.json"))).headers[
            "location"
        ]
    )
    await client.patch(f"/systems/{system_id}", json={"properties": {"name": "renamed"}})
    rev = (await client.get(f"/systems/{system_id}/history")).json()["features"][0]["id"]
    deployment = geo_deployment(
        "urn:x-p2r:dep:a", "D", ["2020-01-01T00:00:00Z", "now"], [f"{BASE}/systems/{system_id}"]
    )
    r = await client.post("/deployments", json=deployment, headers={"Content-Type": GEO})
    return {
        "system": system_id,
        "datastream": ds_id,
        "controlstream": cs_id,
        "command": cmd,
        "status": status,
        "result": result,
        "revision": rev,
        "observation": local_id(obs.headers["location"]),
        "event": event,
        "deployment": local_id(r.headers["location"]),
    }


def _operations() -> list[tuple[str, str, list[str]]]:
    """(path template, method, query parameter names) of every Part 2 operation, from the OpenAPI document."""
    out = []
    for path, item in _shared_app().openapi()["paths"].items():
        if not PART2.search(path) or "feasibility" in path:  # feasibility is tested with the forwarders
            continue
        for method, op in item.items():
            names = [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]
            out.append((path, method.upper(), names))
    return out


BY_SEGMENT = {
    "systems": "system",
    "datastreams": "datastream",
    "controlstreams": "controlstream",
    "observations": "observation",
    "commands": "command",
    "status": "status",
    "result": "result",
    "systemEvents": "event",
    "events": "event",
    "history": "revision",
    "deployments": "deployment",
}


def _fill(path: str, ids: dict[str, str], odd: str | None = None) -> str:
    """The path with each `{param}` replaced by the id of the seeded resource named by the segment before it."""
    parts = path.split("/")
    for i, part in enumerate(parts):
        if part.startswith("{"):
            parts[i] = odd if odd is not None else ids[BY_SEGMENT[parts[i - 1]]]
    return "/".join(parts)


async def test_every_part2_operation_survives_garbage(strict: tuple[httpx.AsyncClient, dict[str, str]]) -> None:
    client, ids = strict
    operations = _operations()
    assert len(operations) > 60
    for path, method, names in operations:
        url = _fill(path, ids)
        if method == "GET":
            for value in GARBAGE:
                r = await client.get(url, params={n: value for n in names})
                assert r.status_code in (200, 400, 404, 406, 414), (url, value, r.status_code)
            for name in names:  # one parameter at a time: the others do not mask it
                for value in ONE_AT_A_TIME:
                    assert (await client.get(url, params={name: value})).status_code < 500
        elif method in ("POST", "PUT", "PATCH"):
            for body, media in BODIES:
                r = await client.request(method, url, content=body, headers={"Content-Type": media})
                assert r.status_code in (201, 204, 303, 400, 404, 405, 409, 415), (
                    method,
                    url,
                    body[:40],
                    r.status_code,
                )


async def test_odd_ids_and_wrong_methods(strict: tuple[httpx.AsyncClient, dict[str, str]]) -> None:
    client, ids = strict
    operations = _operations()
    for path, method, _ in operations:
        if "{" not in path:
            continue
        for odd in ODD_IDS:
            url = _fill(path, ids, odd)
            body: Any = {"statusCode": "ACCEPTED", "parameters": {}, "label": "x", "definition": "x", "time": "now"}
            r = await client.request(method, url, content=json.dumps(body) if method != "GET" else None)
            assert r.status_code in (200, 204, 400, 404, 405, 409), (method, url[:80], r.status_code)
    declared: dict[str, set[str]] = {}
    for path, method, _ in operations:
        declared.setdefault(path, set()).add(method)
    for path, methods in declared.items():
        for method in {"GET", "POST", "PUT", "PATCH", "DELETE"} - methods:
            r = await client.request(method, _fill(path, ids), content=b"{}")
            assert r.status_code == 405, (method, path, r.status_code)
            assert r.json()["code"] == "MethodNotAllowed"
