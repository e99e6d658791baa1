"""The CSAPI facade served by uvicorn on a free loopback port in a thread (lifespan on: forwarders, poller).

Tests talk to it with a real HTTP client; its store is an SQLite file so a second app instance (or a
separate process) can be started on the same store.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from bridge.api.app import create_app
from bridge.commands.registry import build_forwarders
from bridge.settings import Settings, SourceConfig


def free_port() -> tuple[socket.socket, int]:
    """A bound loopback socket (handed to uvicorn) and its port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock, sock.getsockname()[1]


def bridge_settings(db: Path, sources: list[SourceConfig], **extra: Any) -> Settings:
    """Settings of a test bridge: file store, fast status polling."""
    values: dict[str, Any] = {"store": f"sqlite:///{db}", "command_poll_interval": 0.1, "sources": sources}
    values.update(extra)
    return Settings(**values)


@dataclass
class BridgeServer:
    """A running facade: `url` is its API root."""

    url: str
    settings: Settings
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_bridge(settings: Settings, *, transport: Any = None) -> BridgeServer:
    """Serve `create_app(settings, forwarders=…, poll=True)` until `stop()`."""
    sock, port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = settings.model_copy(update={"base_url": url})
    app = create_app(settings, forwarders=build_forwarders(settings, transport=transport), poll=True)
    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="bridge-test")
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the bridge did not start")
        time.sleep(0.01)
    return BridgeServer(url, settings, server, thread)


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
