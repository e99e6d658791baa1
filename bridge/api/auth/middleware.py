"""`AccessControl`: the ASGI middleware in front of the routes that applies `Access` to every request.

It sits inside the HTML layer, so a page and each document the page reads through the app are checked like
any request (the page's reads run as the page's principal, left in the scope under `SCOPE_KEY`). Each answer
carries an `X-Request-ID` (the client's, when it sent a sane one); commands, deletes and admin actions are
written to the audit log with the principal, time, target, request id and outcome — refusals included.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bridge.api.auth.access import Access, Decision
from bridge.api.auth.principal import SCOPE_KEY, Principal
from bridge.api.auth.rules import AUDITED, WEBSOCKET
from bridge.api.responses import error_response
from bridge.errors import BridgeError
from bridge.model.audit import AuditEntry, outcome_of
from bridge.model.time import to_us, utcnow

log = logging.getLogger("bridge.api.auth")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
POLICY_VIOLATION = 1008  # WebSocket close code


def request_id_of(headers: Headers) -> str:
    """The client's `X-Request-ID` when it is a sane token, else a new one."""
    given = headers.get("x-request-id", "")
    return given if REQUEST_ID.match(given) else uuid.uuid4().hex


class AccessControl:
    """ASGI middleware: the access decision, then the route, then the audit entry."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a refused request with its error (or close a refused WebSocket); pass the others on."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        request_id = request_id_of(headers)
        method = scope["method"] if scope["type"] == "http" else WEBSOCKET
        known: Principal | None = scope.get(SCOPE_KEY)
        store = getattr(getattr(scope.get("app"), "state", None), "store", None)
        started = to_us(utcnow())
        access: Access = scope["app"].state.access
        decision = await access.decide(method, _local(scope), headers, store, known)
        if decision.match is None and _routed(scope):  # a route added after the app was built: learn its rule
            access.refresh(scope["app"].routes)
            decision = await access.decide(method, _local(scope), headers, store, known)
        if decision.match is None:
            await self.app(scope, receive, _with_id(send, request_id))
            return
        audit = Audit(scope, decision, request_id, started) if known is None else None
        if decision.error is not None:
            await self._refuse(decision.error, scope, receive, send, request_id)
            if audit is not None:
                await audit.record(decision.error.status, None)
            return
        scope[SCOPE_KEY] = decision.principal
        await self._serve(scope, receive, send, request_id, audit)

    async def _serve(self, scope: Scope, receive: Receive, send: Send, request_id: str, audit: Audit | None) -> None:
        answer: dict[str, Any] = {"status": 500, "location": None}

        async def tracking(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                answer["location"] = Headers(raw=message.get("headers", [])).get("location")
                MutableHeaders(scope=message)["x-request-id"] = request_id
            elif message["type"] == "websocket.accept":
                answer["status"] = 101
            await send(message)

        try:
            await self.app(scope, receive, tracking)
        finally:
            if audit is not None:
                await audit.record(answer["status"], answer["location"])

    async def _refuse(self, exc: BridgeError, scope: Scope, receive: Receive, send: Send, request_id: str) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": POLICY_VIOLATION, "reason": exc.description[:120]})
            return
        await error_response(exc)(scope, receive, _with_id(send, request_id))


class Audit:
    """The audit entry of one request, written once its outcome is known (commands, deletes, admin actions)."""

    def __init__(self, scope: Scope, decision: Decision, request_id: str, started: int) -> None:
        self.scope = scope
        self.decision = decision
        self.request_id = request_id
        self.started = started

    async def record(self, status: int, location: str | None) -> None:
        """Write the entry if the operation is audited; a failure to write is logged, never raised."""
        match = self.decision.match
        if match is None or match.rule.role not in AUDITED:
            return
        store = getattr(getattr(self.scope.get("app"), "state", None), "store", None)
        if store is None:
            return
        query = self.scope.get("query_string", b"").decode("latin-1")
        target = _local(self.scope) + (f"?{query}" if query else "")
        entry = AuditEntry(
            self.started, self.decision.who, match.rule.action, target[:2000], self.request_id, status,
            outcome_of(status), str(match.rule.role), location,
        )  # fmt: skip
        try:
            await store.record_audit(entry)
        except Exception:
            log.exception(
                "could not record the audit entry of %s %s (%s)", entry.action, entry.target, entry.request_id
            )


def _routed(scope: Scope) -> bool:
    """Whether a route of the app answers this request (the rules had none for it)."""
    routes = getattr(scope.get("app"), "routes", ())
    return any(route.matches(scope)[0] == Match.FULL for route in routes)


def _local(scope: Scope) -> str:
    """The request path below the app's root path."""
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _with_id(send: Send, request_id: str) -> Send:
    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start":
            MutableHeaders(scope=message)["x-request-id"] = request_id
        await send(message)

    return sending
