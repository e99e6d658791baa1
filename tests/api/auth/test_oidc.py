"""Bearer JWTs of a local OpenID Connect issuer (RSA and EC keys, JWKS on loopback): what is accepted, what is
refused, key rotation, and roles from Keycloak-style claims."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bridge.auth_config import AuthSettings, OidcIssuerConfig, Role
from tests.api.auth.issuer import AUDIENCE, LocalIssuer, ec_key, rsa_key
from tests.api.auth.support import app_client

GEO = {"Content-Type": "application/geo+json"}
SYSTEM = {
    "type": "Feature",
    "geometry": None,
    "properties": {"uid": "urn:x-oidc:sys:1", "name": "S", "featureType": "http://www.w3.org/ns/sosa/Sensor"},
}


def issuer_config(issuer: LocalIssuer, **extra: Any) -> OidcIssuerConfig:
    values: dict[str, Any] = {
        "issuer": issuer.url,
        "audience": AUDIENCE,
        "role_map": {"csapi-writer": [Role.WRITE], "csapi:read": [Role.READ], "csapi:admin": [Role.ADMIN]},
        "jwks_refresh_min_seconds": 0,
        **extra,
    }
    return OidcIssuerConfig(**values)


@pytest.fixture
async def client(issuer: LocalIssuer) -> AsyncIterator[httpx.AsyncClient]:
    """An app accepting the local issuer's tokens; anonymous clients have no role at all."""
    async with app_client(AuthSettings(anonymous_roles=[], oidc=[issuer_config(issuer)])) as (c, _):
        yield c


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def writer(issuer: LocalIssuer, **claims: Any) -> dict[str, Any]:
    return {"realm_access": {"roles": ["offline_access", "csapi-writer"]}, **claims}


async def refused(client: httpx.AsyncClient, token: str, words: str) -> None:
    r = await client.post("/systems", json=SYSTEM, headers={**GEO, **auth(token)})
    assert r.status_code == 401, r.text
    assert 'error="invalid_token"' in r.headers["www-authenticate"]
    assert words.lower() in r.json()["description"].lower(), r.json()


async def test_a_valid_token_signed_with_rsa_or_ec(client: httpx.AsyncClient, issuer: LocalIssuer) -> None:
    for n, key in enumerate((issuer.rsa, issuer.ec)):
        body = {**SYSTEM, "properties": {**SYSTEM["properties"], "uid": f"urn:x-oidc:sys:{n}"}}  # type: ignore[dict-item]
        r = await client.post("/systems", json=body, headers={**GEO, **auth(issuer.token(key, **writer(issuer)))})
        assert r.status_code == 201, r.text


async def test_roles_come_from_the_scope_claim_too(client: httpx.AsyncClient, issuer: LocalIssuer) -> None:
    token = issuer.token(scope="openid csapi:read")
    assert (await client.get("/systems", headers=auth(token))).status_code == 200
    r = await client.post("/systems", json=SYSTEM, headers={**GEO, **auth(token)})
    assert r.status_code == 403 and "oidc:alice" in r.json()["description"]  # valid token, role missing


async def test_expired_and_not_yet_valid_tokens(client: httpx.AsyncClient, issuer: LocalIssuer) -> None:
    now = int(time.time())
    await refused(client, issuer.token(**writer(issuer, exp=now - 120, iat=now - 600, nbf=now - 600)), "expired")
    await refused(client, issuer.token(**writer(issuer, nbf=now + 600)), "not yet valid")
    await refused(client, issuer.token(**writer(issuer, exp=None)), "exp")


async def test_wrong_audience_and_wrong_issuer(client: httpx.AsyncClient, issuer: LocalIssuer) -> None:
    await refused(client, issuer.token(**writer(issuer, aud="another-client")), "audience")
    await refused(client, issuer.token(**writer(issuer, iss="http://127.0.0.1:1/realms/other")), "issuer")
    forged = LocalIssuer(url=issuer.url, keys=[rsa_key(issuer.rsa.kid)])  # same iss and kid, another key
    await refused(client, forged.token(**writer(issuer)), "Signature verification failed")


async def test_alg_none_and_hs256_with_the_public_key_are_refused(
    client: httpx.AsyncClient, issuer: LocalIssuer
) -> None:
    await refused(client, issuer.unsigned(**writer(issuer)), "'none' is not accepted")
    await refused(client, issuer.hs256_with_public_key(**writer(issuer)), "'HS256' is not accepted")
    es_on_rsa = issuer.token(issuer.ec, headers={"kid": issuer.rsa.kid}, **writer(issuer))  # ES256 naming the RSA key
    await refused(client, es_on_rsa, "does not fit its key")


async def test_an_unknown_kid_rereads_the_jwks_after_rotation(client: httpx.AsyncClient, issuer: LocalIssuer) -> None:
    old = issuer.rsa
    assert (
        await client.get("/systems", headers=auth(issuer.token(scope="csapi:read", jti="before")))
    ).status_code == 200
    reads = issuer.jwks_reads
    new = issuer.rotate()
    token = issuer.token(new, scope="csapi:read")
    assert (await client.get("/systems", headers=auth(token))).status_code == 200
    assert issuer.jwks_reads == reads + 1  # the unknown kid made the bridge read the keys again, once
    assert (await client.get("/systems", headers=auth(token))).status_code == 200
    assert issuer.jwks_reads == reads + 1  # then they are cached
    r = await client.get("/systems", headers=auth(issuer.token(old, scope="csapi:read", jti="after-rotation")))
    assert r.status_code == 401  # the retired key no longer signs anything new


async def test_unknown_kids_cannot_make_the_bridge_hammer_the_issuer(issuer: LocalIssuer) -> None:
    config = issuer_config(issuer, jwks_refresh_min_seconds=3600)
    async with app_client(AuthSettings(anonymous_roles=[], oidc=[config])) as (client, _):
        assert (await client.get("/systems", headers=auth(issuer.token(scope="csapi:read")))).status_code == 200
        reads = issuer.jwks_reads
        stranger = ec_key()
        for _ in range(5):
            r = await client.get("/systems", headers=auth(issuer.token(stranger, scope="csapi:read")))
            assert r.status_code == 401
        assert issuer.jwks_reads == reads  # read at start-up only: later unknown kids wait for the interval


async def test_restrictions_from_token_claims(issuer: LocalIssuer) -> None:
    config = issuer_config(issuer, controlstreams_claim="csapi_streams", role_map={"tasker": [Role.COMMAND]})
    async with app_client(AuthSettings(oidc=[config])) as (client, _):
        token = issuer.token(realm_access={"roles": ["tasker"]}, csapi_streams=["cs-a"])
        r = await client.post("/controlstreams/cs-b/commands", json={"parameters": {}}, headers=auth(token))
        assert r.status_code == 403 and "cs-b" in r.json()["description"]
        r = await client.post("/controlstreams/cs-a/commands", json={"parameters": {}}, headers=auth(token))
        assert r.status_code == 404  # allowed: the stream does not exist


async def test_an_unreachable_issuer_is_a_clear_502_not_a_500(issuer: LocalIssuer) -> None:
    config = OidcIssuerConfig(issuer="http://127.0.0.1:9/realms/x", audience=["a"], timeout=2)
    async with app_client(AuthSettings(oidc=[config])) as (client, _):
        stranger = LocalIssuer(url="http://127.0.0.1:9/realms/x")
        r = await client.get("/systems", headers=auth(stranger.token(aud="a")))
        assert r.status_code == 502 and "cannot be read" in r.json()["description"]


async def test_a_remembered_token_still_expires(issuer: LocalIssuer) -> None:
    async with app_client(AuthSettings(anonymous_roles=[], oidc=[issuer_config(issuer, leeway=0)])) as (client, _):
        token = issuer.token(scope="csapi:read", exp=int(time.time()) + 2)
        assert (await client.get("/systems", headers=auth(token))).status_code == 200
        assert (await client.get("/systems", headers=auth(token))).status_code == 200  # remembered
        await asyncio.sleep(max(0.0, jwt_exp(token) - time.time()) + 0.2)
        assert (await client.get("/systems", headers=auth(token))).status_code == 401


def jwt_exp(token: str) -> float:
    import jwt

    return float(jwt.decode(token, options={"verify_signature": False})["exp"])
