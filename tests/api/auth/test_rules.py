"""Every operation of `/api` against its role, generated from the OpenAPI document (a new route is covered the day it
is added): no credential → 401 where the role is not anonymous'; a key lacking the role → 403; a key with only
that role → past access control. And no route can exist without a rule."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from bridge.api.app import create_app
from bridge.api.auth.rules import RouteTable, role_for, route_table
from bridge.auth_config import Role
from bridge.errors import ConfigError
from bridge.settings import Settings
from bridge.store.sql.store import SqlStore
from tests.api.auth.support import BASE, auth_settings, bearer

FAMILY_ROLES = {
    ("GET", "/systems"): Role.READ,
    ("POST", "/systems"): Role.WRITE,
    ("DELETE", "/systems/{id}"): Role.DELETE,
    ("POST", "/controlstreams/{controlStreamId}/commands"): Role.COMMAND,
    ("PATCH", "/commands/{id}"): Role.COMMAND,
    ("DELETE", "/commands/{id}"): Role.COMMAND,
    ("POST", "/commands/{id}/status"): Role.COMMAND,
    ("POST", "/controlstreams/{controlStreamId}/feasibility"): Role.COMMAND,
    ("DELETE", "/controlstreams/{id}"): Role.DELETE,
    ("PUT", "/controlstreams/{id}/schema"): Role.WRITE,
    ("POST", "/datastreams/{dataStreamId}/observations"): Role.WRITE,
    ("GET", "/sources"): Role.ADMIN,
    ("GET", "/sources/{name}"): Role.ADMIN,
    ("GET", "/audit"): Role.ADMIN,
    ("GET", "/"): None,
    ("GET", "/conformance"): None,
}


def _operations() -> list[tuple[str, str, Role | None]]:
    app = create_app(Settings(store="sqlite:///:memory:"))
    ops = []
    for path, item in app.openapi()["paths"].items():
        for method in item:
            if method in ("get", "post", "put", "patch", "delete"):
                ops.append((method.upper(), path, role_for(method.upper(), path)))
    return sorted(ops)


OPERATIONS = _operations()


def _concrete(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "x-unknown", template)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client() -> Any:
    store = await SqlStore.open("sqlite:///:memory:")
    app = create_app(Settings(store="sqlite:///:memory:", base_url=BASE, auth=auth_settings()), store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as c:
        yield c
    await store.close()


def test_the_operations_cover_every_family() -> None:
    assert len(OPERATIONS) > 100
    found = {(m, p): r for m, p, r in OPERATIONS}
    for operation, role in FAMILY_ROLES.items():
        assert found[operation] == role, operation


async def _send(client: httpx.AsyncClient, method: str, template: str, headers: dict[str, str]) -> httpx.Response:
    body = b"{}" if method in ("POST", "PUT", "PATCH") else None
    return await client.request(
        method, _concrete(template), content=body, headers={"Content-Type": "application/json", **headers}
    )


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(("method", "template", "role"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
async def test_each_operation_needs_its_role(client: httpx.AsyncClient, method: str, template: str, role: Any) -> None:
    anonymous = await _send(client, method, template, {})
    if role in (None, Role.READ):
        assert anonymous.status_code not in (401, 403), anonymous.text
    else:
        assert anonymous.status_code == 401, anonymous.text
        assert anonymous.headers["www-authenticate"].startswith("Bearer")
        lacking = await _send(client, method, template, bearer(f"but-{role}"))
        assert lacking.status_code == 403, lacking.text
        assert f"'{role}'" in lacking.json()["description"]
    if role is not None:
        allowed = await _send(client, method, template, bearer(f"only-{role}"))
        assert allowed.status_code not in (401, 403) and allowed.status_code < 500, allowed.text


def test_every_route_has_a_rule_and_a_route_without_one_fails_the_app() -> None:
    app = create_app(Settings(store="sqlite:///:memory:"))
    table: RouteTable = app.state.access.table
    in_table = {(r.method, r.template) for r in table.rules}
    assert {(m, p) for m, p, _ in OPERATIONS} <= in_table

    stray = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @stray.post("/maintenance/reboot")
    async def reboot() -> None:
        """A route in no family."""

    with pytest.raises(ConfigError, match="/maintenance/reboot has no access rule"):
        route_table(stray.routes)

    odd = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @odd.api_route("/systems/{id}/lock", methods=["LOCK"])
    async def lock() -> None:
        """A method without rule."""

    with pytest.raises(ConfigError, match=re.escape("LOCK /systems/{id}/lock has no access rule")):
        route_table(odd.routes)


def test_the_api_document_declares_security() -> None:
    app = create_app(Settings(store="sqlite:///:memory:", auth=auth_settings()))
    doc = app.openapi()
    schemes = doc["components"]["securitySchemes"]
    assert schemes["bearer"] == {"type": "http", "scheme": "bearer", "description": "API keys (csb_…)"}
    assert schemes["apiKey"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert schemes["basic"] == {"type": "http", "scheme": "basic"}
    post = doc["paths"]["/controlstreams/{controlStreamId}/commands"]["post"]
    assert post["x-required-role"] == "command"
    assert post["security"] == [{"bearer": ["command"]}, {"apiKey": ["command"]}, {"basic": ["command"]}]
    assert {"401", "403"} <= set(post["responses"])
    get = doc["paths"]["/systems"]["get"]
    assert get["security"][0] == {} and get["x-required-role"] == "read"  # anonymous reads: credential optional
    assert doc["paths"]["/"]["get"]["security"] == [{}]
