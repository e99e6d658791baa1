"""A fresh SQLite store is created by one DDL script; it must be the schema `create_all` makes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bridge.store.sql.engine import create_engine
from bridge.store.sql.store import SqlStore
from bridge.store.sql.tables import metadata


def _schema(path: Path) -> list[tuple[str, str, str, str]]:
    with sqlite3.connect(path) as con:
        rows = con.execute("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name != 'sqlite_sequence'")
        # the script's statements say IF NOT EXISTS (a process may have created the store first)
        return sorted(
            (kind, name, table, " ".join((sql or "").replace(" IF NOT EXISTS", "").split()))
            for kind, name, table, sql in rows
        )


async def test_fresh_store_script_equals_create_all(tmp_path: Path) -> None:
    store = await SqlStore.open(f"sqlite:///{tmp_path / 'script.db'}")
    await store.close()
    engine = create_engine(f"sqlite:///{tmp_path / 'create_all.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await engine.dispose()
    scripted = _schema(tmp_path / "script.db")
    stamp = [r for r in scripted if r[2] == "alembic_version"]  # the script also stamps the newest revision
    assert [r[0] for r in stamp] == ["index", "table"]
    scripted = [r for r in scripted if r[2] != "alembic_version"]
    assert scripted == _schema(tmp_path / "create_all.db")
    assert len([r for r in scripted if r[0] == "table"]) == len(metadata.tables)


async def test_reopening_an_existing_store_keeps_its_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = await SqlStore.open(url)
    await store.start_run("src")
    await store.close()
    store = await SqlStore.open(url)  # tables exist: create_all adds nothing, the run is still there
    try:
        assert [r.source for r in await store.list_runs()] == ["src"]
    finally:
        await store.close()


async def test_processes_creating_the_same_fresh_store_together_all_succeed(tmp_path: Path) -> None:
    import asyncio

    url = f"sqlite:///{tmp_path / 'together.db'}"
    stores = await asyncio.gather(*(SqlStore.open(url) for _ in range(4)))
    try:
        assert [await s.readiness() for s in stores] == [None] * 4
    finally:
        for store in stores:
            await store.close()
    with sqlite3.connect(tmp_path / "together.db") as con:
        assert con.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)
        assert con.execute("SELECT value FROM bridge_meta WHERE key = 'schema_version'").fetchall() == [("1",)]
