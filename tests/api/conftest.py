"""Fixtures of the API tests: a checking client per test, one shared read-only data set (Part 1), and a
Part 2 client on the parametrised store (`p2`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from bridge.store.sql.store import SqlStore
from tests.api.part2_support import open_part2_client
from tests.api.support import open_client
from tests.api.world import World, build_world


@pytest_asyncio.fixture
async def api() -> AsyncIterator[httpx.AsyncClient]:
    """A checking client (see `support.open_client`) on a fresh in-memory store."""
    store = await SqlStore.open("sqlite:///:memory:")
    async with open_client(store) as client:
        yield client
    await store.close()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def world() -> AsyncIterator[World]:
    """The data set of `tests/api/world.py`, read-only, shared by all the tests that use it.

    Modules using it run their tests in the session event loop:
    `pytestmark = pytest.mark.asyncio(loop_scope="session")`.
    """
    store = await SqlStore.open("sqlite:///:memory:")
    async with open_client(store) as client:
        yield await build_world(client, store)
    await store.close()


@pytest_asyncio.fixture
async def p2(store: SqlStore) -> AsyncIterator[httpx.AsyncClient]:
    """A Part 2 client on the test's in-memory SQLite store."""
    async with open_part2_client(store) as client:
        yield client
