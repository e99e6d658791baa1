"""Access-control benchmark: what checking a credential adds to a request, in the same run as the same request on a
bridge without access control (anonymous clients have every role: the fastest thing an operator could run).

`GET /systems/{id}` on 1,000 systems (in-memory SQLite, the app in-process through ASGI, so the figures are the
bridge's own time without network noise), 2,000 sequential requests per mode in interleaved rounds: no credential
(open bridge, then the default rules), an API key (`Bearer`, verified once then remembered), HTTP Basic, and JWT
access tokens signed RS256 and ES256 (signature, issuer, audience and times checked on every request). Also: one
scrypt verification (the first request of a key or password).
Usage: python -m bench.auth [--requests N]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import statistics
import time
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from bench.server import percentile
from bridge.api.app import create_app
from bridge.api.auth.access import Access
from bridge.api.auth.passwords import hash_secret, new_api_key, verify_secret
from bridge.auth_config import ApiKeyConfig, AuthSettings, BasicUserConfig, OidcIssuerConfig, Role
from bridge.model.csapi import System
from bridge.settings import Settings
from bridge.store.sql.store import SqlStore

ISSUER = "https://sso.bench.invalid/realms/bench"
ROUNDS = 5


def _issuer_keys() -> tuple[dict[str, Any], dict[str, Any]]:
    rsa_key, ec_key = rsa.generate_private_key(65537, 2048), ec.generate_private_key(ec.SECP256R1())
    jwks = {
        "keys": [
            {**RSAAlgorithm.to_jwk(rsa_key.public_key(), as_dict=True), "kid": "r1", "alg": "RS256", "use": "sig"},
            {**ECAlgorithm.to_jwk(ec_key.public_key(), as_dict=True), "kid": "e1", "alg": "ES256", "use": "sig"},
        ]
    }
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": "bench", "sub": "b", "exp": now + 3600, "iat": now, "scope": "csapi:read"}
    tokens = {
        "jwt_rs256": jwt.encode(claims, rsa_key, algorithm="RS256", headers={"kid": "r1"}),
        "jwt_es256": jwt.encode(claims, ec_key, algorithm="ES256", headers={"kid": "e1"}),
    }
    return jwks, tokens


async def _app(auth: AuthSettings, store: SqlStore, jwks: dict[str, Any]) -> httpx.AsyncClient:
    settings = Settings(store="sqlite:///:memory:", base_url="http://bench", auth=auth)
    app = create_app(settings, store)
    keys = httpx.MockTransport(lambda request: httpx.Response(200, json=jwks))  # the issuer's JWKS, read once
    app.state.access = Access(settings, app.state.access.table, transport=keys)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench")


async def _time(client: httpx.AsyncClient, url: str, headers: dict[str, str], n: int) -> list[float]:
    (await client.get(url, headers=headers)).raise_for_status()  # warm-up (first verification, key fetch)
    times = []
    for _ in range(n):
        start = time.perf_counter()
        response = await client.get(url, headers=headers)
        times.append((time.perf_counter() - start) * 1000)
        response.raise_for_status()
    return times


async def _decide(client: httpx.AsyncClient, path: str, headers: dict[str, str], n: int) -> list[float]:
    """The time of the access decision alone (authentication and rule), without the route, in ms."""
    app: Any = client._transport.app  # type: ignore[attr-defined]
    access: Access = app.state.access
    lower = {k.lower(): v for k, v in headers.items()}
    await access.decide("GET", path, lower, app.state.store)
    times = []
    for _ in range(n):
        start = time.perf_counter()
        decision = await access.decide("GET", path, lower, app.state.store)
        times.append((time.perf_counter() - start) * 1000)
        assert decision.error is None
    return times


async def run(requests: int) -> None:
    store = await SqlStore.open("sqlite:///:memory:")
    ids = [
        (await store.create_feature(System(uid=f"urn:x-bench:s:{i}", name=f"S{i}", feature_type="x"))).id
        for i in range(1000)
    ]
    jwks, tokens = _issuer_keys()
    key = new_api_key("bench")
    hashed = hash_secret(key)
    secured = AuthSettings(
        api_keys=[ApiKeyConfig(id="bench", hash=hashed, roles=[Role.READ])],
        basic_users=[BasicUserConfig(name="bench", password_hash=hashed, roles=[Role.READ])],
        oidc=[OidcIssuerConfig(issuer=ISSUER, audience=["bench"], jwks_url=f"{ISSUER}/certs")],
    )
    open_client = await _app(AuthSettings(anonymous_roles=list(Role)), store, jwks)
    client = await _app(secured, store, jwks)
    modes: dict[str, tuple[httpx.AsyncClient, dict[str, str]]] = {
        "open bridge, no credential": (open_client, {}),
        "default rules, no credential": (client, {}),
        "API key (Bearer)": (client, {"Authorization": f"Bearer {key}"}),
        "HTTP Basic": (client, {"Authorization": "Basic " + base64.b64encode(f"bench:{key}".encode()).decode()}),
        "JWT RS256": (client, {"Authorization": f"Bearer {tokens['jwt_rs256']}"}),
        "JWT ES256": (client, {"Authorization": f"Bearer {tokens['jwt_es256']}"}),
    }
    results: dict[str, list[float]] = {name: [] for name in modes}
    for round_no in range(ROUNDS):
        for name, (c, headers) in modes.items():
            results[name] += await _time(c, f"/systems/{ids[round_no]}", headers, requests // ROUNDS)
    base = statistics.median(results["open bridge, no credential"])
    print("| request | median | p99 | added to the median |\n|---|---|---|---|")
    for name, times in results.items():
        median = statistics.median(times)
        print(f"| {name} | {median:.3f} ms | {percentile(times, 99):.3f} ms | {median - base:+.3f} ms |")
    print("\n| access decision alone (`Access.decide`) | median | p99 |\n|---|---|---|")
    for name, (c, headers) in modes.items():
        times = await _decide(c, f"/systems/{ids[0]}", headers, requests)
        print(f"| {name} | {statistics.median(times) * 1000:.1f} µs | {percentile(times, 99) * 1000:.1f} µs |")
    issuers = client._transport.app.state.access.authenticator.issuers  # type: ignore[attr-defined]
    for name in ("jwt_rs256", "jwt_es256"):
        times = []
        for _ in range(500):
            start = time.perf_counter()
            await issuers._validate(tokens[name])  # what the first request with a token costs (then remembered)
            times.append((time.perf_counter() - start) * 1000)
        print(f"first validation of a {name[4:].upper()} token: {statistics.median(times) * 1000:.0f} µs (median)")
    clock = time.perf_counter()
    for _ in range(10):
        verify_secret(key, hashed)
    print(f"\nscrypt verification (first request of a key or password): {(time.perf_counter() - clock) * 100:.1f} ms")
    await open_client.aclose()
    await client.aclose()
    await store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    asyncio.run(run(args.requests))


if __name__ == "__main__":
    main()
