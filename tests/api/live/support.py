"""Support of the live-stream tests: the bridge on uvicorn on a free loopback port (a real WebSocket server) over
an SQLite file or the PostgreSQL test schema, an HTTP client of it, and datastreams to follow."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

from bridge.api.app import create_app
from bridge.auth_config import AuthSettings
from bridge.settings import Settings, WebSocketSettings
from tests.api.part2_support import (
    AIR_TEMP,
    BASE,
    datastream_body,
    new_stream,
    new_system,
    quantity,
)
from tests.loopback import free_port, serve
from tests.open_access import OPEN


@dataclass
class Live:
    """A running bridge: its HTTP client, its WebSocket root and its app."""

    http: httpx.AsyncClient
    ws_root: str
    app: Any

    def socket(self, path: str, **kwargs: Any) -> Any:
        """A WebSocket client connection to `path` (use with `async with`)."""
        return connect(self.ws_root + path, open_timeout=10, **kwargs)


@asynccontextmanager
async def live_bridge(store_url: str, auth: AuthSettings = OPEN, **websocket: Any) -> AsyncIterator[Live]:
    """The bridge on `store_url` served by uvicorn on loopback, in its own thread and event loop (it opens its
    own store: a store belongs to the loop that opened it)."""
    settings = Settings(auth=auth, store=store_url, base_url=BASE, websocket=WebSocketSettings(**websocket))
    app = create_app(settings)
    sock, port = free_port()
    served = await asyncio.to_thread(serve, app, sock, "live-bridge", lifespan="on")
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            yield Live(http, f"ws://127.0.0.1:{port}", app)
    finally:
        await asyncio.to_thread(served.stop)


async def new_datastream(http: httpx.AsyncClient, uid: str = "urn:x-live:sys") -> str:
    """A system with one datastream of air temperatures (JSON schema, all SWE formats too); its id."""
    system_id = await new_system(http, uid)
    return await new_stream(http, system_id, "datastreams", datastream_body("temp", quantity("temp", AIR_TEMP)))


async def frames(ws: ClientConnection, count: int, timeout: float = 10.0) -> list[Any]:
    """The next `count` frames of a socket (fails after `timeout` seconds without one)."""
    out: list[Any] = []
    while len(out) < count:
        out.append(await asyncio.wait_for(ws.recv(), timeout))
    return out


async def quiet(ws: ClientConnection, seconds: float = 0.6) -> list[Any]:
    """Frames arriving within `seconds` (a check that nothing more comes)."""
    out: list[Any] = []
    try:
        while True:
            out.append(await asyncio.wait_for(ws.recv(), seconds))
    except TimeoutError:
        return out


def loads(frames_: list[Any]) -> list[dict[str, Any]]:
    """JSON frames decoded."""
    return [json.loads(f) for f in frames_]
