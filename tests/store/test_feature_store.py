"""Part 1 store behaviour on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from bridge.errors import Conflict, NotFound
from bridge.model.csapi import Kind, System, TimeExtent
from bridge.model.query import BBox, FeatureQuery, IdList
from bridge.model.time import parse_datetime
from bridge.store.sql.store import SqlStore


async def test_crud_and_filters(any_store: SqlStore) -> None:
    a = await any_store.create_feature(
        System(uid="urn:x:a", name="Alpha station", geometry={"type": "Point", "coordinates": [5, 5]})
    )
    await any_store.create_feature(System(uid="urn:x:b", name="Beta", parent_id=a.id))
    await any_store.create_feature(
        System(
            uid="urn:x:c",
            name="Gamma",
            valid_time=TimeExtent(parse_datetime("2020-01-01T00:00:00Z"), parse_datetime("2020-12-31T00:00:00Z")),
        )
    )
    with pytest.raises(Conflict):
        await any_store.create_feature(System(uid="urn:x:a", name="dup"))
    top = await any_store.list_features(FeatureQuery(kind=Kind.SYSTEM, top_level_only=True))
    assert {f.uid for f in top.items} == {"urn:x:a", "urn:x:c"}
    assert top.matched == 2
    sub = await any_store.list_features(FeatureQuery(kind=Kind.SYSTEM, children_of=a.id))
    assert [f.uid for f in sub.items] == ["urn:x:b"]
    by_kw = await any_store.list_features(FeatureQuery(kind=Kind.SYSTEM, q=("stat",)))
    assert [f.uid for f in by_kw.items] == ["urn:x:a"]
    by_bbox = await any_store.list_features(FeatureQuery(kind=Kind.SYSTEM, bbox=BBox(4, 4, 6, 6)))
    assert [f.uid for f in by_bbox.items] == ["urn:x:a"]
    by_prefix = await any_store.list_features(FeatureQuery(kind=Kind.SYSTEM, ids=IdList(uids=("urn:x:*",))))
    assert by_prefix.matched == 3
    with pytest.raises(Conflict):
        await any_store.delete_feature(Kind.SYSTEM, a.id, cascade=False)
    await any_store.delete_feature(Kind.SYSTEM, a.id, cascade=True)
    with pytest.raises(NotFound):
        await any_store.get_feature(Kind.SYSTEM, a.id)
    remaining = await any_store.list_features(FeatureQuery(kind=Kind.SYSTEM))
    assert [f.uid for f in remaining.items] == ["urn:x:c"]
