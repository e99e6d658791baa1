"""SQL conditions for the Part 1 filters (id, q, bbox, datetime, associations, recursion).

Association filters resolve their ID_Lists to sets of identifiers first (local ids and UIDs,
plus derived properties and sampling chains as Rec 4/5 recommend) and then become `IN`
conditions, so every filter is one indexed lookup whatever the page depth.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, Table, and_, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from bridge.model.csapi import Kind
from bridge.model.query import FeatureQuery, IdList, TimeFilter
from bridge.model.time import to_us, utcnow
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
    parts = [
        table.c.search.contains(" " + kw.lower().strip(), autoescape=True) for kw in keywords if kw.strip()
    ]
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


async def owners(conn: AsyncConnection, kind: Kind, rel: str, targets: Iterable[str]) -> set[str]:
    """Ids of resources of `kind` with an association `rel` to one of `targets`."""
    values = list(set(targets))
    if not values:
        return set()
    query = select(refs.c.owner_id).where(
        refs.c.owner_kind == kind.value, refs.c.rel == rel, refs.c.target.in_(values)
    )
    return set((await conn.execute(query)).scalars())


async def descendants(
    conn: AsyncConnection, kind: Kind, roots: Iterable[str], include_roots: bool
) -> set[str]:
    """All resources below `roots` in the parent hierarchy (subsystems / subdeployments)."""
    table = FEATURE_TABLES[kind]
    frontier, seen = set(roots), set(roots) if include_roots else set()
    for _ in range(MAX_DEPTH):
        if not frontier:
            break
        children = set(
            (await conn.execute(select(table.c.id).where(table.c.parent_id.in_(frontier)))).scalars()
        )
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
    """The designated properties and every property derived from them, transitively (Rec 4)."""
    table = FEATURE_TABLES[Kind.PROPERTY]
    found = await identifiers(conn, Kind.PROPERTY, ids)
    frontier = set(found)
    for _ in range(MAX_DEPTH):
        if not frontier:
            break
        rows = await conn.execute(select(table.c.id, table.c.uid).where(table.c.base_property.in_(frontier)))
        new = {v for row in rows for v in row} - found
        found |= new
        frontier = new
    return found


async def sampling_features_for_foi(conn: AsyncConnection, foi: IdList) -> set[str]:
    """Ids of sampling features that are, sample, or (via sampleOf chains) derive from the FOIs (Rec 5)."""
    table = FEATURE_TABLES[Kind.SAMPLING_FEATURE]
    targets = await identifiers(conn, Kind.SAMPLING_FEATURE, foi)
    matched = set((await conn.execute(select(table.c.id).where(id_condition(table, foi)))).scalars())
    matched |= await owners(conn, Kind.SAMPLING_FEATURE, "sampledFeature", targets)
    frontier = set(matched)
    for _ in range(MAX_DEPTH):
        if not frontier:
            break
        uids = set((await conn.execute(select(table.c.uid).where(table.c.id.in_(frontier)))).scalars())
        children = await owners(conn, Kind.SAMPLING_FEATURE, "sampleOf", frontier | uids) - matched
        matched |= children
        frontier = children
    return matched


async def systems_for_foi(conn: AsyncConnection, foi: IdList) -> set[str]:
    """Systems (and their ancestors) observing or controlling the FOIs, via their sampling features."""
    sf_ids = await sampling_features_for_foi(conn, foi)
    sf_table = FEATURE_TABLES[Kind.SAMPLING_FEATURE]
    direct: set[str] = set()
    if sf_ids:
        rows = await conn.execute(select(sf_table.c.parent_id).where(sf_table.c.id.in_(sf_ids)))
        direct = {p for p in rows.scalars() if p}
    direct |= await owners(
        conn, Kind.SYSTEM, "foi", sf_ids | await identifiers(conn, Kind.SAMPLING_FEATURE, foi)
    )
    return await with_ancestors(conn, Kind.SYSTEM, direct)


async def systems_for_property(conn: AsyncConnection, rel: str, props: IdList) -> set[str]:
    """Systems (and their ancestors) able to observe/control one of the properties."""
    targets = await derived_properties(conn, props)
    return await with_ancestors(conn, Kind.SYSTEM, await owners(conn, Kind.SYSTEM, rel, targets))


async def deployments_for_systems(conn: AsyncConnection, system_ids: set[str]) -> set[str]:
    """Deployments (and parent deployments) in which one of the systems was deployed."""
    if not system_ids:
        return set()
    uids = set((await conn.execute(select(systems.c.uid).where(systems.c.id.in_(system_ids)))).scalars())
    direct = await owners(conn, Kind.DEPLOYMENT, "deployedSystem", system_ids | uids)
    return await with_ancestors(conn, Kind.DEPLOYMENT, direct)


async def association_conditions(
    conn: AsyncConnection, table: Table, q: FeatureQuery
) -> list[ColumnElement[bool]]:
    """Conditions for the association filters that apply to `q.kind`."""
    conds: list[ColumnElement[bool]] = []
    kind = q.kind
    restrict: list[set[str]] = []
    if q.parent is not None:
        parents = await identifiers(conn, kind, q.parent)
        parent_ids = set(
            (await conn.execute(select(table.c.id).where(id_condition(table, q.parent)))).scalars()
        )
        if q.recursive:
            restrict.append(await descendants(conn, kind, parent_ids, include_roots=False))
        else:
            conds.append(table.c.parent_id.in_(parents))
    if kind is Kind.SYSTEM:
        if q.procedure is not None:
            conds.append(table.c.procedure_ref.in_(await identifiers(conn, Kind.PROCEDURE, q.procedure)))
        if q.foi is not None:
            restrict.append(await systems_for_foi(conn, q.foi))
        if q.observed_property is not None:
            restrict.append(await systems_for_property(conn, "observedProperty", q.observed_property))
        if q.controlled_property is not None:
            restrict.append(await systems_for_property(conn, "controlledProperty", q.controlled_property))
    elif kind is Kind.DEPLOYMENT:
        restrict += await _deployment_sets(conn, q)
    elif kind is Kind.PROCEDURE:
        for rel, ids in (
            ("observedProperty", q.observed_property),
            ("controlledProperty", q.controlled_property),
        ):
            if ids is not None:
                restrict.append(await owners(conn, kind, rel, await derived_properties(conn, ids)))
    elif kind is Kind.SAMPLING_FEATURE:
        if q.foi is not None:
            restrict.append(await sampling_features_for_foi(conn, q.foi))
        for rel, ids in (
            ("observedProperty", q.observed_property),
            ("controlledProperty", q.controlled_property),
        ):
            if ids is not None:
                restrict.append(await owners(conn, kind, rel, await derived_properties(conn, ids)))
    elif kind is Kind.PROPERTY:
        if q.base_property is not None:
            base = await derived_properties(conn, q.base_property)
            conds.append(table.c.base_property.in_(base))
        if q.object_type is not None:
            conds.append(table.c.object_type.in_(q.object_type.values()))
    conds += [table.c.id.in_(ids) for ids in restrict]
    return conds


async def _deployment_sets(conn: AsyncConnection, q: FeatureQuery) -> list[set[str]]:
    sets: list[set[str]] = []
    if q.system is not None:
        ids = set((await conn.execute(select(systems.c.id).where(id_condition(systems, q.system)))).scalars())
        sets.append(await deployments_for_systems(conn, ids))
    if q.foi is not None:
        sets.append(await deployments_for_systems(conn, await systems_for_foi(conn, q.foi)))
    for rel, ids_ in (
        ("observedProperty", q.observed_property),
        ("controlledProperty", q.controlled_property),
    ):
        if ids_ is not None:
            sets.append(await deployments_for_systems(conn, await systems_for_property(conn, rel, ids_)))
    return sets


async def scope_conditions(conn: AsyncConnection, table: Table, q: FeatureQuery) -> list[ColumnElement[bool]]:
    """Conditions for nested endpoints, recursion defaults and collection membership."""
    conds: list[ColumnElement[bool]] = []
    if q.children_of is not None:
        if q.recursive:
            conds.append(
                table.c.id.in_(await descendants(conn, q.kind, {q.children_of}, include_roots=False))
            )
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
        members = select(collection_members.c.item_id).where(
            collection_members.c.collection_id == q.collection
        )
        conds.append(table.c.id.in_(members))
    if q.source is not None:
        conds.append(table.c.source == q.source)
    return conds
