"""Engine creation for SQLite (embedded default) and PostgreSQL, and schema set-up."""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import event, insert, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool
from sqlalchemy.schema import CreateIndex, CreateTable

from bridge.errors import ConfigError
from bridge.store.sql.tables import SCHEMA_VERSION, meta, metadata

SCHEMA_LOCK = 0x6373_6170_6962_7200  # advisory lock key of schema creation ("csapibr")


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
    """The whole schema as one SQLite script (what `create_all` would send, statement by statement)."""
    dialect = sqlite.dialect()
    statements = []
    for table in metadata.sorted_tables:
        statements.append(str(CreateTable(table).compile(dialect=dialect)).strip())
        statements += [str(CreateIndex(index).compile(dialect=dialect)).strip() for index in table.indexes]
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


async def init_schema(engine: AsyncEngine) -> None:
    """Create missing tables and check the stored schema version.

    On PostgreSQL, processes of a fleet starting together take turns (a transaction-scoped advisory lock): the
    first creates the tables, the others find them.
    """
    async with engine.begin() as conn:
        if not is_sqlite(engine):
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK})
        if not (is_sqlite(engine) and await _create_fresh_sqlite(conn)):
            await conn.run_sync(metadata.create_all)
        stored = (await conn.execute(select(meta.c.value).where(meta.c.key == "schema_version"))).scalar()
        if stored is None:
            await conn.execute(insert(meta).values(key="schema_version", value=str(SCHEMA_VERSION)))
        elif int(stored) > SCHEMA_VERSION:
            raise ConfigError(
                f"store schema version {stored} is newer than this csapi-bridge ({SCHEMA_VERSION}); upgrade the bridge"
            )
