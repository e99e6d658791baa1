"""Every Deployment query parameter (checklist §9): a match and a non-match on /deployments, the
all_deployments collection items, /deployments/{id}/subdeployments and /systems/{id}/deployments."""

from __future__ import annotations

import pytest

from tests.api.support import with_bases
from tests.api.world import OCEAN, World

pytestmark = pytest.mark.asyncio(loop_scope="session")

ALL = {"mission", "leg", "part", "pacific"}
WORLD_POLYGON = "POLYGON((-180 -90,180 -90,180 90,-180 90,-180 -90))"

TOP_LEVEL_CASES: list[tuple[str, set[str]]] = [
    ("", {"mission", "pacific"}),
    ("recursive=true", ALL),
    ("id={leg}", {"leg"}),
    ("id=urn:x-test:dep:*", ALL),
    ("id=urn:x-test:dep:m*", {"mission"}),
    ("id=urn:x-test:dep:none", set()),
    ("q=arctic", {"mission"}),
    ("q=ARC", {"mission"}),
    ("q=survey,mission", {"mission", "pacific"}),
    ("q=rctic", set()),
    ("q=first", set()),
    ("q=first&recursive=true", {"leg"}),
    ("bbox=0,45,1,46", {"mission"}),
    ("bbox=0,45,-100,1,46,100", {"mission"}),
    ("bbox=175,-15,-175,-12", {"pacific"}),
    ("bbox=0,42,2,44&recursive=true", {"mission", "leg"}),
    ("bbox=100,0,101,1", set()),
    ("datetime=2021-02-15T00:00:00Z", {"mission"}),
    ("datetime=2021-02-15T00:00:00Z&recursive=true", {"mission", "leg", "part"}),
    ("datetime=2021-04-01T00:00:00Z/2021-05-01T00:00:00Z&recursive=true", {"mission"}),
    ("datetime=2024-01-01T00:00:00Z/..", {"pacific"}),
    ("datetime=now", {"pacific"}),
    ("datetime=../2020-01-01T00:00:00Z", set()),
    ("geom=POINT(0 45)", {"mission"}),
    ("geom=POINT(1 43)&recursive=true", {"mission", "leg"}),
    ("geom=LINESTRING(175 -15,179 -15)", {"pacific"}),
    (f"geom={WORLD_POLYGON}&recursive=true", {"mission", "leg", "pacific"}),
    ("geom=POINT(100 0)", set()),
    ("parent={mission}", {"leg"}),
    ("parent={mission}&recursive=true", {"leg", "part"}),
    ("parent=urn:x-test:dep:leg", {"part"}),
    ("parent={pacific}", set()),
    ("system={station}", {"mission"}),
    ("system=urn:x-test:sys:thermo", {"mission"}),
    ("system=urn:x-test:sys:thermo&recursive=true", {"mission", "leg"}),
    ("system={fiji}", {"mission", "pacific"}),
    ("system={fiji}&recursive=true", ALL),
    ("system=urn:x-test:sys:*", {"mission", "pacific"}),
    ("system={nogeo}", set()),
    ("foi=urn:x-test:foi:aquifer", {"mission"}),
    (f"foi={OCEAN}", {"mission", "pacific"}),
    ("foi=urn:x-test:foi:none", set()),
    ("observedProperty=urn:x-test:prop:air-temp", {"mission"}),
    ("observedProperty=urn:x-test:prop:temperature&recursive=true", {"mission", "leg"}),
    ("observedProperty=urn:x-test:prop:valve-position", set()),
    ("controlledProperty=urn:x-test:prop:valve-position", {"mission"}),
    ("controlledProperty=urn:x-test:prop:valve-position&recursive=true", {"mission", "leg"}),
    ("controlledProperty=urn:x-test:prop:air-temp", set()),
    ("system={fiji}&datetime=2023-06-01T00:00:00Z", {"pacific"}),
]

SUBDEPLOYMENT_CASES: list[tuple[str, set[str]]] = [
    ("", {"leg"}),
    ("recursive=true", {"leg", "part"}),
    ("id={part}", set()),
    ("id={part}&recursive=true", {"part"}),
    ("id=urn:x-test:dep:leg", {"leg"}),
    ("q=first", {"leg"}),
    ("q=buoy", set()),
    ("q=buoy&recursive=true", {"part"}),
    ("bbox=0,42,2,44", {"leg"}),
    ("bbox=100,0,101,1", set()),
    ("datetime=2021-02-15T00:00:00Z&recursive=true", {"leg", "part"}),
    ("datetime=2021-02-25T00:00:00Z&recursive=true", {"leg"}),
    ("datetime=2022-01-01T00:00:00Z", set()),
    ("geom=POINT(1 43)", {"leg"}),
    ("geom=POINT(0 0)", set()),
    ("parent={leg}&recursive=true", {"part"}),
    ("parent={mission}", {"leg"}),
    ("parent={pacific}", set()),
    ("system={fiji}", {"leg"}),
    ("system={fiji}&recursive=true", {"leg", "part"}),
    ("system={station}", set()),
    (f"foi={OCEAN}", {"leg"}),
    ("foi=urn:x-test:foi:aquifer", set()),
    ("observedProperty=urn:x-test:prop:air-temp", {"leg"}),
    ("observedProperty=urn:x-test:prop:valve-position", set()),
    ("controlledProperty=urn:x-test:prop:valve-position", {"leg"}),
    ("controlledProperty=urn:x-test:prop:air-temp", set()),
]

SYSTEM_DEPLOYMENT_CASES: list[tuple[str, set[str]]] = [
    ("", ALL),
    ("id={pacific}", {"pacific"}),
    ("id=urn:x-test:dep:none", set()),
    ("q=pacific", {"pacific"}),
    ("q=nothing", set()),
    ("bbox=175,-15,-175,-12", {"pacific"}),
    ("bbox=100,0,101,1", set()),
    ("datetime=2023-06-01T00:00:00Z", {"pacific"}),
    ("datetime=2021-02-15T00:00:00Z", {"part", "leg", "mission"}),
    ("datetime=2022-06-01T00:00:00Z", set()),
    ("geom=POINT(0 45)", {"mission"}),
    ("geom=POINT(100 0)", set()),
    ("parent={mission}", {"leg"}),
    ("parent={pacific}", set()),
    ("system={station}", {"mission"}),
    ("system={nogeo}", set()),
    ("foi=urn:x-test:foi:aquifer", {"mission"}),
    ("foi=urn:x-test:foi:none", set()),
    ("observedProperty=urn:x-test:prop:air-temp", {"mission", "leg"}),
    ("observedProperty=urn:x-test:prop:valve-position", set()),
    ("controlledProperty=urn:x-test:prop:valve-position", {"mission", "leg"}),
    ("controlledProperty=urn:x-test:prop:air-temp", set()),
]


async def _names(world: World, url: str) -> set[str]:
    r = await world.client.get(world.fill(url) + "&limit=100")
    assert r.status_code == 200, r.text
    assert r.json()["numberMatched"] == len(r.json()["features"])
    return world.names(r.json())


@pytest.mark.parametrize(
    ("base", "query", "expected"), with_bases(TOP_LEVEL_CASES, "/deployments", "/collections/all_deployments/items")
)
async def test_deployment_filters(world: World, base: str, query: str, expected: set[str]) -> None:
    assert await _names(world, f"{base}?{query}") == expected


@pytest.mark.parametrize(("query", "expected"), SUBDEPLOYMENT_CASES, ids=[c[0] or "-" for c in SUBDEPLOYMENT_CASES])
async def test_subdeployment_filters(world: World, query: str, expected: set[str]) -> None:
    assert await _names(world, "/deployments/{mission}/subdeployments?" + query) == expected


@pytest.mark.parametrize(
    ("query", "expected"), SYSTEM_DEPLOYMENT_CASES, ids=[c[0] or "-" for c in SYSTEM_DEPLOYMENT_CASES]
)
async def test_system_deployment_filters(world: World, query: str, expected: set[str]) -> None:
    assert await _names(world, "/systems/{fiji}/deployments?" + query) == expected


@pytest.mark.parametrize(
    ("system", "expected"),
    [("thermo", {"leg", "mission"}), ("valve", {"mission"}), ("station", {"mission"}), ("nogeo", set())],
)
async def test_deployments_of_each_system(world: World, system: str, expected: set[str]) -> None:
    """Req 17B: only deployments in which the system was deployed (a platform is not deployed)."""
    assert await _names(world, f"/systems/{{{system}}}/deployments?") == expected


async def test_every_listed_deployment_links_back_to_the_system(world: World) -> None:
    """A.22: each deployment of /systems/{id}/deployments names the system in deployedSystems (itself or a part)."""
    r = await world.client.get(world.fill("/systems/{thermo}/deployments"))
    leg = next(f for f in r.json()["features"] if f["id"] == world.ids["leg"])
    hrefs = [lnk["href"] for lnk in leg["properties"]["deployedSystems@link"]]
    assert hrefs[0] == world.url("thermo", "systems")  # its own first, then its subdeployments' (Req 23)
    assert leg["properties"]["deployedSystems@link"][0]["uid"] == "urn:x-test:sys:thermo"


async def test_nested_deployment_lists_of_unknown_parents_are_404(world: World) -> None:
    assert (await world.client.get("/systems/nosuch/deployments")).status_code == 404
    assert (await world.client.get("/deployments/nosuch/subdeployments")).status_code == 404
