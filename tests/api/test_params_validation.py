"""Invalid values of every query parameter on every endpoint where it applies → 400 naming the
parameter (Feat-1 /req/core/query-param-invalid); parameters an endpoint does not declare → 400
(/req/core/query-param-unknown)."""

from __future__ import annotations

import base64

import pytest

from tests.api.support import assert_bad_param
from tests.api.world import World

pytestmark = pytest.mark.asyncio(loop_scope="session")


def _token(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


COMMON = ["id", "q", "bbox", "datetime", "limit", "f", "cursor"]
ASSOC = ["foi", "observedProperty", "controlledProperty"]
SYSTEM_PARAMS = [*COMMON, "geom", "parent", "procedure", *ASSOC, "recursive"]
DEPLOYMENT_PARAMS = [*COMMON, "geom", "parent", "system", *ASSOC, "recursive"]
SYSTEM_DEPLOYMENT_PARAMS = [p for p in DEPLOYMENT_PARAMS if p != "recursive"]
PROCEDURE_PARAMS = [*COMMON, "observedProperty", "controlledProperty"]
SAMPLING_PARAMS = [*COMMON, "geom", *ASSOC]
PROPERTY_PARAMS = [*COMMON, "baseProperty", "objectType"]

ENDPOINTS: dict[str, list[str]] = {
    "/systems": SYSTEM_PARAMS,
    "/systems/{station}/subsystems": SYSTEM_PARAMS,
    "/collections/all_systems/items": SYSTEM_PARAMS,
    "/deployments": DEPLOYMENT_PARAMS,
    "/deployments/{mission}/subdeployments": DEPLOYMENT_PARAMS,
    "/collections/all_deployments/items": DEPLOYMENT_PARAMS,
    "/systems/{fiji}/deployments": SYSTEM_DEPLOYMENT_PARAMS,
    "/procedures": PROCEDURE_PARAMS,
    "/collections/all_procedures/items": PROCEDURE_PARAMS,
    "/samplingFeatures": SAMPLING_PARAMS,
    "/systems/{station}/samplingFeatures": SAMPLING_PARAMS,
    "/collections/all_sampling_features/items": SAMPLING_PARAMS,
    "/properties": PROPERTY_PARAMS,
    "/collections/all_properties/items": PROPERTY_PARAMS,
}
EVERY_PARAM = sorted({p for params in ENDPOINTS.values() for p in params})
BAD_ID_LISTS = ["abc,urn:x-test:y", "a,,b", ""]
INVALID: dict[str, list[str]] = {
    "id": BAD_ID_LISTS,
    "q": ["", "a" * 51, "ok,"],
    "bbox": ["1,2,3", "a,b,c,d", "0,50,1,40", "0,0,200,10", "1,2,3,4,5", "nan,0,1,1", "0,0,5,1,1,2", ""],
    "datetime": [
        "yesterday",
        "2020-01-02T00:00:00Z/2020-01-01T00:00:00Z",
        "../..",
        "2020-01-01T00:00:00",
        "2020-01-01T00:00:00Z/2020-02-01T00:00:00Z/2020-03-01T00:00:00Z",
        "2020-13-01T00:00:00Z",
        "latest",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
    ],
    "geom": ["POINT(1)", "CIRCLE(1 2)", "POINT(200 10)", "POINT EMPTY", "POLYGON((0 0,1 1))", "LINESTRING(0 0,0 95)"],
    "recursive": ["maybe", "2"],
    "limit": ["0", "-1", "ten", "1.5", ""],
    "f": ["xml", "text/xml"],  # (f=html and f=text/html are pages: tests/api/html)
    "cursor": [
        "!!!",
        "e30",
        _token(b'{"after":"x"}'),
        _token(b'{"after":1e30}'),
        _token(b'{"after":99999999999999999999999}'),
        _token(b'{"before":[1]}'),
        _token(b"[1,2]"),
    ],
}
for _name in ("parent", "procedure", "system", "foi", "observedProperty", "controlledProperty"):
    INVALID[_name] = BAD_ID_LISTS
INVALID["baseProperty"] = BAD_ID_LISTS
INVALID["objectType"] = BAD_ID_LISTS


def _unknown(params: list[str]) -> list[str]:
    extra = ["foo", "offset", "sortby", "uid", "object", "cascade"]
    return [*(p for p in EVERY_PARAM if p not in params), *extra]


async def _problems(world: World, endpoint: str, cases: list[tuple[str, str]]) -> list[str]:
    """Run `(name, value)` cases against `endpoint`; describe each that is not a 400 naming `name`."""
    problems = []
    for name, value in cases:
        r = await world.client.get(world.fill(endpoint), params={name: value})
        details = r.json().get("details", {}) if r.status_code == 400 else {}
        if details.get("parameter") != name or name not in r.json()["description"]:
            problems.append(f"{name}={value!r} → {r.status_code} {r.text[:200]}")
    return problems


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
async def test_invalid_values_are_400_naming_the_parameter(world: World, endpoint: str) -> None:
    cases = [(name, value) for name in ENDPOINTS[endpoint] for value in INVALID[name]]
    assert await _problems(world, endpoint, cases) == []


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
async def test_parameters_the_endpoint_does_not_declare_are_400(world: World, endpoint: str) -> None:
    cases = [(name, "1") for name in _unknown(ENDPOINTS[endpoint])]
    assert await _problems(world, endpoint, cases) == []


SINGLE = [
    "/systems/{station}",
    "/deployments/{mission}",
    "/procedures/{manual}",
    "/samplingFeatures/{well}",
    "/properties/{air}",
    "/collections/all_systems/items/{station}",
    "/collections/all_properties/items/{air}",
    "/collections",
    "/collections/all_systems",
    "/conformance",
    "/",
]


@pytest.mark.parametrize("url", SINGLE)
async def test_single_resource_endpoints_reject_list_parameters(world: World, url: str) -> None:
    cases = [(name, "1") for name in ("limit", "q", "id", "bbox", "recursive", "cursor", "foo")]
    assert await _problems(world, url, cases) == []


@pytest.mark.parametrize("method", ["PUT", "PATCH", "DELETE"])
async def test_write_endpoints_reject_unknown_parameters(world: World, method: str) -> None:
    r = await world.client.request(method, world.fill("/systems/{nogeo}"), params={"force": "yes"})
    assert_bad_param(r, "force")
    r = await world.client.post("/systems", params={"f": "sml"}, json={})
    assert_bad_param(r, "f")


async def test_cascade_must_be_a_boolean(world: World) -> None:
    r = await world.client.delete(world.fill("/systems/{nogeo}"), params={"cascade": "perhaps"})
    assert_bad_param(r, "cascade")
    assert (await world.client.get(world.fill("/systems/{nogeo}"))).status_code == 200


@pytest.mark.parametrize("value", ["urn:x-test:sys:station,", ",urn:x-test:sys:station", " , "])
async def test_empty_member_of_an_id_list(world: World, value: str) -> None:
    assert_bad_param(await world.client.get("/systems", params={"id": value}), "id")
