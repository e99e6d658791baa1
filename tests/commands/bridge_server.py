"""The CSAPI facade served by uvicorn on a free loopback port in a thread (lifespan on: forwarders, poller).

Tests talk to it with a real HTTP client; its store is an SQLite file so a second app instance (or a
separate process) can be started on the same store.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bridge.server import build_app
from bridge.settings import Settings, SourceConfig
from tests.loopback import Served, free_port, serve
from tests.open_access import OPEN


def bridge_settings(db: Path, sources: list[SourceConfig], **extra: Any) -> Settings:
    """Settings of a test bridge: file store, fast status polling."""
    values: dict[str, Any] = {
        "auth": OPEN,
        "store": f"sqlite:///{db}",
        "command_poll_interval": 0.1,
        "sources": sources,
    }
    values.update(extra)
    return Settings(**values)


@dataclass
class BridgeServer:
    """A running facade: `url` is its API root."""

    url: str
    settings: Settings
    served: Served

    def stop(self) -> None:
        self.served.stop()


def start_bridge(settings: Settings, *, transport: Any = None) -> BridgeServer:
    """Serve the app of `csapi-bridge serve` (forwarders, command polling) until `stop()`."""
    sock, port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = settings.model_copy(update={"base_url": url})
    app = build_app(settings, transport=transport)
    return BridgeServer(url, settings, serve(app, sock, "bridge-test", lifespan="on", log_level="warning"))


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 8.0, step: float = 0.05) -> Any:
    """Await `check()` until it returns something truthy (the poller works in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s (last value {value!r})")
        await asyncio.sleep(step)
