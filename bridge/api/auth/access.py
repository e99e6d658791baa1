"""`Access`: the access decision of one request — reusable by every door (the HTTP middleware, a WebSocket
upgrade, another ingestion path): the rule of (method, path), cross-site checks, the principal, its roles and
limits. Raises the `BridgeError` to answer (401 with its challenge, 403, 415)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.routing import BaseRoute

from bridge.api.auth.authenticator import Authenticator
from bridge.api.auth.crosssite import check_request, same_origin
from bridge.api.auth.principal import Principal
from bridge.api.auth.rules import WEBSOCKET, Match, RouteTable, route_table
from bridge.api.auth.targets import TargetStore, may_task, stream_of
from bridge.auth_config import Role
from bridge.errors import BridgeError, Forbidden, Unauthorized
from bridge.settings import Settings


@dataclass(slots=True)
class Decision:
    """What was decided for a request: its rule (None: no route matches, the router answers), its principal
    (None when no credential was accepted) and the error to answer (None: allowed)."""

    match: Match | None
    principal: Principal | None = None
    error: BridgeError | None = None

    @property
    def who(self) -> str:
        """The principal as the audit log names it (`unauthenticated` when a credential was refused)."""
        return self.principal.label if self.principal is not None else "unauthenticated"


class Access:
    """Authentication and authorization of requests against an app's route table."""

    def __init__(
        self, settings: Settings, table: RouteTable, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings
        self.table = table
        self.authenticator = Authenticator(settings.auth, transport)

    def refresh(self, routes: Sequence[BaseRoute]) -> None:
        """Recompute the rules (routes were added after the app was created, e.g. a WebSocket endpoint)."""
        self.table = route_table(routes)

    async def decide(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        store: TargetStore | None,
        known: Principal | None = None,
    ) -> Decision:
        """Check one request: its rule, its principal and, when it is refused, the error to answer.

        Args:
            method: the HTTP method, or `WEBSOCKET` for an upgrade.
            path: the path below the API root.
            headers: the request headers (lower-case names, as in an ASGI scope).
            store: where the control stream of a command is looked up (for credentials limited to some).
            known: the principal already authenticated for this request (a page's own reads).
        """
        match = self.table.match(method, path)
        if match is None:
            return Decision(None)
        decision = Decision(match, known)
        try:
            if method == WEBSOCKET:
                self._check_socket_origin(headers)
            else:
                check_request(method, headers, self.settings.cors.origins, self.settings.base_url)
            if decision.principal is None:
                decision.principal = await self._principal(headers, match.rule.role is None)
            await self.authorize(decision.principal, match.rule.role, store, match)
        except Unauthorized as exc:
            decision.error = self.authenticator.for_request(exc, headers)
        except BridgeError as exc:
            decision.error = exc
        return decision

    async def _principal(self, headers: Mapping[str, str], public: bool) -> Principal:
        try:
            return await self.authenticator.authenticate(headers)
        except BridgeError:
            if public:  # a page anyone may read stays readable with a stale credential
                return self.authenticator.anonymous
            raise

    def _check_socket_origin(self, headers: Mapping[str, str]) -> None:
        """Browsers do not apply CORS to WebSockets: a foreign page's upgrade is refused here instead."""
        origin = headers.get("origin")
        allowed = self.settings.cors.origins
        if origin is None or same_origin(origin, headers, self.settings.base_url):
            return
        if origin == "null" or not ("*" in allowed or origin in allowed):
            raise Forbidden(f"a WebSocket from the web origin {origin[:100]} is refused (not allowed by CORS)")

    async def authorize(
        self, principal: Principal, role: Role | None, store: TargetStore | None = None, match: Match | None = None
    ) -> None:
        """Raise 401 (anonymous) or 403 (authenticated) unless `principal` has `role` (and may act on the target).

        A WebSocket endpoint calls this with the principal of its connection for what it receives (e.g. `write`
        for observations pushed by the client).
        """
        if role is None:
            return
        if role not in principal.roles:
            if principal.anonymous:
                raise self.authenticator.missing(f"this operation needs the '{role}' role: give a credential")
            raise Forbidden(f"{principal.label} does not have the '{role}' role this operation needs")
        if role is Role.COMMAND and principal.restricted and store is not None and match is not None:
            stream = await stream_of(store, match.rule.template, match.params)
            if stream is not None and not await may_task(store, principal, stream):
                raise Forbidden(f"{principal.label} may not task control stream '{stream}'")


def access_of(app: Any) -> Access:
    """The `Access` of an app built by `create_app` (for doors other than the HTTP routes)."""
    access: Access = app.state.access
    return access
