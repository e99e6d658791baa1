"""Authentication with API keys and HTTP Basic, the anonymous default, and the opt-in to anonymous writes."""

from __future__ import annotations

import base64

import httpx
import pytest

from bridge.api.auth.exposure import check_exposure, is_loopback
from bridge.auth_config import AuthSettings, Role
from bridge.errors import ConfigError
from bridge.settings import Settings
from bridge.store.sql.store import SqlStore
from tests.api.auth.support import PASSWORD, app_client, bearer, key

SYSTEM = {
    "type": "Feature",
    "geometry": None,
    "properties": {"uid": "urn:x-auth:sys:1", "name": "S", "featureType": "http://www.w3.org/ns/sosa/Sensor"},
}
GEO = {"Content-Type": "application/geo+json"}
Pair = tuple[httpx.AsyncClient, SqlStore]


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def assert_401(r: httpx.Response, error: bool = True) -> None:
    assert r.status_code == 401, r.text
    assert r.json()["code"] == "Unauthorized" and r.json()["description"]
    challenge = r.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="csapi-bridge"')
    assert ('error="invalid_token"' in challenge) is error


async def test_without_configuration_anonymous_clients_read_and_nothing_else() -> None:
    async with app_client(AuthSettings()) as (client, _):
        assert (await client.get("/systems")).status_code == 200
        assert (await client.head("/systems")).status_code == 200
        assert_401(await client.post("/systems", json=SYSTEM, headers=GEO), error=False)
        assert_401(await client.delete("/systems/x"), error=False)
        assert_401(await client.get("/sources"), error=False)
        r = await client.post("/systems", json=SYSTEM, headers={**GEO, "Authorization": "Bearer csb_x_y"})
        assert_401(r)  # a credential the bridge cannot know is refused, not ignored


async def test_anonymous_reads_can_be_closed_too() -> None:
    async with app_client(AuthSettings(anonymous_roles=[])) as (client, _):
        assert_401(await client.get("/systems"), error=False)
        for public in ("/", "/conformance", "/api", "/api.html", "/static/css/bridge.css"):
            assert (await client.get(public)).status_code == 200, public


async def test_api_keys_as_bearer_or_header(secured: Pair) -> None:
    client, _ = secured
    r = await client.post("/systems", json=SYSTEM, headers={**GEO, **bearer("only-write")})
    assert r.status_code == 201, r.text
    r = await client.delete(r.headers["location"].removeprefix("http://testserver"), headers={"X-API-Key": key("all")})
    assert r.status_code == 204


@pytest.mark.parametrize(
    ("credential", "reason"),
    [
        ("revoked", "revoked"),
        ("expired", "expired"),
        ("wrong-secret", "unknown API key"),
        ("unknown-id", "unknown API key"),
    ],
)
async def test_bad_api_keys_are_401(secured: Pair, credential: str, reason: str) -> None:
    client, _ = secured
    value = {
        "wrong-secret": key("all")[:-4] + "AAAA",
        "unknown-id": "csb_nobody_" + key("all").rsplit("_", 1)[1],
    }.get(credential) or key(credential)
    for headers in ({"Authorization": f"Bearer {value}"}, {"X-API-Key": value}):
        r = await client.get("/systems", headers=headers)
        assert_401(r)
        assert reason in r.json()["description"]
        assert value not in r.text and value not in r.headers["www-authenticate"]


async def test_a_key_without_the_role_is_403(secured: Pair) -> None:
    client, _ = secured
    r = await client.post("/systems", json=SYSTEM, headers={**GEO, **bearer("reader")})
    assert r.status_code == 403 and r.json()["code"] == "Forbidden"
    assert "write" in r.json()["description"] and "apikey:reader" in r.json()["description"]


async def test_http_basic_with_a_hashed_password(secured: Pair) -> None:
    client, _ = secured
    r = await client.get("/sources", headers=basic("alice", PASSWORD))
    assert r.status_code == 200, r.text
    for bad in (basic("alice", "wrong"), basic("mallory", PASSWORD), {"Authorization": "Basic !!!"}):
        r = await client.get("/sources", headers=bad)
        assert r.status_code == 401
        assert 'Basic realm="csapi-bridge"' in r.headers["www-authenticate"]
    assert (await client.post("/systems", json=SYSTEM, headers={**GEO, **basic("alice", PASSWORD)})).status_code == 403


async def test_an_unknown_scheme_is_401_without_echoing_the_header(secured: Pair) -> None:
    client, _ = secured
    r = await client.get("/systems", headers={"Authorization": "s3cr3t-token-without-scheme"})
    assert_401(r)
    assert "s3cr3t" not in r.text and "s3cr3t" not in r.headers["www-authenticate"]


async def test_a_public_page_stays_readable_with_a_stale_credential(secured: Pair) -> None:
    client, _ = secured
    assert (await client.get("/", headers={"Authorization": "Bearer csb_old_key"})).status_code == 200


async def test_every_answer_carries_a_request_id(secured: Pair) -> None:
    client, _ = secured
    assert len((await client.get("/systems")).headers["x-request-id"]) == 32
    assert (await client.get("/systems", headers={"X-Request-ID": "abc-123"})).headers["x-request-id"] == "abc-123"
    assert (await client.get("/systems", headers={"X-Request-ID": "bad id\t"})).headers["x-request-id"] != "bad id"


def test_anonymous_writes_are_refused_beyond_loopback_without_the_insecure_flag() -> None:
    opened = AuthSettings(anonymous_roles=[Role.READ, Role.WRITE])
    check_exposure(Settings(auth=opened, host="127.0.0.1"))
    check_exposure(Settings(auth=opened, host="::1"))
    check_exposure(Settings(auth=AuthSettings(), host="0.0.0.0"))  # reads only: fine anywhere
    for host in ("0.0.0.0", "192.0.2.7", "bridge.example.org"):
        with pytest.raises(ConfigError, match="insecure_anonymous_writes_on_network"):
            check_exposure(Settings(auth=opened, host=host))
    insecure = opened.model_copy(update={"insecure_anonymous_writes_on_network": True})
    check_exposure(Settings(auth=insecure, host="0.0.0.0"))
    assert is_loopback("localhost") and is_loopback("127.0.0.2") and not is_loopback("10.0.0.1")


def test_the_cli_refuses_to_serve_anonymous_writes_on_the_network(capsys: pytest.CaptureFixture[str]) -> None:
    import os

    from bridge.cli import main

    os.environ["BRIDGE_AUTH__ANONYMOUS_ROLES"] = '["read", "command"]'
    try:
        assert (
            main(["serve", "--host", "0.0.0.0", "--store", "sqlite:///:memory:"]) == 1
        )  # a configuration refused: the command failed
    finally:
        del os.environ["BRIDGE_AUTH__ANONYMOUS_ROLES"]
    assert "--insecure-anonymous-writes-on-network" in capsys.readouterr().err
