"""Operating the facade: `/health` (the process answers), `/ready` (its store answers and runs the newest schema)
and `/metrics` (Prometheus text format), plus `Observe`, the middleware timing each request by route template.

`/health` and `/ready` are public. `/metrics` follows `settings.metrics`: `loopback` (default) lets clients on
the same host read it without credential and asks others for the `admin` role; `public` lets anyone read it;
`admin` always needs the role. Its figures carry no credential and no legacy text (see `bridge.metrics`).
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Sequence
from typing import Protocol

from fastapi import APIRouter, Request
from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bridge import logs, metrics
from bridge.api.auth.middleware import request_id_of
from bridge.api.auth.principal import SCOPE_KEY
from bridge.api.media import JSON
from bridge.api.responses import json_response
from bridge.auth_config import Role
from bridge.model.harvest import SourceHealth

router = APIRouter()
PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8"


class OperatedStore(Protocol):
    """What `/ready` and `/metrics` ask of the store."""

    async def readiness(self) -> str | None:
        """None when the store answers and runs the newest schema, else what is wrong."""
        ...

    async def source_health(self, sources: Sequence[str]) -> list[SourceHealth]:
        """The newest stored phenomenon time and last finished run of each named source."""
        ...


@router.get("/health", include_in_schema=False)
async def health() -> Response:
    """The process is up and answering (no dependency is checked: a load balancer's liveness probe)."""
    return json_response({"status": "up"}, JSON, headers={"Cache-Control": "no-store"})


@router.get("/ready", include_in_schema=False)
async def ready(request: Request) -> Response:
    """503 until the store answers and runs the schema of this version (a readiness probe)."""
    store = getattr(request.app.state, "store", None)
    check = getattr(store, "readiness", None)
    problem = "the store is not open yet" if check is None else await check()
    if problem is not None:
        body = {"status": "unavailable", "code": "NotReady", "description": problem}
        return json_response(body, JSON, status=503, headers={"Cache-Control": "no-store", "Retry-After": "5"})
    return json_response({"status": "ready"}, JSON, headers={"Cache-Control": "no-store"})


@router.get("/metrics", include_in_schema=False)
async def prometheus_metrics(request: Request) -> Response:
    """Prometheus text exposition: this process's metrics, then the per-source figures read from the store."""
    await _check_metrics_access(request)
    settings = request.app.state.settings
    store = getattr(request.app.state, "store", None)
    families = []
    read = getattr(store, "source_health", None)
    if read is not None:
        families = metrics.store_families(await read([s.name for s in settings.sources]))
    return Response(metrics.exposition(families), media_type=PROMETHEUS, headers={"Cache-Control": "no-store"})


async def _check_metrics_access(request: Request) -> None:
    mode = request.app.state.settings.metrics
    if mode == "public" or (mode == "loopback" and _is_loopback(request.client.host if request.client else "")):
        return
    await request.app.state.access.authorize(request.scope[SCOPE_KEY], Role.ADMIN)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Observe:
    """ASGI middleware (outermost): one request id per request, set for logs and passed on to access control
    (which echoes it as `X-Request-ID`), and the latency histogram by method, route template and status class."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Time the request and label it with the route template its path matches (`other` when none)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        rid = request_id_of(headers)
        if headers.get("x-request-id") != rid:  # decided once, here: access control and the audit log reuse it
            scope["headers"] = [
                *(h for h in scope["headers"] if h[0] != b"x-request-id"),
                (b"x-request-id", rid.encode()),
            ]
        token = logs.request_id.set(rid)
        status = {"code": 500}
        started = time.perf_counter()

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            logs.request_id.reset(token)
            method = scope["method"] if scope["method"] in _METHODS else metrics.OTHER
            metrics.http_latency.labels(method, _route(scope), f"{status['code'] // 100}xx").observe(
                time.perf_counter() - started
            )


_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _route(scope: Scope) -> str:
    """The path template of the request's route (bounded label values), from the access rules of the app."""
    app = scope.get("app")
    access = getattr(getattr(app, "state", None), "access", None)
    if access is None:
        return metrics.OTHER
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    local = path[len(root) :] if root and path.startswith(root) else path
    method = "GET" if scope["method"] == "HEAD" else scope["method"]
    found = access.table.match(method, local)
    if found is not None:
        return str(found.rule.template)
    if access.table.is_open(local):
        return "/" + local.strip("/").split("/", 1)[0] + "/…"
    return metrics.OTHER
