"""Engine creation for SQLite (embedded default) and PostgreSQL, and schema set-up."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from bridge.errors import ConfigError
from bridge.store.sql.tables import SCHEMA_VERSION, meta, metadata


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


async def init_schema(engine: AsyncEngine) -> None:
    """Create missing tables and check the stored schema version."""
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        stored = (await conn.execute(select(meta.c.value).where(meta.c.key == "schema_version"))).scalar()
        if stored is None:
            await conn.execute(insert(meta).values(key="schema_version", value=str(SCHEMA_VERSION)))
        elif int(stored) > SCHEMA_VERSION:
            raise ConfigError(
                f"store schema version {stored} is newer than this csapi-bridge ({SCHEMA_VERSION}); upgrade the bridge"
            )
