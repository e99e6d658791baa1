"""Fixtures of the live transport tests: a real broker, and the app with its MQTT service on a store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx

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
