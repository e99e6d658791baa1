"""What every live WebSocket shares: refusing an upgrade with a JSON error, the close codes, one socket's
sender and receiver run side by side until one of them ends it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from bridge.api.auth import Role, access_of, principal_of
from bridge.api.live.tail import SlowConsumer, Subscription
from bridge.api.responses import error_response
from bridge.errors import BridgeError, InvalidParameter

log = logging.getLogger("bridge.api.live")

NORMAL = 1000
BAD_FRAME = 1007  # a frame the client sent is not valid (nothing of it was stored); the reason names the problem
REFUSED = 1008  # access control: the upgrade, or a frame needing a role the client does not have
TOO_BIG = 1009  # a frame over the body size limit of its format
SERVER_ERROR = 1011
SLOW_CONSUMER = 1013  # the client did not keep up: its buffer overflowed (reconnect and replay from the last time)


class Close(Exception):
    """End the socket with `code` and `reason` (the reason is cut to what a close frame holds)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def close_for(exc: BridgeError) -> Close:
    """The close of a socket whose client frame was refused with `exc` (401/403 → 1008, 413 → 1009, 5xx → 1011)."""
    if exc.status in (401, 403):
        return Close(REFUSED, exc.description)
    if exc.status == 413:
        return Close(TOO_BIG, exc.description)
    return Close(SERVER_ERROR if exc.status >= 500 else BAD_FRAME, exc.description)


def reason_text(reason: str) -> str:
    """A close reason within the 123 bytes of a close frame (cut on a character boundary)."""
    return reason.encode()[:120].decode(errors="ignore")


def check_params(params: Mapping[str, str], allowed: set[str]) -> None:
    """400 for a query parameter the socket does not take."""
    for name in params:
        if name not in allowed:
            raise InvalidParameter(name, f"unknown parameter for this endpoint (allowed: {', '.join(sorted(allowed))})")


async def deny(websocket: WebSocket, exc: BridgeError) -> None:
    """Refuse an upgrade with the JSON error of `exc` (400, 404…) where the server can answer the handshake
    with a response, else close it with 4000 + status."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(error_response(exc))
    else:
        await websocket.close(4000 + exc.status, reason_text(exc.description))


async def authorize(websocket: WebSocket, role: Role) -> None:
    """Close (1008) unless the socket's principal has `role` (what a received frame needs, e.g. `write`)."""
    principal = principal_of(websocket.scope)
    if principal is None:
        raise Close(REFUSED, "no principal was authenticated for this socket")
    try:
        await access_of(websocket.app).authorize(principal, role)
    except BridgeError as exc:
        raise close_for(exc) from None


async def watch_overflow(sub: Subscription[Any]) -> None:
    """Close (1013) once the subscription's buffer overflows, even while the sender is stuck in a send."""
    try:
        await sub.overflow()
    except SlowConsumer as exc:
        raise Close(SLOW_CONSUMER, str(exc)) from None


async def receive_frames(websocket: WebSocket, handle: Callable[[bytes, bool], Awaitable[None]]) -> None:
    """Hand every frame the client sends to `handle(data, binary)` until it disconnects."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", NORMAL))
        data = message.get("bytes")
        if data is not None:
            await handle(data, True)
        else:
            await handle((message.get("text") or "").encode(), False)


async def run(websocket: WebSocket, *parts: Awaitable[Any]) -> None:
    """Run a socket's parts (sender, receiver, watches) until one ends; close with the code it asked for (1011 for
    a crash)."""
    tasks = [asyncio.ensure_future(part) for part in parts]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
    error = next((t.exception() for t in done if not t.cancelled() and t.exception() is not None), None)
    if error is None or isinstance(error, WebSocketDisconnect | OSError):
        return
    if isinstance(error, Close):
        log.info("closing a live socket of %s: %s %s", websocket.url.path, error.code, error.reason)
        await _close(websocket, error.code, error.reason)
        return
    log.error("live socket of %s failed", websocket.url.path, exc_info=error)
    await _close(websocket, SERVER_ERROR, "unexpected server error")


async def _close(websocket: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(Exception):  # the client may be gone already
        await websocket.close(code, reason_text(reason))
