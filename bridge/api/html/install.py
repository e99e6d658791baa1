"""Wiring of the HTML layer into the app: the page middleware, the static files, and `/api.html`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from starlette.responses import HTMLResponse
from starlette.staticfiles import StaticFiles

from bridge.api.html.middleware import HtmlPages
from bridge.api.html.render import STATIC, STATIC_PATH, render_api_docs
from bridge.settings import Settings

HTML_CONFORMANCE = "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/html"


def install_html(app: FastAPI, settings: Settings) -> None:
    """Serve pages to browsers (`HtmlPages`), the package's static files under `/static`, and `/api.html`."""
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC), name="static")

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
