"""SQLAlchemy table definitions; the same schema runs on SQLite and PostgreSQL.

Times are BIGINT microseconds since 1970 UTC (compact, fast, identical on both backends).
Geometries are GeoJSON text plus an indexed envelope (minx..maxy) for the coarse spatial cut;
the exact predicate is evaluated with shapely.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

SCHEMA_VERSION = 1

metadata = MetaData()

ID = String(80)
URI = String(1000)


def _provenance() -> list[Column[object]]:
    return [
        Column("source", String(200), index=True),
        Column("legacy_type", String(80)),
        Column("legacy_id", String(1000)),
        Column("via", Text),
        Column("run_id", String(80)),
    ]


def _feature_table(name: str, *extra: Column[object]) -> Table:
    return Table(
        name,
        metadata,
        Column("pk", Integer, primary_key=True, autoincrement=True),
        Column("id", ID, nullable=False, unique=True),
        Column("uid", URI, nullable=False, unique=True),
        Column("name", Text, nullable=False),
        Column("description", Text),
        Column("feature_type", String(300)),
        Column("valid_start", BigInteger),
        Column("valid_end", BigInteger),
        Column("minx", Float),
        Column("miny", Float),
        Column("maxx", Float),
        Column("maxy", Float),
        Column("geometry", Text),
        Column("parent_id", ID, index=True),
        Column("search", Text, nullable=False, default=""),
        Column("doc", Text, nullable=False, default="{}"),
        Column("updated", BigInteger, nullable=False),
        *_provenance(),
        *extra,
        Index(f"ix_{name}_envelope", "minx", "maxx", "miny", "maxy"),
    )


systems = _feature_table(
    "systems", Column("procedure_ref", URI, index=True), Column("asset_type", String(40))
)
deployments = _feature_table("deployments")
procedures = _feature_table("procedures")
sampling_features = _feature_table("sampling_features")
properties = _feature_table(
    "properties", Column("base_property", URI, index=True), Column("object_type", URI, index=True)
)

# Associations used by filters: (owner kind, owner id) --rel--> target (local id or URI).
refs = Table(
    "refs",
    metadata,
    Column("owner_kind", String(20), nullable=False),
    Column("owner_id", ID, nullable=False),
    Column("rel", String(40), nullable=False),
    Column("target", URI, nullable=False),
    UniqueConstraint("owner_kind", "owner_id", "rel", "target", name="uq_refs"),
    Index("ix_refs_target", "owner_kind", "rel", "target"),
)

collections = Table(
    "collections",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("id", ID, nullable=False, unique=True),
    Column("kind", String(40), nullable=False),
    Column("title", Text),
    Column("description", Text),
)

collection_members = Table(
    "collection_members",
    metadata,
    Column("collection_id", ID, ForeignKey("collections.id", ondelete="CASCADE"), nullable=False),
    Column("item_id", ID, nullable=False),
    UniqueConstraint("collection_id", "item_id", name="uq_collection_members"),
)

meta = Table(
    "bridge_meta",
    metadata,
    Column("key", String(80), primary_key=True),
    Column("value", Text, nullable=False),
)

FEATURE_TABLES = {
    "systems": systems,
    "deployments": deployments,
    "procedures": procedures,
    "samplingFeatures": sampling_features,
    "properties": properties,
}
