"""Cross-site safety: CORS preflights, and the requests a foreign web page could make a browser send without asking
(the issue's `POST …/commands` with `Content-Type: text/plain`) refused before anything is stored or forwarded."""

from __future__ import annotations

from typing import Any

import httpx
import orjson

from bridge.auth_config import AuthSettings, CorsSettings, Role
from tests.api.auth.support import PTZ, app_client, auth_settings, bearer, ptz_stream

ORIGIN = "https://app.example.org"
EVIL = "https://evil.example.net"
COMMAND = orjson.dumps({"parameters": PTZ})


async def _stream(client: httpx.AsyncClient, headers: dict[str, str]) -> str:
    return await ptz_stream(client, headers)


async def _commands(client: httpx.AsyncClient, cs: str) -> list[Any]:
    items: list[Any] = (await client.get(f"/controlstreams/{cs}/commands")).json()["items"]
    return items


async def test_the_cross_site_text_plain_command_of_the_issue_is_refused() -> None:
    async with app_client(AuthSettings(anonymous_roles=list(Role))) as (client, _):  # even with anonymous writes
        cs = await _stream(client, {})
        for media in ("text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded"):
            r = await client.post(f"/controlstreams/{cs}/commands", content=COMMAND,
                                  headers={"Content-Type": media, "Origin": EVIL})  # fmt: skip
            assert r.status_code == 415, r.text
        assert await _commands(client, cs) == []
        r = await client.post(
            f"/controlstreams/{cs}/commands", content=COMMAND, headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 201  # JSON clients keep working


async def test_a_foreign_origin_cannot_use_a_credential_the_browser_sends_by_itself() -> None:
    async with app_client(auth_settings()) as (client, _):
        cs = await _stream(client, bearer("all"))
        json_headers = {"Content-Type": "application/json", **bearer("all")}
        for origin in (EVIL, "null"):
            r = await client.post(
                f"/controlstreams/{cs}/commands", content=COMMAND, headers={**json_headers, "Origin": origin}
            )
            assert r.status_code == 403 and "origin" in r.json()["description"]
        r = await client.delete(f"/controlstreams/{cs}", headers={**bearer("all"), "Origin": EVIL})
        assert r.status_code == 403
        assert await _commands(client, cs) == []
        same = await client.post(f"/controlstreams/{cs}/commands", content=COMMAND,
                                 headers={**json_headers, "Origin": "http://testserver"})  # fmt: skip
        assert same.status_code == 201  # the bridge's own pages (the command form) are same-origin


async def test_an_origin_allowed_by_cors_may_write_after_a_preflight() -> None:
    cors = CorsSettings(origins=[ORIGIN])
    async with app_client(auth_settings(), cors=cors) as (client, _):
        cs = await _stream(client, bearer("all"))
        headers = {"Content-Type": "application/json", "Origin": ORIGIN, **bearer("all")}
        r = await client.post(f"/controlstreams/{cs}/commands", content=COMMAND, headers=headers)
        assert r.status_code == 201, r.text
        assert r.headers["access-control-allow-origin"] == ORIGIN
        assert "location" in r.headers["access-control-expose-headers"].lower()
        unlabelled = await client.post(f"/controlstreams/{cs}/commands", content=COMMAND,
                                       headers={"Origin": ORIGIN, **bearer("all")})  # fmt: skip
        assert unlabelled.status_code == 415  # a POST without Content-Type needs no preflight: refused


async def test_cors_preflight_answers() -> None:
    cors = CorsSettings(origins=[ORIGIN])
    async with app_client(auth_settings(), cors=cors) as (client, _):
        ask = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
               "Access-Control-Request-Headers": "authorization, content-type, idempotency-key"}  # fmt: skip
        r = await client.options("/controlstreams/x/commands", headers=ask)
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == ORIGIN
        assert "POST" in r.headers["access-control-allow-methods"]
        allowed = r.headers["access-control-allow-headers"].lower()
        assert {"authorization", "content-type", "idempotency-key", "x-api-key"} <= {
            h.strip() for h in allowed.split(",")
        }
        assert r.headers["access-control-max-age"] == "600"
        assert "access-control-allow-credentials" not in r.headers  # no cookies, no credentialed CORS
        r = await client.options("/controlstreams/x/commands", headers={**ask, "Origin": EVIL})
        assert r.status_code == 400 and "access-control-allow-origin" not in r.headers
        r = await client.get("/systems", headers={"Origin": EVIL})
        assert r.status_code == 200 and "access-control-allow-origin" not in r.headers


async def test_cors_is_off_by_default() -> None:
    async with app_client(auth_settings()) as (client, _):
        ask = {"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
        r = await client.options("/systems", headers=ask)
        assert "access-control-allow-origin" not in r.headers and r.status_code == 405
        assert "access-control-allow-origin" not in (await client.get("/systems", headers={"Origin": ORIGIN})).headers
