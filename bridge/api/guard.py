"""The last line of defence: an unexpected exception becomes a JSON 500 on a connection that stays usable, and an
over-long request target a 414, before any route runs.

Starlette's own error middleware answers 500 and then re-raises, and the server drops the keep-alive connection
without `Connection: close`, so a client's next request on it fails too. This middleware sits inside it and
answers the 500 itself.
"""

from __future__ import annotations

import logging

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bridge.errors import UriTooLong

log = logging.getLogger("bridge.api")


class Guard:
    """ASGI middleware: 414 for request targets over `url_length`, JSON 500 for unexpected exceptions."""

    def __init__(self, app: ASGIApp, url_length: int) -> None:
        self.app = app
        self.url_length = url_length

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve the request, turning an exception raised before the response started into a 500."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        target = len(scope.get("raw_path") or scope["path"].encode()) + len(scope.get("query_string", b""))
        if target > self.url_length:
            exc = UriTooLong("url_length", self.url_length, f"a request target of {target} bytes")
            await _respond(send, exc.status, exc.to_json())
            return
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        except Exception:
            log.exception("unexpected error on %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise  # the status line is gone: the server can only end the response
            await _respond(send, 500, {"code": "ServerError", "description": "internal error; see the server log"})


async def _respond(send: Send, status: int, body: dict[str, str | dict[str, object]]) -> None:
    data = orjson.dumps(body)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
