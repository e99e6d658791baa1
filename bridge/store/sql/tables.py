"""SQLAlchemy table definitions; the same schema runs on SQLite and PostgreSQL.

Times are BIGINT microseconds since 1970 UTC (compact, fast, identical on both backends).
Geometries are GeoJSON text plus an indexed envelope (minx..maxy) for the coarse spatial cut;
the exact predicate is evaluated with shapely.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
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

from bridge.model.csapi import Kind
from bridge.model.kinds import PART1_KINDS

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


def _feature_table(name: str, *extra: Column[Any]) -> Table:
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


# One table per Part 1 kind (`bridge.model.kinds`), with the kind's indexed member columns.
FEATURE_TABLES: dict[Kind, Table] = {
    desc.kind: _feature_table(
        desc.table, *(Column(c.name, URI if c.uri else String(40), index=c.index) for c in desc.columns)
    )
    for desc in PART1_KINDS
}
systems = FEATURE_TABLES[Kind.SYSTEM]
sampling_features = FEATURE_TABLES[Kind.SAMPLING_FEATURE]

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


# --------------------------------------------------------------------------------------------
# Part 2: streams, observations, commands, events, history
# --------------------------------------------------------------------------------------------
BigPk = BigInteger().with_variant(Integer, "sqlite")  # SQLite: INTEGER PRIMARY KEY is the rowid


def _stream_table(name: str, *extra: Column[object]) -> Table:
    return Table(
        name,
        metadata,
        Column("pk", Integer, primary_key=True, autoincrement=True),
        Column("id", ID, nullable=False, unique=True),
        Column("system_id", ID, nullable=False, index=True),
        Column("name", Text, nullable=False),
        Column("description", Text),
        Column("valid_start", BigInteger),
        Column("valid_end", BigInteger),
        Column("stream_type", String(20)),
        Column("live", Boolean, nullable=False, default=False),
        Column("schema", Text, nullable=False),
        Column("properties", Text, nullable=False, default="[]"),  # observed/controlled property definitions
        Column("sampling_feature_id", ID),
        Column("search", Text, nullable=False, default=""),
        Column("doc", Text, nullable=False, default="{}"),
        Column("updated", BigInteger, nullable=False),
        *_provenance(),
        *extra,
    )


datastreams = _stream_table(
    "datastreams",
    Column("output_name", Text),
    Column("result_kind", String(8), nullable=False),  # num | int | bool | text | json
    Column("phenomenon_start", BigInteger),
    Column("phenomenon_end", BigInteger),
    Column("result_start", BigInteger),
    Column("result_end", BigInteger),
)

controlstreams = _stream_table(
    "controlstreams",
    Column("input_name", Text),
    Column("is_async", Boolean, nullable=False, default=True),
    Column("issue_start", BigInteger),
    Column("issue_end", BigInteger),
    Column("execution_start", BigInteger),
    Column("execution_end", BigInteger),
)

# One row per observation, result in a typed column chosen by the datastream's result kind.
observations = Table(
    "observations",
    metadata,
    Column("pk", BigPk, primary_key=True, autoincrement=True),
    Column("ds", Integer, nullable=False),  # datastreams.pk (no FK: bulk ingest speed; deletes are explicit)
    Column("phenomenon_time", BigInteger, nullable=False),
    Column("result_time", BigInteger, nullable=False),
    Column("foi", ID),
    Column("num", Float),
    Column("txt", Text),
    Column("extra", Text),  # JSON: parameters, resultQuality, result@link (rare)
    Column("legacy_key", BigInteger),
    Index("ix_obs_phenomenon", "ds", "phenomenon_time", "pk"),
    Index("ix_obs_result", "ds", "result_time", "phenomenon_time", "pk"),
    Index("uq_obs_legacy", "ds", "legacy_key", unique=True),
)

# The answer to each observation POST made with an Idempotency-Key, written in the same transaction as its rows:
# a retry (e.g. after a lost answer) gets this answer back and stores nothing again.
ingest_keys = Table(
    "ingest_keys",
    metadata,
    Column("ds", Integer, nullable=False),  # datastreams.pk
    Column("key", String(200), nullable=False),
    Column("answer", Text, nullable=False),  # JSON: {"ids": [...]} or {"count": n}
    Column("created", BigInteger, nullable=False),
    UniqueConstraint("ds", "key", name="uq_ingest_keys"),
)

# Sampling features seen on a stream's observations/commands (for foi filters and associations).
stream_fois = Table(
    "stream_fois",
    metadata,
    Column("stream_kind", String(20), nullable=False),
    Column("stream_id", ID, nullable=False),
    Column("foi", ID, nullable=False),
    UniqueConstraint("stream_kind", "stream_id", "foi", name="uq_stream_fois"),
)

commands = Table(
    "commands",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("id", ID, nullable=False, unique=True),
    Column("controlstream_id", ID, nullable=False, index=True),
    Column("feasibility", Boolean, nullable=False, default=False),
    Column("issue_time", BigInteger, nullable=False),
    Column("execution_start", BigInteger),
    Column("execution_end", BigInteger),
    Column("sender", Text),
    Column("current_status", String(20), nullable=False, index=True),
    Column("parameters", Text, nullable=False),
    Column("foi", ID),
    Column("idempotency_key", String(200)),
    Column("doc", Text, nullable=False, default="{}"),
    Column("updated", BigInteger, nullable=False),
    *_provenance(),
    Index("ix_commands_issue", "controlstream_id", "issue_time"),
    Index("uq_commands_idempotency", "controlstream_id", "idempotency_key", unique=True),
)

command_status = Table(
    "command_status",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("id", ID, nullable=False, unique=True),
    Column("command_id", ID, nullable=False),
    Column("report_time", BigInteger, nullable=False),
    Column("status_code", String(20), nullable=False),
    Column("percent_completion", Float),
    Column("execution_start", BigInteger),
    Column("execution_end", BigInteger),
    Column("message", Text),
    Column("results", Text),
    Index("ix_status_command", "command_id", "report_time", "pk"),
)

command_results = Table(
    "command_results",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("id", ID, nullable=False, unique=True),
    Column("command_id", ID, nullable=False, index=True),
    Column("doc", Text, nullable=False),
)

system_events = Table(
    "system_events",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("id", ID, nullable=False, unique=True),
    Column("system_id", ID, nullable=False, index=True),
    Column("label", Text, nullable=False),
    Column("definition", URI, nullable=False),
    Column("time_start", BigInteger, nullable=False),
    Column("time_end", BigInteger, nullable=False),
    Column("search", Text, nullable=False, default=""),
    Column("doc", Text, nullable=False, default="{}"),
)

# Every replaced version of a system description (System History, Part 2 draft semantics).
system_history = Table(
    "system_history",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("rev_id", ID, nullable=False, unique=True),
    Column("system_id", ID, nullable=False, index=True),
    Column("valid_start", BigInteger, nullable=False),
    Column("valid_end", BigInteger),
    Column("row", Text, nullable=False),  # the system's row as it was (JSON)
)

# --------------------------------------------------------------------------------------------
# Harvesting: cursors (committed with the observations they cover) and run records
# --------------------------------------------------------------------------------------------
cursors = Table(
    "harvest_cursors",
    metadata,
    Column("source", String(200), primary_key=True),
    Column("stream", String(1000), primary_key=True),
    Column("value", BigInteger, nullable=False),
    Column("updated", BigInteger, nullable=False),
)

runs = Table(
    "harvest_runs",
    metadata,
    Column("pk", Integer, primary_key=True, autoincrement=True),
    Column("id", ID, nullable=False, unique=True),
    Column("source", String(200), nullable=False, index=True),
    Column("started", BigInteger, nullable=False),
    Column("ended", BigInteger),
    Column("status", String(20), nullable=False),  # running | completed | failed | interrupted
    Column("report", Text, nullable=False, default="{}"),
)

# --------------------------------------------------------------------------------------------
# Access control: the audit log (commands, deletes, admin actions; bridge/api/auth)
# --------------------------------------------------------------------------------------------
audit_log = Table(
    "audit_log",
    metadata,
    Column("pk", BigPk, primary_key=True, autoincrement=True),
    Column("time", BigInteger, nullable=False, index=True),
    Column("principal", String(300), nullable=False, index=True),
    Column("action", String(300), nullable=False),
    Column("target", Text, nullable=False),
    Column("request_id", String(128), nullable=False),
    Column("status", Integer, nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("role", String(20), nullable=False),
    Column("resource", Text),
)

# --------------------------------------------------------------------------------------------
# Fleet: leases of the jobs that must run once (scheduled harvest of a source, a command's forwarding
# and polling); see bridge/store/sql/leases.py
# --------------------------------------------------------------------------------------------
leases = Table(
    "leases",
    metadata,
    Column("name", String(300), primary_key=True),  # harvest:<source> | command:<id>
    Column("holder", String(200)),  # the process holding it (host:pid:nonce); NULL once released
    Column("token", BigInteger, nullable=False),  # fencing token: +1 at every acquisition
    Column("expires", BigInteger, nullable=False),  # µs; free once past (a dead holder stops renewing)
    Column("due", BigInteger),  # µs; a scheduled job's next run (NULL: at once)
)

# --------------------------------------------------------------------------------------------
# Live data: the outbox of what was committed, drained to MQTT (bridge/live/publisher.py)
# --------------------------------------------------------------------------------------------
# One row per committed observation batch (its datastream and primary-key range), command, command status and
# resource event, written in the transaction that commits them; a publisher reads rows in pk order.
outbox = Table(
    "live_outbox",
    metadata,
    Column("pk", BigPk, primary_key=True, autoincrement=True),
    Column("kind", String(20), nullable=False),  # observations | command | status | event
    Column("ref", ID, nullable=False),  # datastream id, command id, status id, or resource id
    Column("lo", BigInteger),  # observations: rows of `ref` with lo < pk <= hi
    Column("hi", BigInteger),
    Column("doc", Text),  # event: {"action", "path", "parent"} (the resource may be gone when it is published)
    Column("created", BigInteger, nullable=False),
    sqlite_autoincrement=True,  # keys never reused once published entries are pruned (the position stays valid)
)
