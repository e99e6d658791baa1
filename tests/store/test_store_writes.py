"""Writes in the SQL store on SQLite and PostgreSQL: idempotent upserts, conflicts, cascade deletes."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bridge.errors import Conflict, InvalidBody, NotFound
from bridge.model.csapi import DeployedSystem, Deployment, Kind, Link, Provenance, SamplingFeature, System, TimeExtent
from bridge.model.query import FeatureQuery, IdList
from bridge.model.time import parse_datetime
from bridge.store.base import Collection, Outcome
from bridge.store.sql.store import SqlStore
from bridge.store.sql.tables import collection_members, refs


def valid() -> TimeExtent:
    return TimeExtent(parse_datetime("2020-01-01T00:00:00Z"), None)


async def count_refs(store: SqlStore, owner: str) -> int:
    async with store.engine.connect() as conn:
        return int(
            (await conn.execute(select(func.count()).select_from(refs).where(refs.c.owner_id == owner))).scalar_one()
        )


async def test_upsert_reports_created_updated_unchanged(any_store: SqlStore) -> None:
    prov = Provenance(source="sos", legacy_type="procedure", legacy_id="p1", run_id="run-1")
    system = System(id="det-1", uid="urn:x:det-1", name="Harvested", observed_properties=["urn:p:a"], provenance=prov)
    repo = any_store.features
    async with any_store.engine.begin() as conn:
        assert await repo.upsert(conn, system) is Outcome.CREATED
    async with any_store.engine.begin() as conn:
        system.provenance = Provenance(source="sos", legacy_type="procedure", legacy_id="p1", run_id="run-2")
        assert await repo.upsert(conn, system) is Outcome.UNCHANGED  # a new run id alone changes nothing
    system.observed_properties = ["urn:p:b"]
    async with any_store.engine.begin() as conn:
        assert await repo.upsert(conn, system) is Outcome.UPDATED
    by_prop = await any_store.list_features(FeatureQuery(kind=Kind.SYSTEM, observed_property=IdList(uids=("urn:p:b",))))
    assert [f.id for f in by_prop.items] == ["det-1"]
    assert (
        await any_store.list_features(FeatureQuery(kind=Kind.SYSTEM, observed_property=IdList(uids=("urn:p:a",))))
    ).items == []
    stored = await any_store.get_feature(Kind.SYSTEM, "det-1")
    assert stored.provenance is not None and stored.provenance.legacy_id == "p1"
    with pytest.raises(RuntimeError):
        async with any_store.engine.begin() as conn:
            await repo.upsert(conn, System(id="det-2", uid="urn:x:det-2", name="Rolled back"))
            raise RuntimeError("the run fails")
    with pytest.raises(NotFound):
        await any_store.get_feature(Kind.SYSTEM, "det-2")


async def test_conflicts_and_storable_values(any_store: SqlStore) -> None:
    a = await any_store.create_feature(System(uid="urn:x:a", name="A"))
    b = await any_store.create_feature(System(uid="urn:x:b", name="B"))
    with pytest.raises(Conflict):
        await any_store.create_feature(System(uid="urn:x:a", name="dup"))
    b.uid = "urn:x:a"
    with pytest.raises(Conflict):
        await any_store.replace_feature(b)
    with pytest.raises(NotFound):
        await any_store.replace_feature(System(id="nosuch", uid="urn:x:n", name="N"))
    for bad in (
        System(uid="urn:x:" + "u" * 1000, name="long"),
        System(uid="urn:x:nul", name="a\x00b"),
        System(uid="urn:x:t", name="T", feature_type="x" * 301),
    ):
        with pytest.raises(InvalidBody):
            await any_store.create_feature(bad)
    assert {f.id for f in (await any_store.list_features(FeatureQuery(kind=Kind.SYSTEM))).items} == {a.id, b.id}


async def _tree(store: SqlStore) -> None:
    for rid, parent in (("root", None), ("child", "root"), ("leaf", "child"), ("other", None)):
        await store.create_feature(System(id=rid, uid=f"urn:x:{rid}", name=rid, parent_id=parent))
    await store.create_feature(
        SamplingFeature(id="sf", uid="urn:x:sf", name="SF", parent_id="leaf", sampled_feature=Link(href="urn:f"))
    )
    deployed = [
        DeployedSystem(system=Link(href="urn:x:leaf")),
        DeployedSystem(system=Link(href="http://api/systems/other")),
    ]
    await store.create_feature(
        Deployment(id="dep", uid="urn:x:dep", name="Dep", valid_time=valid(), deployed_systems=deployed)
    )
    await store.create_feature(Deployment(id="sub", uid="urn:x:sub", name="Sub", valid_time=valid(), parent_id="dep"))
    await store.ensure_collection(Collection("mine", Kind.SYSTEM, "Mine"))
    await store.add_to_collection("mine", Kind.SYSTEM, ["leaf", "other"])


async def test_delete_conflicts_then_cascade(any_store: SqlStore) -> None:
    await _tree(any_store)
    for rid, blocker in (("root", "subsystems"), ("leaf", "sampling features"), ("other", "deployments")):
        with pytest.raises(Conflict) as err:
            await any_store.delete_feature(Kind.SYSTEM, rid, cascade=False)
        assert blocker in err.value.description
    with pytest.raises(Conflict):
        await any_store.delete_feature(Kind.DEPLOYMENT, "dep", cascade=False)
    await any_store.delete_feature(Kind.SYSTEM, "root", cascade=True)
    for kind, rid in (
        (Kind.SYSTEM, "root"),
        (Kind.SYSTEM, "child"),
        (Kind.SYSTEM, "leaf"),
        (Kind.SAMPLING_FEATURE, "sf"),
    ):
        with pytest.raises(NotFound):
            await any_store.get_feature(kind, rid)
    dep = await any_store.get_feature(Kind.DEPLOYMENT, "dep")
    assert isinstance(dep, Deployment)
    assert [d.system.href for d in dep.deployed_systems] == ["http://api/systems/other"]
    assert await count_refs(any_store, "leaf") == 0 and await count_refs(any_store, "sf") == 0
    async with any_store.engine.connect() as conn:
        members = set((await conn.execute(select(collection_members.c.item_id))).scalars())
    assert members == {"other"}
    await any_store.delete_feature(Kind.SYSTEM, "other", cascade=True)
    dep = await any_store.get_feature(Kind.DEPLOYMENT, "dep")
    assert isinstance(dep, Deployment) and dep.deployed_systems == []
    await any_store.delete_feature(Kind.DEPLOYMENT, "dep", cascade=True)
    with pytest.raises(NotFound):
        await any_store.get_feature(Kind.DEPLOYMENT, "sub")
    with pytest.raises(NotFound):
        await any_store.delete_feature(Kind.DEPLOYMENT, "dep", cascade=True)


async def test_collections(any_store: SqlStore) -> None:
    await _tree(any_store)
    with pytest.raises(Conflict):
        await any_store.ensure_collection(Collection("all_systems", Kind.SYSTEM, "Reserved"))
    with pytest.raises(InvalidBody):
        await any_store.add_to_collection("mine", Kind.SYSTEM, ["root", "nosuch"])
    with pytest.raises(NotFound):
        await any_store.remove_from_collection("mine", "root")
    with pytest.raises(NotFound):
        await any_store.get_collection("nosuch")
    mine = await any_store.get_collection("mine")
    assert (mine.kind, mine.builtin) == (Kind.SYSTEM, False)
    assert (await any_store.get_collection("all_properties")).builtin
