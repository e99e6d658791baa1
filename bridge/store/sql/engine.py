"""Engine creation for SQLite (embedded default) and PostgreSQL, and schema set-up."""

from __future__ import annotations

import asyncio
import logging
from functools import cache
from typing import Any

import aiosqlite
from sqlalchemy import Connection, event, insert, select
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool
from sqlalchemy.schema import CreateIndex, CreateTable

from bridge.errors import ConfigError
from bridge.store.sql import migrations
from bridge.store.sql.tables import SCHEMA_VERSION, meta, metadata

log = logging.getLogger("bridge.store")


def _guard_aiosqlite_stop() -> None:
    """aiosqlite 0.22: a second `stop()` (a `close()` after the connection was stopped — by its finaliser, or by
    SQLAlchemy terminating an invalidated connection whose graceful close was cancelled) queues a request behind
    the first one, which ends the worker thread: its future is never set and whatever awaits it — the event
    loop's shutdown cancelling that close — waits forever. A stop already requested has nothing more to wait for.
    """
    original = aiosqlite.Connection.stop
    if getattr(original, "guarded", False):
        return

    def stop(self: aiosqlite.Connection) -> asyncio.Future[Any] | None:
        if getattr(self, "_stop_requested", False) or (self._thread.ident and not self._thread.is_alive()):
            self._running = False
            return None
        self._stop_requested = True  # type: ignore[attr-defined]
        return original(self)

    stop.guarded = True  # type: ignore[attr-defined]
    aiosqlite.Connection.stop = stop  # type: ignore[method-assign]


_guard_aiosqlite_stop()


def async_url(url: str) -> str:
    """Map a user-facing SQLAlchemy URL to its async driver (`sqlite` → aiosqlite, `postgresql` → psycopg)."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError and ValueError subclasses
        raise ConfigError(f"invalid store URL '{url}': {exc}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return str(parsed.set(drivername="sqlite+aiosqlite"))
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    raise ConfigError(f"unsupported store backend '{backend}' (use sqlite:/// or postgresql+psycopg://)")


def is_sqlite(engine: AsyncEngine) -> bool:
    """Whether the engine runs on SQLite (the embedded default) rather than PostgreSQL."""
    return engine.dialect.name == "sqlite"


def create_engine(url: str) -> AsyncEngine:
    """An AsyncEngine with the pragmas/pool settings the store relies on."""
    target = async_url(url)
    kwargs: dict[str, Any] = {}
    memory = target.startswith("sqlite") and (":memory:" in target or target.rstrip("/").endswith("sqlite+aiosqlite:"))
    if memory:
        kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
    elif target.startswith("sqlite"):
        kwargs.update(connect_args={"timeout": 30})
    else:
        kwargs.update(pool_size=10, max_overflow=10, pool_pre_ping=True)
    engine = create_async_engine(target, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA cache_size=-65536")
            cursor.execute("PRAGMA temp_store=MEMORY")
            cursor.close()

    return engine


@cache
def _sqlite_ddl() -> str:
    """The whole schema as one SQLite script (what `create_all` would send, statement by statement), stamped at the
    newest revision, in one write transaction; every statement tolerates a process that created the store first."""
    dialect = sqlite.dialect()
    statements = ["BEGIN IMMEDIATE"]
    for table in metadata.sorted_tables:
        statements.append(str(CreateTable(table, if_not_exists=True).compile(dialect=dialect)).strip())
        statements += [
            str(CreateIndex(index, if_not_exists=True).compile(dialect=dialect)).strip() for index in table.indexes
        ]
    statements.append(  # what `migrations.stamp_head` writes
        "CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL, "
        "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
    )
    statements.append(f"INSERT OR IGNORE INTO alembic_version (version_num) VALUES ('{migrations.head()}')")
    statements.append(f"INSERT OR IGNORE INTO bridge_meta (key, value) VALUES ('schema_version', '{SCHEMA_VERSION}')")
    statements.append("COMMIT")
    return ";\n".join(statements) + ";"


async def _create_fresh_sqlite(conn: AsyncConnection) -> bool:
    """Create every table of an empty SQLite database in one script (one round trip to the driver thread
    instead of one per table and index: opening a fresh store, e.g. in memory, is 5x faster). False when
    the database already holds tables: then `create_all` adds what is missing."""
    count = (await conn.exec_driver_sql("SELECT count(*) FROM sqlite_master WHERE type = 'table'")).scalar()
    if count:
        return False
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection
    await driver.executescript(_sqlite_ddl())
    return True


# Taken (per transaction) while a PostgreSQL store is created or migrated: replicas starting together wait
# for the first one instead of racing it.
SCHEMA_LOCK = 0x63_73_61_70_69  # "csapi"


async def init_schema(engine: AsyncEngine, *, migrate: bool = True) -> None:
    """Create a fresh store at the newest schema, or bring an existing one up to it.

    `migrate=False` refuses (ConfigError) a store whose schema is behind instead of upgrading it: the operator
    runs `csapi-bridge migrate-store` once, e.g. before rolling out new replicas.
    """
    async with engine.begin() as conn:
        await _lock_schema(conn)
        if not (is_sqlite(engine) and await _create_fresh_sqlite(conn)):
            await conn.run_sync(_create_or_upgrade, migrate)
        stored = (await conn.execute(select(meta.c.value).where(meta.c.key == "schema_version"))).scalar()
        if stored is None:
            await conn.execute(insert(meta).values(key="schema_version", value=str(SCHEMA_VERSION)))
        elif int(stored) > SCHEMA_VERSION:
            raise ConfigError(
                f"store schema version {stored} is newer than this csapi-bridge ({SCHEMA_VERSION}); upgrade the bridge"
            )


async def _lock_schema(conn: AsyncConnection) -> None:
    """Serialise schema set-up between processes: PostgreSQL's advisory lock, or SQLite's write lock taken before
    the schema is even read (a fresh SQLite store's script commits this and takes the lock again itself)."""
    if conn.dialect.name == "sqlite":
        await conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        await conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({SCHEMA_LOCK})")


def _create_or_upgrade(conn: Connection, migrate: bool) -> None:
    state = migrations.schema_state(conn)
    migrations.check_known(state)
    if state.empty:
        metadata.create_all(conn)
        migrations.stamp_head(conn)
    elif not state.up_to_date:
        if not migrate:
            raise ConfigError(
                f"store schema is at revision {state.current}, this csapi-bridge needs {state.head}: "
                "run `csapi-bridge migrate-store` (or set migrate_on_start = true)"
            )
        applied = migrations.upgrade(conn)
        log.info("store schema upgraded: %s", " → ".join([str(state.current), *applied]))


async def migrate_store(engine: AsyncEngine) -> tuple[str | None, str, list[str]]:
    """`csapi-bridge migrate-store`: create or upgrade the schema; (revision before, revision after, applied)."""
    async with engine.begin() as conn:
        await _lock_schema(conn)
        before = await conn.run_sync(migrations.schema_state)
        applied = [] if before.empty else await conn.run_sync(migrations.upgrade)
    await init_schema(engine)  # an empty store is created; the version row is written
    return before.current, before.head, applied


async def schema_state(engine: AsyncEngine) -> migrations.SchemaState:
    """The store's revision beside the newest known (`/ready`: reachable and migrated)."""
    async with engine.connect() as conn:
        return await conn.run_sync(migrations.schema_state)
