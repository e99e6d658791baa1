"""Schema migrations: a store made by the previous schema (commit 41b52eb, before Alembic) upgrades in place, on
SQLite and PostgreSQL, keeps its data, and ends with exactly the schema `tables.py` describes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine as sync_engine

from bridge.errors import ConfigError
from bridge.model.audit import AuditEntry
from bridge.store.sql import migrations
from bridge.store.sql.engine import async_url
from bridge.store.sql.store import SqlStore
from bridge.store.sql.tables import metadata
from tests.conftest import FIXTURES, PG_URL, require_postgres

OLD = FIXTURES / "store"
OLD_RUN = (
    "INSERT INTO harvest_runs (id, source, started, ended, status, report) "
    "VALUES ('run-old', 'legacy-sta', 1700000000000000, 1700000001000000, 'completed', '{\"observations\": 7}')"
)


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


@pytest.fixture(params=["sqlite", "postgresql"])
def old_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a store created by the previous release's schema, holding one harvest run."""
    if request.param == "sqlite":
        path = tmp_path / "old.db"
        with sqlite3.connect(path) as con:
            con.executescript((OLD / "schema-41b52eb.sqlite.sql").read_text())
            con.execute(OLD_RUN)
        yield f"sqlite:///{path}"
        return
    require_postgres()
    schema = f"m_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_plain(PG_URL), autocommit=True) as con:
        con.execute(f"create schema {schema}")
        con.execute(f"set search_path to {schema}")
        con.execute((OLD / "schema-41b52eb.postgresql.sql").read_text())  # type: ignore[arg-type]
        con.execute(OLD_RUN)  # type: ignore[arg-type]
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with psycopg.connect(_plain(PG_URL), autocommit=True) as con:
        con.execute(f"drop schema {schema} cascade")


def _revision_and_diff(url: str) -> tuple[str | None, list[object]]:
    """The stamped revision, and what differs between the store's schema and `tables.metadata` (Alembic's
    autogenerate comparison: a table, column, index or type a migration forgot)."""
    engine = sync_engine(async_url(url).replace("+aiosqlite", ""))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            return context.get_current_revision(), compare_metadata(context, metadata)
    finally:
        engine.dispose()


def test_the_old_store_has_no_revision_and_lacks_the_audit_log(old_store: str) -> None:
    revision, diff = _revision_and_diff(old_store)
    assert revision is None
    assert any(d[0] == "add_table" and d[1].name == "audit_log" for d in diff)  # type: ignore[index]


async def test_an_old_store_upgrades_in_place_at_start_up(old_store: str) -> None:
    store = await SqlStore.open(old_store)
    try:
        runs = await store.list_runs()
        assert [(r.id, r.source, r.report["observations"]) for r in runs] == [("run-old", "legacy-sta", 7)]
        await store.record_audit(AuditEntry(1, "anonymous", "DELETE /systems/{id}", "/systems/x", "r1", 204,
                                            "success", "delete"))  # fmt: skip
        assert await store.readiness() is None
    finally:
        await store.close()
    revision, diff = _revision_and_diff(old_store)
    assert revision == migrations.head()
    assert diff == []


async def test_without_migrate_on_start_a_store_behind_is_refused_then_migrate_store_upgrades_it(
    old_store: str,
) -> None:
    with pytest.raises(ConfigError, match="migrate-store"):
        await SqlStore.open(old_store, migrate=False)
    done = subprocess.run(
        [sys.executable, "-m", "bridge.cli", "migrate-store", "--store", old_store],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"upgraded the store from schema revision 0001 to {migrations.head()}" in done.stdout
    store = await SqlStore.open(old_store, migrate=False)
    try:
        assert [r.id for r in await store.list_runs()] == ["run-old"]
    finally:
        await store.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_fresh_store_is_stamped_at_the_newest_revision_with_nothing_to_migrate(
    backend: str, tmp_path: Path
) -> None:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
        (await SqlStore.open(url)).engine.sync_engine.dispose()
        revision, diff = _revision_and_diff(url)
    else:
        require_postgres()
        from tests.conftest import _drop_pg, _pg_store

        store = await _pg_store()
        schema = store.test_schema  # type: ignore[attr-defined]
        try:
            sep = "&" if "?" in PG_URL else "?"
            revision, diff = _revision_and_diff(f"{PG_URL}{sep}options=-csearch_path%3D{schema}")
        finally:
            await _drop_pg(store)
    assert revision == migrations.head()
    assert diff == []


async def test_a_store_migrated_by_a_newer_bridge_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    store = await SqlStore.open(url)
    await store.close()
    with sqlite3.connect(tmp_path / "newer.db") as con:
        con.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(ConfigError, match="newer than this csapi-bridge"):
        await SqlStore.open(url)
    with pytest.raises(ConfigError, match="newer than this csapi-bridge"):
        await SqlStore.open(url, migrate=False)


async def test_replicas_starting_together_on_an_old_store_migrate_it_once(old_store: str) -> None:
    """Four processes' worth of stores opened at once: the advisory lock (PostgreSQL) or SQLite's write lock lets
    one migrate; the others find the store at the newest revision (without it, the loser's CREATE TABLE fails)."""
    import asyncio

    stores = await asyncio.gather(*(SqlStore.open(old_store) for _ in range(4)))
    try:
        assert [await s.readiness() for s in stores] == [None] * 4
        assert [r.id for r in await stores[0].list_runs()] == ["run-old"]
    finally:
        for store in stores:
            await store.close()
    assert _revision_and_diff(old_store) == (migrations.head(), [])
