"""`HtmlPages`: the ASGI middleware that answers browsers with HTML pages rendered from the JSON routes.

For a GET that wants HTML (see `negotiation`), the request goes on to the routes without `f=html` and with
`Accept: */*` — the route's default JSON representation — and its answer is rendered: a 2xx JSON document as
the page of its route, an error document as an error page with the same status, a redirect passed on. Every
other request passes through untouched, apart from a `Vary: Accept` header on GET answers (the same URL
gives HTML or JSON). Pages carry a Content-Security-Policy that allows nothing but this server (and the base
map's tile server when one is configured), so a page cannot make the browser reach anywhere else.
"""

from __future__ import annotations

import gzip
import logging
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import orjson
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bridge.api.html.negotiation import html_query, wants_html
from bridge.api.html.page import PageRequest, add_param
from bridge.api.html.render import STATIC_PATH, render_api_docs, render_error, render_page
from bridge.api.html.views.registry import build_page
from bridge.settings import Settings

log = logging.getLogger("bridge.api.html")
PASSTHROUGH = ("/api.html",)
ROUTE_KEYS = ("route", "endpoint", "path_params", "router")
KEPT_HEADERS = (b"link", b"www-authenticate", b"x-request-id")  # a page keeps these headers of its JSON answer
GZIP_ABOVE = 1024  # bytes: pages larger than this are compressed for clients that accept gzip


@dataclass(slots=True)
class Captured:
    """A response held back: status, headers and the whole body."""

    status: int = 500
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)

    @property
    def content_type(self) -> str:
        """The media type, without parameters."""
        value = Headers(raw=self.headers).get("content-type", "")
        return value.split(";", 1)[0].strip().lower()

    def json(self) -> Any:
        """The body as JSON (None when it is not)."""
        if not (self.content_type == "application/json" or self.content_type.endswith("+json")):
            return None
        try:
            return orjson.loads(bytes(self.body))
        except orjson.JSONDecodeError:
            return None


async def _nothing() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def capture(app: ASGIApp, scope: Scope, receive: Receive) -> Captured:
    """Run `app` on `scope` and collect its response."""
    out = Captured()

    async def collect(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            out.status = message["status"]
            out.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            out.body += message.get("body", b"")

    await app(scope, receive, collect)
    return out


def _vary(send: Send) -> Send:
    async def with_vary(message: Message) -> None:
        if message["type"] == "http.response.start":
            MutableHeaders(scope=message).add_vary_header("Accept")
        await send(message)

    return with_vary


class HtmlPages:
    """ASGI middleware: HTML pages for browsers, the JSON routes unchanged for every other client."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Render a page for a GET that wants HTML; pass anything else on (GETs with `Vary: Accept`)."""
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        root_path = scope.get("root_path", "")
        local = path[len(root_path) :] if root_path and path.startswith(root_path) else path
        if local.startswith(STATIC_PATH + "/") or local in PASSTHROUGH:
            await self.app(scope, receive, send)
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        if not wants_html(query, Headers(scope=scope).get("accept", "")):
            await self.app(scope, receive, _vary(send))
            return
        if local == "/api":  # the OpenAPI document, for a browser: its interactive view
            root = self.settings.base_url or str(Request(scope).base_url).rstrip("/")
            page = render_api_docs(root, f"{self.settings.title} - API").encode()
            await self._send(send, 200, page, [], html=scope)
            return
        await self._page(scope, receive, send, local)

    def _inner(self, scope: Scope) -> tuple[dict[str, Any], bool]:
        inner = {k: v for k, v in scope.items() if k not in ROUTE_KEYS}
        inner["query_string"], explicit = html_query(scope.get("query_string", b""))
        inner["headers"] = [(k, v) for k, v in scope["headers"] if k != b"accept"] + [(b"accept", b"*/*")]
        return inner, explicit

    async def _page(self, scope: Scope, receive: Receive, send: Send, local: str) -> None:
        inner, explicit = self._inner(scope)
        try:
            answer = await capture(self.app, inner, receive)
        except Exception:  # the JSON app's own handlers did not turn it into an answer
            log.exception("unexpected error on GET %s", local)
            answer = Captured(500, [(b"content-type", b"application/json")])
            answer.body += orjson.dumps({"code": "ServerError", "description": "internal error; see the server log"})
        route = inner.get("route")
        template = getattr(route, "path", None) or local
        req = self._request(inner, template, local, explicit)
        if 300 <= answer.status < 400:
            await self._redirect(answer, explicit, send)
            return
        doc = answer.json()
        if doc is None:
            await self._send(send, answer.status, bytes(answer.body), answer.headers)
            return
        req.doc = doc
        try:
            html = (
                render_page(await build_page(req), req)
                if answer.status < 400
                else render_error(answer.status, doc, req)
            )
            status = answer.status
        except Exception:
            log.exception("could not render the page of GET %s", local)
            status = 500
            html = render_error(500, {"code": "ServerError", "description": "the page could not be rendered"}, req)
        keep = [(k, v) for k, v in answer.headers if k.lower() in KEPT_HEADERS]
        await self._send(send, status, html.encode(), keep, html=scope)

    def _request(self, inner: dict[str, Any], template: str, local: str, explicit: bool) -> PageRequest:
        request = Request(inner)
        root = self.settings.base_url or str(request.base_url).rstrip("/")
        query = parse_qsl(inner["query_string"].decode("latin-1"), keep_blank_values=True)

        async def fetch(href: str) -> Any:
            return await self._fetch(inner, root, href)

        params = {k: str(v) for k, v in (inner.get("path_params") or {}).items()}
        app = inner.get("app")
        state = getattr(app, "state", None)
        return PageRequest(template, params, None, root, local, query, explicit, self.settings, fetch, state)

    async def _fetch(self, scope: dict[str, Any], root: str, href: str) -> Any:
        """GET a related document through the app (as JSON); None unless it answers 200 with JSON."""
        if not href:
            return None
        if href.startswith(root):
            href = href[len(root) :]
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            return None  # not a resource of this server
        sub = {k: v for k, v in scope.items() if k not in ROUTE_KEYS}
        full = scope.get("root_path", "") + unquote(parts.path)
        sub |= {"path": full, "raw_path": full.encode(), "query_string": parts.query.encode(), "method": "GET"}
        sub["headers"] = [(k, v) for k, v in scope["headers"] if k == b"host"] + [(b"accept", b"application/json")]
        answer = await capture(self.app, sub, _nothing)
        return answer.json() if answer.status == 200 else None

    async def _redirect(self, answer: Captured, explicit: bool, send: Send) -> None:
        headers = MutableHeaders(raw=answer.headers)
        if explicit and "location" in headers:
            headers["location"] = add_param(headers["location"], "f", "html")
        await self._send(send, answer.status, bytes(answer.body), headers.raw)

    async def _send(
        self, send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]], html: Scope | None = None
    ) -> None:
        """Send an answer; a page (`html`: the request's scope) with its type, policy, and gzip when accepted."""
        out = MutableHeaders(raw=[(k, v) for k, v in headers if k.lower() != b"content-length"])
        if html is not None:
            out["content-type"] = "text/html; charset=utf-8"
            out["content-security-policy"] = self._policy()
            out.add_vary_header("Accept-Encoding")
            if len(body) > GZIP_ABOVE and "gzip" in Headers(scope=html).get("accept-encoding", ""):
                body = gzip.compress(body, compresslevel=6)
                out["content-encoding"] = "gzip"
        out["content-length"] = str(len(body))
        out.add_vary_header("Accept")
        await send({"type": "http.response.start", "status": status, "headers": out.raw})
        await send({"type": "http.response.body", "body": body})

    def _policy(self) -> str:
        """Nothing but this server; the base map's tile server for images when one is configured."""
        images = "'self' data:"
        if self.settings.html_basemap:
            tiles = urlsplit(self.settings.html_basemap)
            images += f" {tiles.scheme}://{tiles.netloc.replace('{s}', '*')}"
        return (
            f"default-src 'self'; img-src {images}; style-src 'self' 'unsafe-inline'; script-src 'self'; "
            "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'"
        )
