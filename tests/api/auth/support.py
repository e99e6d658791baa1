"""Support of the access-control tests: API keys of every shape (hashed once) and apps with given `[auth]` settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bridge.api.app import create_app
from bridge.api.auth.passwords import hash_secret, new_api_key
from bridge.auth_config import ApiKeyConfig, AuthSettings, BasicUserConfig, Role
from bridge.settings import Settings
from bridge.store.sql.store import SqlStore

BASE = "http://testserver"
PASSWORD = "correct horse battery staple"


def _key(key_id: str, roles: list[Role], **extra: Any) -> tuple[str, ApiKeyConfig]:
    key = new_api_key(key_id)
    return key, ApiKeyConfig(id=key_id, hash=hash_secret(key), roles=roles, **extra)


def _make_keys() -> dict[str, tuple[str, ApiKeyConfig]]:
    keys = {"all": _key("all", list(Role)), "reader": _key("reader", [Role.READ])}
    for role in Role:
        keys[f"only-{role}"] = _key(f"only-{role}", [role])
        keys[f"but-{role}"] = _key(f"but-{role}", [r for r in Role if r != role])
    keys["revoked"] = _key("revoked", list(Role), revoked=True)
    keys["expired"] = _key("expired", list(Role), expires=datetime.now(UTC) - timedelta(minutes=1))
    keys["stream-a"] = _key("stream-a", [Role.READ, Role.COMMAND], controlstreams=["cs-a"])
    keys["site"] = _key("site", [Role.READ, Role.COMMAND], collections=["site-cameras"])
    return keys


KEYS = _make_keys()
ALICE = BasicUserConfig(name="alice", password_hash=hash_secret(PASSWORD), roles=[Role.READ, Role.ADMIN])


def key(name: str) -> str:
    """The secret API key of a fixture key."""
    return KEYS[name][0]


def bearer(name: str) -> dict[str, str]:
    """`Authorization: Bearer` headers of a fixture key."""
    return {"Authorization": f"Bearer {key(name)}"}


def auth_settings(**values: Any) -> AuthSettings:
    """`[auth]` with every fixture API key and the Basic user alice, plus `values`."""
    return AuthSettings(**{"api_keys": [c for _, c in KEYS.values()], "basic_users": [ALICE], **values})


@asynccontextmanager
async def app_client(auth: AuthSettings, **settings: Any) -> AsyncIterator[tuple[httpx.AsyncClient, SqlStore]]:
    """An in-process client of an app with these `[auth]` settings, on a fresh in-memory store."""
    store = await SqlStore.open("sqlite:///:memory:")
    app = create_app(Settings(store="sqlite:///:memory:", base_url=BASE, auth=auth, **settings), store)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
            yield client, store
    finally:
        await store.close()


PTZ = {"pan": 1, "tilt": 2, "zoom": 3}  # parameters of the PTZ control stream of the CSAPI examples


async def ptz_stream(client: httpx.AsyncClient, headers: dict[str, str], uid: str = "urn:x-auth:sys:ptz") -> str:
    """A system with the PTZ control stream of the CSAPI examples (created with `headers`); the stream's id."""
    from tests.api.part2_support import example, system_body

    r = await client.post(
        "/systems", json=system_body(uid), headers={**headers, "Content-Type": "application/geo+json"}
    )
    assert r.status_code == 201, r.text
    sys_id = r.headers["location"].rsplit("/", 1)[1]
    body = example("controlstreams/controlstream-ptz-create.json")
    r = await client.post(f"/systems/{sys_id}/controlstreams", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return str(r.headers["location"].rsplit("/", 1)[1])
