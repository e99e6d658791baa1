"""Part 1 filters in the SQL store, on SQLite and PostgreSQL (`any_store`)."""

from __future__ import annotations

import pytest
from shapely import wkt
from sqlalchemy import insert, select

from bridge.model.csapi import (
    DeployedSystem,
    Deployment,
    Feature,
    Kind,
    Link,
    Procedure,
    Property,
    SamplingFeature,
    System,
    TimeExtent,
)
from bridge.model.query import BBox, FeatureQuery, IdList, TimeFilter
from bridge.model.time import parse_datetime, to_us
from bridge.store.base import Collection
from bridge.store.sql.store import SqlStore
from bridge.store.sql.tables import refs

API = "http://api.example.org"


def period(start: str, end: str | None) -> TimeExtent:
    return TimeExtent(parse_datetime(start), parse_datetime(end) if end else None)


def at(text: str) -> TimeFilter:
    value = to_us(parse_datetime(text))
    return TimeFilter(value, value)


def point(x: float, y: float) -> dict[str, object]:
    return {"type": "Point", "coordinates": [x, y]}


async def add(store: SqlStore, feature: Feature, rid: str, parent: str | None = None) -> str:
    feature.id, feature.parent_id = rid, parent
    await store.create_feature(feature)
    return rid


async def seed(store: SqlStore) -> None:
    """A platform with two nested sensors, an actuator on the antimeridian, sampling chains, deployments, properties."""
    await add(store, Property(uid="urn:p:temp", name="Temperature", base_property="http://qudt/Temperature"), "temp")
    await add(
        store,
        Property(uid="urn:p:air", name="Air temperature", base_property="urn:p:temp", object_type="urn:o:air"),
        "air",
    )
    await add(store, Property(uid="urn:p:daily", name="Daily air", base_property=f"{API}/properties/air"), "daily")
    await add(store, Property(uid="urn:p:valve", name="Valve", base_property="http://qudt/Angle"), "valve_p")
    await add(store, Procedure(uid="urn:proc:ds", name="Datasheet", observed_properties=["urn:p:air"]), "ds")
    await add(store, Procedure(uid="urn:proc:act", name="Act", controlled_properties=["urn:p:valve"]), "act")
    platform = System(
        uid="urn:s:platform",
        name="Platform station",
        geometry=point(5, 45),
        valid_time=period("2020-01-01T00:00:00Z", "2020-12-31T00:00:00Z"),
    )
    await add(store, platform, "platform")
    sensor = System(
        uid="urn:s:sensor",
        name="Sensor",
        system_kind=Link(href=f"{API}/procedures/ds"),
        observed_properties=["urn:p:air"],
    )
    await add(store, sensor, "sensor", "platform")
    await add(
        store,
        System(uid="urn:s:probe", name="Probe", observed_properties=[f"{API}/properties/daily"]),
        "probe",
        "sensor",
    )
    actuator = System(
        uid="urn:s:act",
        name="Actuator",
        geometry=point(179.5, 0),
        controlled_properties=["urn:p:valve"],
        system_kind=Link(href="https://x.org/p/9", uid="urn:proc:act"),
        valid_time=period("2022-01-01T00:00:00Z", None),
    )
    await add(store, actuator, "actuator")
    well = SamplingFeature(
        uid="urn:sf:well",
        name="Well",
        sampled_feature=Link(href="https://x.org/aquifer", uid="urn:foi:aquifer"),
        geometry=point(5.1, 45.1),
    )
    await add(store, well, "well", "platform")
    core = SamplingFeature(
        uid="urn:sf:core",
        name="Core",
        sampled_feature=Link(href=f"{API}/samplingFeatures/well"),
        sample_of=[Link(href="urn:sf:well")],
    )
    await add(store, core, "core", "actuator")
    await add(
        store,
        SamplingFeature(uid="urn:sf:air", name="Air", sampled_feature=Link(href="http://atmosphere")),
        "air_sf",
        "probe",
    )
    mission = Deployment(
        uid="urn:d:mission",
        name="Mission",
        valid_time=period("2021-01-01T00:00:00Z", "2021-12-31T00:00:00Z"),
        deployed_systems=[DeployedSystem(system=Link(href="urn:s:platform"))],
    )
    await add(store, mission, "mission")
    leg = Deployment(
        uid="urn:d:leg",
        name="Leg",
        valid_time=period("2021-02-01T00:00:00Z", "2021-03-01T00:00:00Z"),
        deployed_systems=[DeployedSystem(system=Link(href=f"{API}/systems/actuator"))],
    )
    await add(store, leg, "leg", "mission")


async def ids(store: SqlStore, kind: Kind, **filters: object) -> set[str]:
    page = await store.list_features(FeatureQuery(kind=kind, limit=100, **filters))  # type: ignore[arg-type]
    assert page.matched == len(page.items)
    return {f.id for f in page.items}


CASES: list[tuple[Kind, dict[str, object], set[str]]] = [
    (Kind.SYSTEM, {}, {"platform", "sensor", "probe", "actuator"}),
    (Kind.SYSTEM, {"top_level_only": True}, {"platform", "actuator"}),
    (Kind.SYSTEM, {"ids": IdList(local=("sensor", "nosuch"))}, {"sensor"}),
    (Kind.SYSTEM, {"ids": IdList(uids=("urn:s:p*",))}, {"platform", "probe"}),
    (Kind.SYSTEM, {"ids": IdList(uids=("urn:s:%",))}, set()),  # LIKE wildcards are escaped
    (Kind.SYSTEM, {"q": ("STATION",)}, {"platform"}),
    (Kind.SYSTEM, {"q": ("tation",)}, set()),
    (Kind.SYSTEM, {"bbox": BBox(4, 44, 6, 46)}, {"platform"}),
    (Kind.SYSTEM, {"bbox": BBox(179, -1, -179, 1)}, {"actuator"}),
    (Kind.SYSTEM, {"geom": wkt.loads("POLYGON((0 40,10 40,10 50,0 50,0 40))")}, {"platform"}),
    (Kind.SYSTEM, {"geom": wkt.loads("POINT(0 0)")}, set()),
    (Kind.SYSTEM, {"datetime": at("2020-06-01T00:00:00Z")}, {"platform", "sensor", "probe"}),
    (
        Kind.SYSTEM,
        {"datetime": TimeFilter(to_us(parse_datetime("2023-01-01T00:00:00Z")), None)},
        {"sensor", "probe", "actuator"},
    ),
    (Kind.SYSTEM, {"parent": IdList(local=("platform",))}, {"sensor"}),
    (Kind.SYSTEM, {"parent": IdList(uids=("urn:s:platform",)), "recursive": True}, {"sensor", "probe"}),
    (Kind.SYSTEM, {"children_of": "platform"}, {"sensor"}),
    (Kind.SYSTEM, {"children_of": "platform", "recursive": True}, {"sensor", "probe"}),
    (Kind.SYSTEM, {"procedure": IdList(local=("ds",))}, {"sensor"}),
    (Kind.SYSTEM, {"procedure": IdList(uids=("urn:proc:act",))}, {"actuator"}),
    (Kind.SYSTEM, {"procedure": IdList(local=("act",))}, {"actuator"}),
    (Kind.SYSTEM, {"foi": IdList(uids=("urn:foi:aquifer",))}, {"platform", "actuator"}),
    (Kind.SYSTEM, {"foi": IdList(uids=("http://atmosphere",))}, {"platform", "sensor", "probe"}),
    (Kind.SYSTEM, {"observed_property": IdList(uids=("urn:p:temp",))}, {"platform", "sensor", "probe"}),
    (Kind.SYSTEM, {"observed_property": IdList(local=("daily",))}, {"platform", "sensor", "probe"}),
    (Kind.SYSTEM, {"observed_property": IdList(uids=("urn:p:valve",))}, set()),
    (Kind.SYSTEM, {"controlled_property": IdList(uids=("http://qudt/Angle",))}, {"actuator"}),
    (Kind.SAMPLING_FEATURE, {"of_system": "platform"}, {"well", "air_sf"}),
    (Kind.SAMPLING_FEATURE, {"foi": IdList(uids=("urn:foi:aquifer",))}, {"well", "core"}),
    (Kind.SAMPLING_FEATURE, {"foi": IdList(uids=("https://x.org/aquifer",))}, {"well", "core"}),
    (Kind.SAMPLING_FEATURE, {"foi": IdList(local=("core",))}, {"core"}),
    (Kind.DEPLOYMENT, {"of_system": "platform"}, {"mission"}),
    (Kind.DEPLOYMENT, {"of_system": "actuator"}, {"mission", "leg"}),
    (Kind.DEPLOYMENT, {"system": IdList(uids=("urn:s:act",))}, {"mission", "leg"}),
    (Kind.DEPLOYMENT, {"system": IdList(local=("sensor",))}, set()),
    (Kind.DEPLOYMENT, {"foi": IdList(uids=("urn:foi:aquifer",)), "top_level_only": True}, {"mission"}),
    (Kind.DEPLOYMENT, {"controlled_property": IdList(uids=("urn:p:valve",))}, {"mission", "leg"}),
    (Kind.PROCEDURE, {"observed_property": IdList(uids=("urn:p:temp",))}, {"ds"}),
    (Kind.PROCEDURE, {"controlled_property": IdList(local=("valve_p",))}, {"act"}),
    (Kind.PROCEDURE, {"bbox": BBox(-180, -90, 180, 90)}, set()),
    (Kind.PROPERTY, {"base_property": IdList(uids=("http://qudt/Temperature",))}, {"temp", "air", "daily"}),
    (Kind.PROPERTY, {"base_property": IdList(local=("air",))}, {"daily"}),
    (Kind.PROPERTY, {"object_type": IdList(uids=("urn:o:air",))}, {"air"}),
    (Kind.PROPERTY, {"datetime": at("1900-01-01T00:00:00Z")}, {"temp", "air", "daily", "valve_p"}),
]


@pytest.mark.parametrize("backend_cases", [CASES], ids=["all-filters"])
async def test_filters(any_store: SqlStore, backend_cases: list[tuple[Kind, dict[str, object], set[str]]]) -> None:
    await seed(any_store)
    problems = []
    for kind, filters, expected in backend_cases:
        found = await ids(any_store, kind, **filters)
        if found != expected:
            problems.append(f"{kind.value} {filters}: {sorted(found)} != {sorted(expected)}")
    assert problems == []


async def test_stream_refs_survive_a_replace(any_store: SqlStore) -> None:
    """Associations recorded by Part 2 streams (observedProperty/foi of systems and sampling features)
    are not the document's: replacing the resource keeps them; its own are rewritten."""
    await seed(any_store)
    async with any_store.engine.begin() as conn:
        await conn.execute(
            insert(refs).values(owner_kind="systems", owner_id="actuator", rel="observedProperty", target="urn:p:wind")
        )
        await conn.execute(
            insert(refs).values(
                owner_kind="samplingFeatures", owner_id="core", rel="observedProperty", target="urn:p:wind"
            )
        )
    for kind, rid in ((Kind.SYSTEM, "actuator"), (Kind.SAMPLING_FEATURE, "core")):
        feature = await any_store.get_feature(kind, rid)
        feature.name = "Renamed"
        await any_store.replace_feature(feature)
    assert await ids(any_store, Kind.SYSTEM, observed_property=IdList(uids=("urn:p:wind",))) == {"actuator"}
    assert await ids(any_store, Kind.SAMPLING_FEATURE, observed_property=IdList(uids=("urn:p:wind",))) == {"core"}
    actuator = await any_store.get_feature(Kind.SYSTEM, "actuator")
    assert isinstance(actuator, System)
    actuator.controlled_properties = []
    await any_store.replace_feature(actuator)
    assert await ids(any_store, Kind.SYSTEM, controlled_property=IdList(uids=("urn:p:valve",))) == set()


async def test_collection_membership_filter_and_kinds(any_store: SqlStore) -> None:
    await seed(any_store)
    await any_store.ensure_collection(Collection("mine", Kind.SYSTEM, "Mine"))
    await any_store.ensure_collection(Collection("mine", Kind.SYSTEM, "Mine"))  # idempotent
    await any_store.ensure_collection(Collection("deps", Kind.DEPLOYMENT, "Deps"))
    await any_store.add_to_collection("mine", Kind.SYSTEM, ["probe", "actuator", "probe"])
    await add(
        any_store,
        Deployment(uid="urn:d:same-id", name="Same id as a system", valid_time=period("2020-01-01T00:00:00Z", None)),
        "probe",
    )
    await any_store.add_to_collection("deps", Kind.DEPLOYMENT, ["probe"])
    assert await ids(any_store, Kind.SYSTEM, collection="mine") == {"probe", "actuator"}
    assert await ids(any_store, Kind.SYSTEM, collection="mine", q=("probe",)) == {"probe"}
    await any_store.delete_feature(Kind.DEPLOYMENT, "probe", cascade=False)
    assert await ids(any_store, Kind.SYSTEM, collection="mine") == {"probe", "actuator"}  # other kind untouched
    await any_store.remove_from_collection("mine", "probe")
    assert await ids(any_store, Kind.SYSTEM, collection="mine") == {"actuator"}
    assert [c.id for c in await any_store.list_collections()][-2:] == ["mine", "deps"]


async def test_document_refs_index_links_by_href_local_id_and_uid(any_store: SqlStore) -> None:
    await seed(any_store)
    async with any_store.engine.connect() as conn:
        rows = await conn.execute(
            select(refs.c.rel, refs.c.target).where(refs.c.owner_id == "actuator", refs.c.owner_kind == "systems")
        )
        found = set(rows)
    assert {("procedure", "https://x.org/p/9"), ("procedure", "urn:proc:act"), ("sml:controls", "urn:p:valve")} <= found
