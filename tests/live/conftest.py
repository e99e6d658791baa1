"""Fixtures of the live transport tests: a real broker, and the app with its MQTT service on a store."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from bridge.api.app import create_app
from bridge.server import mqtt_service
from bridge.settings import Settings
from bridge.store.sql.store import SqlStore
from tests.live.mosquitto import mosquitto  # noqa: F401  (fixture)
from tests.open_access import OPEN

BASE = "http://testserver"


def live_settings(url: str, prefix: str, **mqtt: Any) -> Settings:
    """Settings of an app publishing on `url` under `prefix`."""
    return Settings(
        auth=OPEN,
        store="sqlite:///:memory:",
        base_url=BASE,
        mqtt={"enabled": True, "url": url, "prefix": prefix, **mqtt},
    )


@asynccontextmanager
async def live_app(store: SqlStore, settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """The app with its MQTT service running (lifespan entered), and an HTTP client on it."""
    app = create_app(settings, store, services=[mqtt_service(settings)])
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            yield client, app


Waiter = Callable[[Callable[[], bool]], None]
STUCK_AFTER = 40.0  # seconds; no live test takes this long


@pytest.fixture(autouse=True)
async def _report_stuck_tasks() -> AsyncIterator[None]:
    """A live test still running after STUCK_AFTER seconds prints where each of its tasks is waiting."""

    def dump() -> None:
        for task in asyncio.all_tasks():
            task.print_stack(file=sys.__stderr__)

    handle = asyncio.get_running_loop().call_later(STUCK_AFTER, dump)
    yield
    handle.cancel()
