"""The page tests share one store with every kind of resource (`world.py`), built once per module."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from bridge.api.app import create_app
from bridge.settings import Settings, SourceConfig
from bridge.store.sql.store import SqlStore
from tests.api.html.world import HtmlWorld, build_html_world
from tests.open_access import OPEN

CONFIGURED = SourceConfig(
    name="configured-only", type="sta", url="https://reader:s3cret@sta.example.org/v1.1/?apikey=k3y",
    headers={"Authorization": "Bearer t0ken"}, description="A source configured but never harvested",
)  # fmt: skip


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def html_world() -> AsyncIterator[HtmlWorld]:
    """The app and its data set, read-only for the tests of a module (`loop_scope="module"` tests)."""
    store = await SqlStore.open("sqlite:///:memory:")
    settings = Settings(auth=OPEN, store="sqlite:///:memory:", base_url="http://testserver", sources=[CONFIGURED])
    app = create_app(settings, store)
    yield await build_html_world(app, store)
    await store.close()
