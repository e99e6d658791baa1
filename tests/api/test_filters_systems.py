"""Every System query parameter (checklist §9): a match, a non-match, on /systems, the all_systems
collection items (Req 8C) and /systems/{id}/subsystems. Invalid values are in test_params_validation.py."""

from __future__ import annotations

import pytest

from tests.api.support import with_bases
from tests.api.world import ATMOSPHERE, World

pytestmark = pytest.mark.asyncio(loop_scope="session")

TOP = {"station", "valve", "fiji", "nogeo"}
EVERY = TOP | {"thermo", "probe"}
WORLD_POLYGON = "POLYGON((-180 -90,180 -90,180 90,-180 90,-180 -90))"

# Cases shared by /systems and /collections/all_systems/items (top-level systems unless recursive).
TOP_LEVEL_CASES: list[tuple[str, set[str]]] = [
    ("", TOP),
    ("recursive=false", TOP),
    ("recursive=true", EVERY),
    # id: local ids, UIDs, UID prefixes; ids search every level (checklist D2)
    ("id={station},{fiji}", {"station", "fiji"}),
    ("id={thermo}", {"thermo"}),
    ("id=urn:x-test:sys:probe", {"probe"}),
    ("id=urn:x-test:sys:*", EVERY),
    ("id=urn:x-test:sys:st*", {"station"}),
    ("id=urn:x-test:sys:none", set()),
    ("id=nosuchid", set()),
    # q: word prefixes of name and description, case-insensitive (D4)
    ("q=station", {"station"}),
    ("q=TOULOUSE", {"station"}),
    ("q=airport", {"station"}),
    ("q=buoy,archive", {"fiji", "nogeo"}),
    ("q=tation", set()),
    ("q=shelter", set()),
    ("q=shelter&recursive=true", {"thermo"}),
    # bbox: 4 and 6 numbers, antimeridian crossing
    ("bbox=1,43,2,44", {"station"}),
    ("bbox=1,43,2,44&recursive=true", {"station", "thermo"}),
    ("bbox=1,43,0,2,44,1000", {"station"}),
    ("bbox=179,-17,-179,-16", {"valve", "fiji"}),
    ("bbox=179,-17,180,-16", {"valve"}),
    ("bbox=10,10,11,11", set()),
    # datetime on validTime; systems without validTime always match (Req 3B)
    ("datetime=2020-06-01T00:00:00Z", {"station", "fiji"}),
    ("datetime=2009-06-01T00:00:00Z/2010-06-01T00:00:00Z", {"nogeo", "fiji"}),
    ("datetime=2021-01-01T00:00:00Z/..", {"valve", "fiji"}),
    ("datetime=../2015-01-01T00:00:00Z", {"nogeo", "fiji"}),
    ("datetime=now", {"valve", "fiji"}),
    ("datetime=1990-01-01T00:00:00Z", {"fiji"}),
    ("datetime=2019-06-01T00:00:00Z&recursive=true", {"fiji", "thermo", "probe"}),
    # geom: intersects; systems without geometry are excluded (Req 41E)
    ("geom=POINT(1.3789 43.6211)", {"station"}),
    ("geom=POINT Z(1.3789 43.6211 10)", {"station"}),
    ("geom=POLYGON((0 40,5 40,5 50,0 50,0 40))", {"station"}),
    ("geom=LINESTRING(179 -16.5,180 -16.5)", {"valve"}),
    ("geom=MULTIPOINT((179.5 -16.5),(-179.5 -16.8))", {"valve", "fiji"}),
    ("geom=MULTILINESTRING((0 43.6211,2 43.6211),(-180 -16.8,-179 -16.8))", {"station", "fiji"}),
    (
        "geom=MULTIPOLYGON(((0 40,5 40,5 50,0 50,0 40)),((170 -20,180 -20,180 -10,170 -10,170 -20)))",
        {"station", "valve"},
    ),
    (f"geom={WORLD_POLYGON}", {"station", "valve", "fiji"}),
    (f"geom={WORLD_POLYGON}&recursive=true", {"station", "valve", "fiji", "thermo"}),
    ("geom=POINT(50 50)", set()),
    # parent: searches every level (D2); recursive widens to all descendants
    ("parent={station}", {"thermo"}),
    ("parent=urn:x-test:sys:station", {"thermo"}),
    ("parent={station}&recursive=true", {"thermo", "probe"}),
    ("parent={thermo}", {"probe"}),
    ("parent={valve},{fiji}", set()),
    # procedure: systemKind / typeOf by local id, UID, or the link's uid
    ("procedure={thermo_ds}", set()),
    ("procedure={thermo_ds}&recursive=true", {"thermo"}),
    ("procedure=urn:x-test:proc:thermo-ds&recursive=true", {"thermo"}),
    ("procedure=urn:x-test:proc:valve-ctl", {"valve"}),
    ("procedure={valve_ctl}", {"valve"}),
    ("procedure={manual}", {"nogeo"}),
    ("procedure=urn:x-test:proc:none", set()),
    # foi: sampling features and domain FOIs (44C); a parent matches through subsystems (44D);
    # sampledFeature and sampleOf chains (Rec 5)
    ("foi=urn:x-test:foi:aquifer", {"station", "valve"}),
    ("foi=https://example.org/features/aquifer-12", {"station", "valve"}),
    (f"foi={ATMOSPHERE}", {"station"}),
    (f"foi={ATMOSPHERE}&recursive=true", {"station", "thermo"}),
    ("foi={buoy}", {"fiji"}),
    ("foi=urn:x-test:sf:well", {"station", "valve"}),
    ("foi=urn:x-test:foi:none", set()),
    # observedProperty / controlledProperty: SensorML outputs / actuator inputs, derived
    # properties (Rec 4), subsystems count recursively (45C/46C)
    ("observedProperty=urn:x-test:prop:air-temp", {"station"}),
    ("observedProperty=urn:x-test:prop:air-temp&recursive=true", {"station", "thermo"}),
    ("observedProperty={air}", {"station"}),
    ("observedProperty=urn:x-test:prop:temperature", {"station"}),
    ("observedProperty=http://qudt.org/vocab/quantitykind/Temperature", {"station"}),
    ("observedProperty=urn:x-test:prop:power&recursive=true", {"station", "thermo", "probe"}),
    ("observedProperty=urn:x-test:prop:valve-position", set()),
    ("controlledProperty=urn:x-test:prop:valve-position", {"valve", "station"}),
    ("controlledProperty={valve_pos}&recursive=true", {"valve", "station", "thermo", "probe"}),
    ("controlledProperty=http://qudt.org/vocab/quantitykind/Angle", {"valve", "station"}),
    ("controlledProperty=urn:x-test:prop:air-temp", set()),
    # different parameters combine with AND (Req 59)
    ("q=station&datetime=2021-01-01T00:00:00Z", set()),
    ("bbox=-180,-90,180,90&datetime=2020-06-01T00:00:00Z", {"station", "fiji"}),
    ("observedProperty=urn:x-test:prop:power&recursive=true&q=heater", {"probe"}),
    ("foi=urn:x-test:foi:aquifer&controlledProperty=urn:x-test:prop:valve-position&bbox=170,-20,180,-10", {"valve"}),
]

SUBSYSTEM_CASES: list[tuple[str, set[str]]] = [
    ("", {"thermo"}),
    ("recursive=true", {"thermo", "probe"}),
    ("id={probe}", set()),
    ("id={probe}&recursive=true", {"probe"}),
    ("id=urn:x-test:sys:thermo", {"thermo"}),
    ("id={fiji}", set()),
    ("q=shelter", {"thermo"}),
    ("q=heater", set()),
    ("q=heater&recursive=true", {"probe"}),
    ("bbox=1,43,2,44", {"thermo"}),
    ("bbox=10,10,11,11", set()),
    ("datetime=2020-06-01T00:00:00Z&recursive=true", {"thermo"}),
    ("datetime=2019-06-01T00:00:00Z/..&recursive=true", {"thermo", "probe"}),
    ("geom=POINT(1.38 43.62)", {"thermo"}),
    ("geom=POINT(0 0)", set()),
    (f"geom={WORLD_POLYGON}&recursive=true", {"thermo"}),
    ("parent={thermo}&recursive=true", {"probe"}),
    ("parent={station}", {"thermo"}),
    ("parent={fiji}", set()),
    ("procedure={thermo_ds}", {"thermo"}),
    ("procedure={manual}", set()),
    (f"foi={ATMOSPHERE}", {"thermo"}),
    ("foi=urn:x-test:foi:aquifer", set()),
    ("observedProperty=urn:x-test:prop:power", {"thermo"}),
    ("observedProperty=urn:x-test:prop:power&recursive=true", {"thermo", "probe"}),
    ("observedProperty=urn:x-test:prop:valve-position", set()),
    ("controlledProperty=urn:x-test:prop:valve-position", {"thermo"}),
    ("controlledProperty=urn:x-test:prop:valve-position&recursive=true", {"thermo", "probe"}),
    ("controlledProperty=urn:x-test:prop:air-temp", set()),
]


async def _names(world: World, url: str) -> set[str]:
    r = await world.client.get(world.fill(url) + "&limit=100")
    assert r.status_code == 200, r.text
    assert r.json()["numberMatched"] == len(r.json()["features"])
    return world.names(r.json())


@pytest.mark.parametrize(
    ("base", "query", "expected"), with_bases(TOP_LEVEL_CASES, "/systems", "/collections/all_systems/items")
)
async def test_system_filters(world: World, base: str, query: str, expected: set[str]) -> None:
    assert await _names(world, f"{base}?{query}") == expected


@pytest.mark.parametrize(("query", "expected"), SUBSYSTEM_CASES, ids=[c[0] or "-" for c in SUBSYSTEM_CASES])
async def test_subsystem_filters(world: World, query: str, expected: set[str]) -> None:
    assert await _names(world, "/systems/{station}/subsystems?" + query) == expected


async def test_subsystems_of_a_leaf_and_of_unknown_system(world: World) -> None:
    assert await _names(world, "/systems/{probe}/subsystems?") == set()
    r = await world.client.get("/systems/nosuch/subsystems")
    assert r.status_code == 404


async def test_sml_listing_filters_the_same(world: World) -> None:
    r = await world.client.get("/systems?observedProperty=urn:x-test:prop:power&recursive=true&f=sml")
    assert r.headers["content-type"] == "application/sml+json"
    assert world.names(r.json()) == {"station", "thermo", "probe"}
