"""Every Procedure, Sampling Feature and Property query parameter (checklist §9): a match and a
non-match on the canonical endpoint, its all_* collection items and /systems/{id}/samplingFeatures."""

from __future__ import annotations

import pytest

from tests.api.support import with_bases
from tests.api.world import ATMOSPHERE, OCEAN, World

pytestmark = pytest.mark.asyncio(loop_scope="session")

WORLD_POLYGON = "POLYGON((-180 -90,180 -90,180 90,-180 90,-180 -90))"
PROCEDURES = {"thermo_ds", "valve_ctl", "manual"}
SAMPLING = {"well", "shelter", "core", "buoy"}
PROPERTIES = {"temp", "air", "daily", "valve_pos", "power"}
DBPEDIA = "http://dbpedia.org/resource/"

PROCEDURE_CASES: list[tuple[str, set[str]]] = [
    ("", PROCEDURES),
    ("id={manual}", {"manual"}),
    ("id=urn:x-test:proc:*", PROCEDURES),
    ("id=urn:x-test:proc:v*", {"valve_ctl"}),
    ("id=urn:x-test:proc:none", set()),
    ("q=datasheet", {"thermo_ds"}),
    ("q=method", {"valve_ctl", "manual"}),
    ("q=xyz", set()),
    ("bbox=-180,-90,180,90", set()),  # procedures have no geometry (Req 24)
    ("datetime=2015-06-01T00:00:00Z", PROCEDURES),
    ("datetime=2020-01-01T00:00:00Z", {"thermo_ds", "manual"}),
    ("observedProperty=urn:x-test:prop:air-temp", {"thermo_ds"}),
    ("observedProperty={air}", {"thermo_ds"}),
    ("observedProperty=urn:x-test:prop:temperature", {"thermo_ds"}),
    ("observedProperty=urn:x-test:prop:valve-position", set()),
    ("controlledProperty=urn:x-test:prop:valve-position", {"valve_ctl"}),
    ("controlledProperty=http://qudt.org/vocab/quantitykind/Angle", {"valve_ctl"}),
    ("controlledProperty=urn:x-test:prop:air-temp", set()),
    ("q=method&datetime=2020-01-01T00:00:00Z", {"manual"}),
]

SAMPLING_CASES: list[tuple[str, set[str]]] = [
    ("", SAMPLING),
    ("id={well},{buoy}", {"well", "buoy"}),
    ("id=urn:x-test:sf:*", SAMPLING),
    ("id=urn:x-test:sf:none", set()),
    ("q=well", {"well"}),
    ("q=rock", {"core"}),
    ("q=nothing", set()),
    ("bbox=1,43,2,44", {"well", "shelter"}),
    ("bbox=1,43,0,2,44,10", {"well", "shelter"}),
    ("bbox=179,-17,-179,-16", {"buoy"}),
    ("bbox=10,10,11,11", set()),
    ("datetime=2020-03-15T00:00:00Z", SAMPLING),
    ("datetime=2021-01-01T00:00:00Z/..", {"shelter", "core", "buoy"}),
    ("geom=POINT(1.4 43.6)", {"well"}),
    (f"geom={WORLD_POLYGON}", {"well", "shelter", "buoy"}),
    ("geom=POINT(0 0)", set()),
    ("foi=urn:x-test:foi:aquifer", {"well", "core"}),
    ("foi={well}", {"well", "core"}),
    ("foi=urn:x-test:sf:well", {"well", "core"}),
    (f"foi={ATMOSPHERE}", {"shelter"}),
    (f"foi={OCEAN}", {"buoy"}),
    ("foi=urn:x-test:foi:none", set()),
    ("observedProperty=urn:x-test:prop:air-temp", {"shelter"}),
    ("observedProperty=urn:x-test:prop:temperature", {"shelter"}),
    ("observedProperty=urn:x-test:prop:power", set()),
    ("controlledProperty=urn:x-test:prop:valve-position", {"core"}),
    ("controlledProperty=urn:x-test:prop:air-temp", set()),
    ("foi=urn:x-test:foi:aquifer&bbox=-180,-90,180,90", {"well"}),
]

STATION_SAMPLING_CASES: list[tuple[str, set[str]]] = [
    ("", {"well", "shelter"}),  # Req 13: the subsystems' sampling features too
    ("id={shelter}", {"shelter"}),
    ("id={buoy}", set()),
    ("q=shelter", {"shelter"}),
    ("q=rock", set()),
    ("bbox=1.3,43.6,1.39,43.63", {"shelter"}),
    ("bbox=10,10,11,11", set()),
    ("datetime=2021-01-01T00:00:00Z", {"shelter"}),
    ("datetime=2020-03-15T00:00:00Z", {"well", "shelter"}),
    ("geom=POINT(1.4 43.6)", {"well"}),
    ("geom=POINT(0 0)", set()),
    (f"foi={ATMOSPHERE}", {"shelter"}),
    (f"foi={OCEAN}", set()),
    ("observedProperty=urn:x-test:prop:air-temp", {"shelter"}),
    ("observedProperty=urn:x-test:prop:power", set()),
    ("controlledProperty=urn:x-test:prop:valve-position", set()),
]

PROPERTY_CASES: list[tuple[str, set[str]]] = [
    ("", PROPERTIES),
    ("id={air}", {"air"}),
    ("id=urn:x-test:prop:*", PROPERTIES),
    ("id=urn:x-test:prop:a*", {"air"}),
    ("id=urn:x-test:prop:none", set()),
    ("q=temperature", {"temp", "air", "daily"}),
    ("q=engine", {"power"}),
    ("q=nothing", set()),
    ("bbox=-180,-90,180,90", set()),  # properties have no geometry
    ("datetime=2020-01-01T00:00:00Z", PROPERTIES),  # nor validTime: every property matches (Req 3B)
    ("baseProperty=http://qudt.org/vocab/quantitykind/Temperature", {"temp", "air", "daily"}),
    ("baseProperty=urn:x-test:prop:temperature", {"air", "daily"}),
    ("baseProperty={temp}", {"air", "daily"}),
    ("baseProperty={air}", {"daily"}),  # `daily` names its base by canonical URL
    ("baseProperty=urn:x-test:prop:air-temp", {"daily"}),
    ("baseProperty=http://qudt.org/vocab/quantitykind/Mass", set()),
    ("objectType=http://dbpedia.org/resource/Valve", {"valve_pos"}),
    (f"objectType={DBPEDIA}Atmosphere,{DBPEDIA}Valve", {"air", "valve_pos"}),
    ("objectType=http://dbpedia.org/resource/Engine", set()),
    ("baseProperty=http://qudt.org/vocab/quantitykind/Temperature&q=daily", {"daily"}),
]


async def _names(world: World, url: str) -> set[str]:
    r = await world.client.get(world.fill(url) + "&limit=100")
    assert r.status_code == 200, r.text
    body = r.json()
    if "numberMatched" in body:
        assert body["numberMatched"] == len(body["features"])
    return world.names(body)


def _ids(cases: list[tuple[str, set[str]]]) -> list[str]:
    return [c[0] or "-" for c in cases]


@pytest.mark.parametrize(
    ("base", "query", "expected"), with_bases(PROCEDURE_CASES, "/procedures", "/collections/all_procedures/items")
)
async def test_procedure_filters(world: World, base: str, query: str, expected: set[str]) -> None:
    assert await _names(world, f"{base}?{query}") == expected


@pytest.mark.parametrize(
    ("base", "query", "expected"),
    with_bases(SAMPLING_CASES, "/samplingFeatures", "/collections/all_sampling_features/items"),
)
async def test_sampling_feature_filters(world: World, base: str, query: str, expected: set[str]) -> None:
    assert await _names(world, f"{base}?{query}") == expected


@pytest.mark.parametrize(("query", "expected"), STATION_SAMPLING_CASES, ids=_ids(STATION_SAMPLING_CASES))
async def test_system_sampling_feature_filters(world: World, query: str, expected: set[str]) -> None:
    assert await _names(world, "/systems/{station}/samplingFeatures?" + query) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/systems/{thermo}/samplingFeatures?", {"shelter"}),
        ("/systems/{probe}/samplingFeatures?", set()),
        ("/systems/{valve}/samplingFeatures?controlledProperty=urn:x-test:prop:valve-position", {"core"}),
        ("/systems/{fiji}/samplingFeatures?foi=http://dbpedia.org/resource/Pacific_Ocean", {"buoy"}),
    ],
)
async def test_sampling_features_of_other_systems(world: World, url: str, expected: set[str]) -> None:
    assert await _names(world, url) == expected


@pytest.mark.parametrize(
    ("base", "query", "expected"), with_bases(PROPERTY_CASES, "/properties", "/collections/all_properties/items")
)
async def test_property_filters(world: World, base: str, query: str, expected: set[str]) -> None:
    assert await _names(world, f"{base}?{query}") == expected


async def test_unknown_system_has_no_sampling_feature_list(world: World) -> None:
    assert (await world.client.get("/systems/nosuch/samplingFeatures")).status_code == 404
