"""Every resource kind's descriptor reaches each place that iterates the descriptors."""

from __future__ import annotations

import dataclasses

import pytest

from bridge.api.app import create_app
from bridge.api.conformance import conformance_classes
from bridge.api.encodings.assoc import FORMATS
from bridge.api.queries import QUERY_DEPENDENCIES
from bridge.mapping.tables import TARGETS
from bridge.model.csapi import Kind
from bridge.model.kinds import FEATURE_KINDS, KINDS, PART1_KINDS, ResourceKind
from bridge.settings import Settings
from bridge.store.sql.filters import ASSOCIATION_FILTERS
from bridge.store.sql.store import BUILTIN_COLLECTIONS
from bridge.store.sql.tables import FEATURE_TABLES


def test_every_kind_has_one_descriptor() -> None:
    assert set(KINDS) == set(Kind)
    assert len({d.table for d in KINDS.values()}) == len(KINDS)
    assert len({d.collection[0] for d in KINDS.values()}) == len(KINDS)


@pytest.mark.parametrize("desc", PART1_KINDS, ids=lambda d: d.path)
def test_part1_kind_is_wired_everywhere(desc: ResourceKind) -> None:
    table = FEATURE_TABLES[desc.kind]
    assert table.name == desc.table
    assert {c.name for c in desc.columns} <= set(table.c.keys())
    model_fields = {f.name for f in dataclasses.fields(desc.model)}
    assert {c.field for c in desc.columns if c.field} <= model_fields
    assert FORMATS[desc.kind] and len(FORMATS[desc.kind]) == len(desc.formats)
    assert set(desc.schemas) <= set(desc.formats)
    assert all(name == "parent" or name in ASSOCIATION_FILTERS for name in desc.filters)
    assert desc.kind in QUERY_DEPENDENCIES and TARGETS[desc.path] is desc.model
    assert any(c.kind is desc.kind and c.builtin for c in BUILTIN_COLLECTIONS)
    assert all(any(url.endswith("/conf/" + name) for url in conformance_classes()) for name in desc.conformance)


def test_routes_follow_the_descriptors() -> None:
    paths = create_app(Settings(store="sqlite:///:memory:")).openapi()["paths"]
    for desc in PART1_KINDS:
        base = f"/{desc.path}"
        assert "get" in paths[base] and "delete" in paths[base + "/{id}"]
        assert ("post" in paths[base]) is desc.creatable


def test_query_parameters_follow_the_descriptors() -> None:
    from fastapi.dependencies.utils import get_dependant

    for desc in PART1_KINDS:
        dependant = get_dependant(path="", call=QUERY_DEPENDENCIES[desc.kind])
        names = {p.alias for p in dependant.query_params}
        assert set(desc.filters) <= names
        assert ("geom" in names) is desc.spatial and ("recursive" in names) is desc.hierarchical


def test_sampling_features_are_created_under_their_system() -> None:
    assert not FEATURE_KINDS[Kind.SAMPLING_FEATURE].creatable
