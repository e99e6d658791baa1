"""`create_app(settings)`: the FastAPI application of the CSAPI facade."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from bridge import metrics
from bridge.api.auth.access import Access
from bridge.api.auth.cors import install_cors
from bridge.api.auth.exposure import check_exposure
from bridge.api.auth.middleware import AccessControl
from bridge.api.auth.openapi import security_in_openapi
from bridge.api.auth.rules import route_table
from bridge.api.guard import Guard
from bridge.api.head import HeadAsGet
from bridge.api.html.install import html_in_openapi, install_html
from bridge.api.live import router as live_router
from bridge.api.live import stop_live
from bridge.api.media import JSON, OPENAPI
from bridge.api.openapi import complete
from bridge.api.operations import Observe
from bridge.api.operations import router as operations_router
from bridge.api.params import reject_unknown
from bridge.api.responses import error_response, json_response
from bridge.api.routes import (
    audit,
    collections,
    commands,
    control_streams,
    datastreams,
    deployments,
    events,
    feasibility,
    landing,
    observations,
    sampling_features,
    sources,
    systems,
)
from bridge.api.routes.resources import canonical_router
from bridge.commands.base import Forwarder
from bridge.commands.pipeline import CommandPipeline
from bridge.demo import load_demo
from bridge.errors import BridgeError
from bridge.model.kinds import PART1_KINDS
from bridge.settings import Settings
from bridge.store.base import Store
from bridge.store.factory import open_store

log = logging.getLogger("bridge.api")

ROUTERS = [
    landing.router,
    collections.router,
    *(canonical_router(desc) for desc in PART1_KINDS),  # `/{kind}`, `/{kind}/{id}` of every Part 1 kind
    systems.router,  # and the nested paths of some
    deployments.router,
    sampling_features.router,
    datastreams.router,
    observations.router,
    control_streams.router,
    commands.router,
    feasibility.router,
    events.router,
    sources.router,
    audit.router,
    operations_router,  # /health, /ready, /metrics
]


class Service(Protocol):
    """A background task that lives as long as the app (command polling, scheduled harvests)."""

    async def start(self) -> None:
        """Begin working (called once the store is open)."""
        ...

    async def stop(self) -> None:
        """Stop working (called before the store is closed)."""
        ...


ServiceFactory = Callable[[Store, CommandPipeline], Service]


def create_app(
    settings: Settings,
    store: Store | None = None,
    *,
    demo_dir: str | None = None,
    forwarders: Sequence[Forwarder] = (),
    services: Sequence[ServiceFactory] = (),
) -> FastAPI:
    """Build the app; the store is opened at startup from `settings.store` unless one is given.

    Every operation needs the role `bridge.api.auth.rules` gives it (ConfigError here for a route without rule,
    or for anonymous writes on a non-loopback `host` without the insecure opt-in).

    `demo_dir`: a directory with a demo `manifest.yaml` loaded once the app has started.
    `forwarders`: command forwarders (`bridge.commands.registry`); those holding HTTP clients are closed at
    shutdown. `services`: background services started with the app, each built from the open store and the
    command pipeline (`bridge.server` assembles them for `csapi-bridge serve`).
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = store is None
        if own:
            app.state.store = await open_store(settings)
        else:
            app.state.store = store
        app.state.pipeline = CommandPipeline(app.state.store, list(forwarders))
        if demo_dir:
            await load_demo(app, demo_dir)
        running: list[Service] = []
        try:
            for factory in services:
                service = factory(app.state.store, app.state.pipeline)
                await service.start()
                running.append(service)
            yield
        finally:
            await stop_live(app)
            for service in reversed(running):
                await service.stop()
            for forwarder in forwarders:
                close = getattr(forwarder, "aclose", None)
                if close is not None:
                    await close()
            if own:
                await app.state.store.close()

    check_exposure(settings)
    metrics.configure_sources(source.name for source in settings.sources)
    app = FastAPI(
        title=settings.title,
        description=settings.description,
        version="1.0",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        default_response_class=Response,
    )
    app.state.settings = settings
    if store is not None:
        app.state.store = store
        app.state.pipeline = CommandPipeline(store, list(forwarders))
    for router in ROUTERS:
        app.include_router(router, dependencies=[Depends(reject_unknown)])
    app.include_router(live_router)  # WebSocket upgrades: they check their own parameters
    _install_error_handlers(app)
    _install_openapi(app)
    app.add_middleware(AccessControl)  # innermost: a page's own reads through the app are checked too
    install_html(app, settings)  # pages for browsers: inside HeadAsGet, so HEAD of a page is answered too
    app.add_middleware(HeadAsGet)
    app.add_middleware(Guard, url_length=settings.limits.url_length)
    install_cors(app, settings)
    app.add_middleware(Observe)  # outermost: the request id and the latency of everything, refusals included
    app.state.access = Access(settings, route_table(app.routes))
    return app


def _install_openapi(app: FastAPI) -> None:
    """`/api` serves the OpenAPI document (service-desc); `/api.html` (service-doc) is part of the HTML layer."""
    default_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = complete(default_openapi(), app.state.settings.limits)
            html_in_openapi(schema)
            security_in_openapi(schema, app.state.access)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/api", include_in_schema=False)
    async def api_definition() -> Response:
        return json_response(app.openapi(), OPENAPI)


def allowed_methods(app: FastAPI, path: str) -> str:
    """The methods `/api` lists for the path template `path` matches (with HEAD beside GET), for `Allow`."""
    root = app.root_path or ""
    relative = path[len(root) :] if root and path.startswith(root) else path
    for template, operations in app.openapi().get("paths", {}).items():
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), relative):
            methods = [m.upper() for m in operations if m in ("get", "post", "put", "patch", "delete")]
            return ", ".join([*methods, "HEAD"] if "GET" in methods else methods)
    return ""


def _error(
    status: int, code: str, description: str, details: Any = None, headers: dict[str, str] | None = None
) -> Response:
    body: dict[str, Any] = {"code": code, "description": description}
    if details is not None:
        body["details"] = details
    return json_response(body, JSON, status=status, headers=headers)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(BridgeError)
    async def bridge_error(request: Request, exc: BridgeError) -> Response:
        if exc.status >= 500:
            log.warning("%s %s failed: %s", request.method, request.url.path, exc.description)
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(p) for p in first.get("loc", ())]
        where = loc[0] if loc else "request"
        name = loc[-1] if len(loc) > 1 else where
        message = first.get("msg", "invalid value")
        if where == "query":
            return _error(400, "InvalidParameterValue", f"parameter '{name}': {message}", {"parameter": name})
        if where == "path":
            return _error(404, "NotFound", f"invalid path segment '{name}': {message}")
        return _error(400, "InvalidRequest", f"{'.'.join(loc)}: {message}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        codes = {404: "NotFound", 405: "MethodNotAllowed", 406: "NotAcceptable"}
        code = codes.get(exc.status_code, "HTTPError")
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # every method of every route of the path, not only the first route's
            headers["Allow"] = allowed_methods(app, request.url.path) or headers.get("Allow", "")
        return _error(exc.status_code, code, str(exc.detail), headers=headers)
