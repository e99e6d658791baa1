"""The SQLite driver's worker thread: closing a connection whose thread was already stopped returns at once
(aiosqlite 0.22 alone waits forever, which hung event-loop shutdowns; see `engine._guard_aiosqlite_stop`)."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import aiosqlite

import bridge.store.sql.engine  # noqa: F401  (installs the guard)


async def test_close_after_stop_does_not_wait_forever(tmp_path: Path) -> None:
    conn = await aiosqlite.connect(tmp_path / "x.db")
    await conn.execute("CREATE TABLE t (x)")
    conn.stop()  # e.g. SQLAlchemy terminating an invalidated connection ...
    with contextlib.suppress(ValueError):  # ... then closing it: "Connection closed", at once
        await asyncio.wait_for(conn.close(), 5)  # (unguarded: a second stop request no thread will answer)
    await asyncio.sleep(0.1)
    assert not conn._thread.is_alive()


async def test_a_normal_close_still_waits_for_the_thread(tmp_path: Path) -> None:
    conn = await aiosqlite.connect(tmp_path / "x.db")
    await conn.execute("CREATE TABLE t (x)")
    await asyncio.wait_for(conn.close(), 5)
    assert not conn._thread.is_alive()
