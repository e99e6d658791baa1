"""Which role each operation needs, computed from the app's routes: (method, path template) → role.

Every route falls in a family by its path, and the family and the method give the role:

| family | paths | GET / HEAD | POST, PUT, PATCH | DELETE |
|---|---|---|---|---|
| public | `/`, `/conformance`, `/api`, `/api.html`, static files, `/health`, `/ready`, `/metrics`* | none | — | — |
| resources | Part 1 and Part 2 resources, collections | read | write | delete |
| tasking | `/commands…`, `/feasibility…`, `/controlstreams/{id}/commands…` (`feasibility`) | read | command | command |
| admin | `/sources…`, `/audit` | admin | admin | admin |

*`/metrics` applies its own rule (`settings.metrics`: loopback clients, anyone, or the `admin` role).

A route whose path is in no family, or whose method has no rule, makes `route_table` fail (at app creation and
in the tests), so no route can be added without deciding who may use it. WebSocket routes need `read` to
connect; the endpoint asks for more (`require`) for what it receives.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi.routing import iter_route_contexts
from starlette.routing import BaseRoute, Mount, compile_path

from bridge.auth_config import Role
from bridge.errors import ConfigError

PUBLIC_PATHS = frozenset({"/", "/conformance", "/api", "/api.html", "/health", "/ready", "/metrics"})
ADMIN_ROOTS = frozenset({"sources", "audit"})
TASKING_ROOTS = frozenset({"commands", "feasibility"})
RESOURCE_ROOTS = frozenset(
    {
        "collections", "systems", "deployments", "procedures", "samplingFeatures", "properties",
        "datastreams", "observations", "controlstreams", "systemEvents", "systemevents",
    }
)  # fmt: skip
_TASKING_NESTED = re.compile(r"^/controlstreams/\{[^}]+\}/(commands|feasibility)(/|$)")
WEBSOCKET = "WEBSOCKET"
AUDITED = frozenset({Role.DELETE, Role.COMMAND, Role.ADMIN})


def family(template: str) -> str:
    """The family of a path template: public, admin, tasking or resources; ConfigError for any other."""
    if template in PUBLIC_PATHS:
        return "public"
    root = template.strip("/").split("/", 1)[0]
    if root in ADMIN_ROOTS:
        return "admin"
    if root in TASKING_ROOTS or _TASKING_NESTED.match(template):
        return "tasking"
    if root in RESOURCE_ROOTS:
        return "resources"
    raise ConfigError(f"route {template} has no access rule: add its family to bridge/api/auth/rules.py")


def role_for(method: str, template: str) -> Role | None:
    """The role an operation needs (None: anyone, even without credential); ConfigError when there is no rule."""
    kind = family(template)
    if kind == "public" and method == "GET":
        return None
    if kind == "admin":
        return Role.ADMIN
    if method in ("GET", WEBSOCKET) and kind != "public":
        return Role.READ
    if kind == "tasking" and method in ("POST", "PUT", "PATCH", "DELETE"):
        return Role.COMMAND
    if kind == "resources" and method in ("POST", "PUT", "PATCH"):
        return Role.WRITE
    if kind == "resources" and method == "DELETE":
        return Role.DELETE
    raise ConfigError(f"{method} {template} has no access rule: add it to bridge/api/auth/rules.py")


@dataclass(frozen=True, slots=True)
class Rule:
    """One operation: its method, path template (and the pattern matching it), and the role it needs."""

    method: str
    template: str
    pattern: re.Pattern[str]
    role: Role | None

    @property
    def action(self) -> str:
        """`METHOD /template`, as the audit log names the operation."""
        return f"{self.method} {self.template}"


@dataclass(frozen=True, slots=True)
class Match:
    """A request's rule and its path parameters."""

    rule: Rule
    params: dict[str, str]


class RouteTable:
    """The rules of every operation of an app, in routing order; `match` finds a request's rule."""

    def __init__(self, rules: list[Rule], open_prefixes: list[str]) -> None:
        self.rules = rules
        self.open_prefixes = tuple(open_prefixes)  # mounts (static files): public

    def match(self, method: str, path: str) -> Match | None:
        """The first rule of this method whose template matches `path` (None: the router answers 404/405)."""
        for rule in self.rules:
            if rule.method == method:
                found = rule.pattern.match(path)
                if found:
                    return Match(rule, found.groupdict())
        return None

    def is_open(self, path: str) -> bool:
        """Whether `path` is under a mount that anyone may read (the static files of the pages)."""
        return path.startswith(self.open_prefixes)


def route_table(routes: Sequence[BaseRoute]) -> RouteTable:
    """The rules of every route of an app (ConfigError naming a route without rule)."""
    rules: list[Rule] = []
    mounts: list[str] = []
    for context in iter_route_contexts(routes):
        route: Any = context.route
        if isinstance(route, Mount):
            mounts.append(route.path + "/")
            continue
        template = context.path
        if template is None:
            continue
        pattern = compile_path(template)[0]
        methods = sorted(context.methods or ()) or [WEBSOCKET]
        for method in methods:
            if method == "HEAD":
                continue  # answered as the GET (bridge.api.head)
            rules.append(Rule(method, template, pattern, role_for(method, template)))
    return RouteTable(rules, mounts)
