"""Access control of the facade: authentication (API keys, OIDC bearer JWTs, HTTP Basic), authorization by role
per operation (`rules`), cross-site safety, and the audit log.

For a door other than the HTTP routes (a WebSocket endpoint, an ingestion path), use the app's `Access`
(`access_of(app)`): `await access.decide(method, path, headers, store)` gives the principal or the error to
answer, `await access.authorize(principal, Role.WRITE)` checks one more role. On a WebSocket route the access
middleware has already authenticated the upgrade (token in its headers) and left the principal in the scope
(`principal_of(websocket.scope)`).
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from bridge.api.auth.access import Access, Decision, access_of
from bridge.api.auth.authenticator import Authenticator
from bridge.api.auth.principal import SCOPE_KEY, Principal
from bridge.api.auth.rules import RouteTable, role_for, route_table
from bridge.auth_config import Role

__all__ = [
    "Access",
    "Authenticator",
    "Decision",
    "Principal",
    "Role",
    "RouteTable",
    "access_of",
    "principal_of",
    "role_for",
    "route_table",
]


def principal_of(scope: MutableMapping[str, Any]) -> Principal | None:
    """The principal the access middleware authenticated for this request or WebSocket (None outside it)."""
    principal: Principal | None = scope.get(SCOPE_KEY)
    return principal
