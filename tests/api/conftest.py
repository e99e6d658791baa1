"""Fixtures of the Part 1 API tests: a checking client per test, and one shared read-only data set."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest_asyncio

from bridge.store.sql.store import SqlStore
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
