"""SQL conditions for the Part 1 filters (id, q, bbox, datetime, associations, recursion).

Association filters resolve their ID_Lists to sets of identifiers first (local ids and UIDs,
plus derived properties and sampling chains as Rec 4/5 recommend) and then become `IN`
conditions, so every filter is one indexed lookup whatever the page depth.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from sqlalchemy import ColumnElement, Table, and_, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from bridge.model.csapi import Kind
from bridge.model.kinds import FEATURE_KINDS, PART1_KINDS
from bridge.model.query import FILTER_ATTRIBUTES, FeatureQuery, IdList, TimeFilter
from bridge.model.time import to_us, utcnow
from bridge.store.sql.rows import (
    REL_BASE,
    REL_CONTROLS,
    REL_DEPLOYED,
    REL_FOI,
    REL_OBSERVES,
    REL_PROCEDURE,
    REL_SAMPLE_OF,
    REL_SAMPLED,
)
from bridge.store.sql.tables import FEATURE_TABLES, collection_members, refs, systems

MAX_DEPTH = 32


def id_condition(table: Table, ids: IdList) -> ColumnElement[bool]:
    """`id` parameter: local ids, exact UIDs, or UID prefixes (`urn:x:*`)."""
    parts: list[ColumnElement[bool]] = []
    if ids.local:
        parts.append(table.c.id.in_(ids.local))
    if ids.exact_uids:
        parts.append(table.c.uid.in_(ids.exact_uids))
    parts += [table.c.uid.startswith(prefix, autoescape=True) for prefix in ids.uid_prefixes]
    return or_(*parts) if parts else false()


def keyword_condition(table: Table, keywords: Iterable[str]) -> ColumnElement[bool]:
    """`q`: any keyword matching a word prefix of the name or description (case-insensitive)."""
    parts = [table.c.search.contains(" " + kw.lower().strip(), autoescape=True) for kw in keywords if kw.strip()]
    return or_(*parts) if parts else true()


def time_condition(table: Table, flt: TimeFilter) -> ColumnElement[bool]:
    """`datetime` on validTime: intersecting, or no validTime at all (Req 3B)."""
    conds: list[ColumnElement[bool]] = []
    if flt.end is not None:
        conds.append(table.c.valid_start <= flt.end)
    if flt.start is not None:
        conds.append(func.coalesce(table.c.valid_end, to_us(utcnow())) >= flt.start)
    return or_(table.c.valid_start.is_(None), and_(*conds))


def envelope_condition(table: Table, boxes: list[tuple[float, float, float, float]]) -> ColumnElement[bool]:
    """Coarse spatial cut on the stored envelope (features without geometry never match)."""
    parts = [
        and_(table.c.maxx >= minx, table.c.minx <= maxx, table.c.maxy >= miny, table.c.miny <= maxy)
        for minx, miny, maxx, maxy in boxes
    ]
    return and_(table.c.minx.is_not(None), or_(*parts))


async def identifiers(conn: AsyncConnection, kind: Kind, ids: IdList) -> set[str]:
    """Local ids and UIDs of the stored resources of `kind` that `ids` designates, plus the raw values."""
    table = FEATURE_TABLES[kind]
    found: set[str] = set(ids.local) | set(ids.exact_uids)
    rows = await conn.execute(select(table.c.id, table.c.uid).where(id_condition(table, ids)))
    for rid, uid in rows:
        found.update((rid, uid))
    return found


async def owners(conn: AsyncConnection, kind: Kind, rel: str | tuple[str, ...], targets: Iterable[str]) -> set[str]:
    """Ids of resources of `kind` with an association `rel` (or one of several rels) to one of `targets`."""
    values = list(set(targets))
    if not values:
        return set()
    rels = (rel,) if isinstance(rel, str) else rel
    query = select(refs.c.owner_id).where(
        refs.c.owner_kind == kind.value, refs.c.rel.in_(rels), refs.c.target.in_(values)
    )
    return set((await conn.execute(query)).scalars())


async def descendants(conn: AsyncConnection, kind: Kind, roots: Iterable[str], include_roots: bool) -> set[str]:
    """All resources below `roots` in the parent hierarchy (subsystems / subdeployments)."""
    table = FEATURE_TABLES[kind]
    frontier, seen = set(roots), set(roots) if include_roots else set()
    for _ in range(MAX_DEPTH):
        if not frontier:
            break
        children = set((await conn.execute(select(table.c.id).where(table.c.parent_id.in_(frontier)))).scalars())
        frontier = children - seen
        seen |= children
    return seen


async def with_ancestors(conn: AsyncConnection, kind: Kind, ids: set[str]) -> set[str]:
    """`ids` plus all their parents up to the top level (a parent matches if a child does)."""
    table = FEATURE_TABLES[kind]
    result, frontier = set(ids), set(ids)
    for _ in range(MAX_DEPTH):
        if not frontier:
            break
        rows = await conn.execute(select(table.c.parent_id).where(table.c.id.in_(frontier)))
        parents = {p for p in rows.scalars() if p}
        frontier = parents - result
        result |= parents
    return result


async def derived_properties(conn: AsyncConnection, ids: IdList) -> set[str]:
    """Ids/UIDs of the designated properties and of every property derived from them, transitively (Rec 4)."""
    table = FEATURE_TABLES[Kind.PROPERTY]
    found = await identifiers(conn, Kind.PROPERTY, ids)
    frontier = set(found)
    for _ in range(MAX_DEPTH):
        derived = await owners(conn, Kind.PROPERTY, REL_BASE, frontier)
        rows = await conn.execute(select(table.c.id, table.c.uid).where(table.c.id.in_(derived)))
        frontier = {v for row in rows for v in row} - found
        if not frontier:
            break
        found |= frontier
    return found


async def sampling_features_for_foi(conn: AsyncConnection, foi: IdList) -> set[str]:
    """Ids of sampling features that are, sample, or (via sampleOf chains) derive from the FOIs (Rec 5)."""
    table = FEATURE_TABLES[Kind.SAMPLING_FEATURE]
    targets = await identifiers(conn, Kind.SAMPLING_FEATURE, foi)
    matched = set((await conn.execute(select(table.c.id).where(id_condition(table, foi)))).scalars())
    matched |= await owners(conn, Kind.SAMPLING_FEATURE, REL_SAMPLED, targets)
    frontier = set(matched)
    for _ in range(MAX_DEPTH):
        if not frontier:
            break
        uids = set((await conn.execute(select(table.c.uid).where(table.c.id.in_(frontier)))).scalars())
        rels = (REL_SAMPLE_OF, REL_SAMPLED)
        children = await owners(conn, Kind.SAMPLING_FEATURE, rels, frontier | uids) - matched
        matched |= children
        frontier = children
    return matched


async def systems_for_foi(conn: AsyncConnection, foi: IdList) -> set[str]:
    """Systems (and their ancestors) observing or controlling the FOIs: through their sampling
    features, the FOIs of their streams (Part 2) and their SensorML `featuresOfInterest` (Req 44)."""
    sf_ids = await sampling_features_for_foi(conn, foi)
    sf_table = FEATURE_TABLES[Kind.SAMPLING_FEATURE]
    direct: set[str] = set()
    if sf_ids:
        rows = await conn.execute(select(sf_table.c.parent_id).where(sf_table.c.id.in_(sf_ids)))
        direct = {p for p in rows.scalars() if p}
    sf_uids = set((await conn.execute(select(sf_table.c.uid).where(sf_table.c.id.in_(sf_ids)))).scalars())
    targets = sf_ids | sf_uids | await identifiers(conn, Kind.SAMPLING_FEATURE, foi)
    direct |= await owners(conn, Kind.SYSTEM, ("foi", REL_FOI), targets)
    return await with_ancestors(conn, Kind.SYSTEM, direct)


PROPERTY_RELS = {
    "observedProperty": ("observedProperty", REL_OBSERVES),
    "controlledProperty": ("controlledProperty", REL_CONTROLS),
}


async def systems_for_property(conn: AsyncConnection, rel: str, props: IdList) -> set[str]:
    """Systems (and their ancestors) able to observe/control one of the properties, from their
    SensorML description or their streams."""
    targets = await derived_properties(conn, props)
    return await with_ancestors(conn, Kind.SYSTEM, await owners(conn, Kind.SYSTEM, PROPERTY_RELS[rel], targets))


async def deployments_for_systems(conn: AsyncConnection, system_ids: set[str]) -> set[str]:
    """Deployments (and parent deployments) in which one of the systems was deployed."""
    if not system_ids:
        return set()
    uids = set((await conn.execute(select(systems.c.uid).where(systems.c.id.in_(system_ids)))).scalars())
    direct = await owners(conn, Kind.DEPLOYMENT, REL_DEPLOYED, system_ids | uids)
    return await with_ancestors(conn, Kind.DEPLOYMENT, direct)


async def _by_procedure(conn: AsyncConnection, kind: Kind, ids: IdList) -> set[str]:
    """Systems implementing one of the procedures."""
    return await owners(conn, Kind.SYSTEM, REL_PROCEDURE, await identifiers(conn, Kind.PROCEDURE, ids))


async def _by_system(conn: AsyncConnection, kind: Kind, ids: IdList) -> set[str]:
    """Deployments in which one of the systems was deployed."""
    found = set((await conn.execute(select(systems.c.id).where(id_condition(systems, ids)))).scalars())
    return await deployments_for_systems(conn, found)


async def _by_foi(conn: AsyncConnection, kind: Kind, ids: IdList) -> set[str]:
    """Resources observing (or sampling) the features of interest."""
    if kind is Kind.SAMPLING_FEATURE:
        return await sampling_features_for_foi(conn, ids)
    observing = await systems_for_foi(conn, ids)
    return observing if kind is Kind.SYSTEM else await deployments_for_systems(conn, observing)


def _by_property(rel: str) -> AssociationFilter:
    """Resources able to observe / control the properties (derived ones included); sampling features
    through the streams that sample them (A.60/A.61)."""

    async def matching(conn: AsyncConnection, kind: Kind, ids: IdList) -> set[str]:
        if kind is Kind.SYSTEM:
            return await systems_for_property(conn, rel, ids)
        if kind is Kind.DEPLOYMENT:
            return await deployments_for_systems(conn, await systems_for_property(conn, rel, ids))
        own_rel = PROPERTY_RELS[rel][1] if kind is Kind.PROCEDURE else rel
        return await owners(conn, kind, own_rel, await derived_properties(conn, ids))

    return matching


async def _by_base_property(conn: AsyncConnection, kind: Kind, ids: IdList) -> set[str]:
    """Properties derived (transitively) from the given ones."""
    return await owners(conn, Kind.PROPERTY, REL_BASE, await derived_properties(conn, ids))


async def _by_object_type(conn: AsyncConnection, kind: Kind, ids: IdList) -> set[str]:
    """Properties with one of the exact objectType URIs."""
    table = FEATURE_TABLES[Kind.PROPERTY]
    return set((await conn.execute(select(table.c.id).where(table.c.object_type.in_(ids.values())))).scalars())


AssociationFilter = Callable[[AsyncConnection, Kind, IdList], Awaitable[set[str]]]
# The SQL of each association filter a kind's descriptor lists (`parent` is the hierarchy, handled below).
ASSOCIATION_FILTERS: dict[str, AssociationFilter] = {
    "procedure": _by_procedure,
    "system": _by_system,
    "foi": _by_foi,
    "observedProperty": _by_property("observedProperty"),
    "controlledProperty": _by_property("controlledProperty"),
    "baseProperty": _by_base_property,
    "objectType": _by_object_type,
}
_UNKNOWN = {f for desc in PART1_KINDS for f in desc.filters} - set(ASSOCIATION_FILTERS) - {"parent"}
if _UNKNOWN:
    raise RuntimeError(f"association filters without SQL: {sorted(_UNKNOWN)}")


async def association_conditions(conn: AsyncConnection, table: Table, q: FeatureQuery) -> list[ColumnElement[bool]]:
    """Conditions for the association filters that apply to `q.kind` (each one an `id IN (...)`)."""
    conds: list[ColumnElement[bool]] = []
    restrict: list[set[str]] = []
    if q.parent is not None:
        parent_ids = set((await conn.execute(select(table.c.id).where(id_condition(table, q.parent)))).scalars())
        if q.recursive:
            restrict.append(await descendants(conn, q.kind, parent_ids, include_roots=False))
        else:
            conds.append(table.c.parent_id.in_(parent_ids))
    for name in FEATURE_KINDS[q.kind].filters:
        ids = getattr(q, FILTER_ATTRIBUTES[name])
        if name != "parent" and ids is not None:
            restrict.append(await ASSOCIATION_FILTERS[name](conn, q.kind, ids))
    conds += [table.c.id.in_(ids) for ids in restrict]
    return conds


async def scope_conditions(conn: AsyncConnection, table: Table, q: FeatureQuery) -> list[ColumnElement[bool]]:
    """Conditions for nested endpoints, recursion defaults and collection membership."""
    conds: list[ColumnElement[bool]] = []
    if q.children_of is not None:
        if q.recursive:
            conds.append(table.c.id.in_(await descendants(conn, q.kind, {q.children_of}, include_roots=False)))
        else:
            conds.append(table.c.parent_id == q.children_of)
    elif q.top_level_only and not q.recursive and q.parent is None and q.ids is None:
        conds.append(table.c.parent_id.is_(None))
    if q.of_system is not None:
        family = await descendants(conn, Kind.SYSTEM, {q.of_system}, include_roots=True)
        if q.kind is Kind.SAMPLING_FEATURE:
            conds.append(table.c.parent_id.in_(family))
        elif q.kind is Kind.DEPLOYMENT:
            conds.append(table.c.id.in_(await deployments_for_systems(conn, {q.of_system})))
    if q.collection is not None:
        members = select(collection_members.c.item_id).where(collection_members.c.collection_id == q.collection)
        conds.append(table.c.id.in_(members))
    if q.source is not None:
        conds.append(table.c.source == q.source)
    return conds
