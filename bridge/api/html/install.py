"""Wiring of the HTML layer into the app: the page middleware, the static files, and `/api.html`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from starlette.datastructures import MutableHeaders
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bridge.api.html.middleware import HtmlPages
from bridge.api.html.render import STATIC, STATIC_PATH, render_api_docs
from bridge.settings import Settings

HTML_CONFORMANCE = "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/html"


class CachedAssets:
    """Cache headers of the static files: vendored libraries live in versioned directories (cached for a week),
    the bridge's own scripts and styles are revalidated (ETag) so an upgrade shows at once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve a static file with its cache policy."""
        vendored = scope.get("path", "").split(STATIC_PATH + "/", 1)[-1].startswith("vendor/")

        async def with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                policy = "public, max-age=604800, immutable" if vendored else "no-cache"
                MutableHeaders(scope=message)["cache-control"] = policy
            await send(message)

        await self.app(scope, receive, with_policy)


def install_html(app: FastAPI, settings: Settings) -> None:
    """Serve pages to browsers (`HtmlPages`), the package's static files under `/static`, and `/api.html`."""
    assets = GZipMiddleware(CachedAssets(StaticFiles(directory=STATIC)), minimum_size=1024)
    app.mount(STATIC_PATH, assets, name="static")

    @app.get("/api.html", include_in_schema=False)
    async def api_docs(request: Request) -> HTMLResponse:
        root = settings.base_url or str(request.base_url).rstrip("/")
        return HTMLResponse(render_api_docs(root, f"{app.title} - API"))

    app.add_middleware(HtmlPages, settings=settings)


def html_in_openapi(schema: dict[str, Any]) -> None:
    """Every GET answering 200 also offers `text/html` (the page of the resource)."""
    for path in schema.get("paths", {}).values():
        get = path.get("get")
        if get is None:
            continue
        ok = get.setdefault("responses", {}).setdefault("200", {"description": "Successful Response"})
        ok.setdefault("content", {}).setdefault("text/html", {"schema": {"type": "string"}})
