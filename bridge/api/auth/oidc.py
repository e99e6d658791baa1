"""Bearer JWTs of OpenID Connect / OAuth 2 issuers, validated with PyJWT against the issuer's JWKS.

Checked: the signature with the issuer's key named by `kid` under an allowed asymmetric algorithm that matches
the key's type (so `alg: none` and HS256 "signed" with a public key fail), `iss`, `aud`, `exp`, `nbf` and `iat`
(with `leeway`). Keys are cached for `jwks_cache_seconds`; a token naming an unknown `kid` re-reads the JWKS
(key rotation), at most once per `jwks_refresh_min_seconds` so bogus tokens cannot make the bridge hammer the
issuer. Roles come from claims through the issuer's `role_map` (a Keycloak realm role, a `scope` entry…).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from typing import Any

import httpx
import jwt

from bridge.api.auth.keys import BadCredential
from bridge.api.auth.principal import Principal
from bridge.auth_config import OidcIssuerConfig
from bridge.errors import UpstreamError

TOKEN_CACHE_SECONDS = 60.0
TOKEN_CACHE_ENTRIES = 4096
KEY_TYPES = {"RSA": ("RS", "PS"), "EC": ("ES",), "OKP": ("EdDSA",)}
EC_CURVES = {"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}


def _claim(claims: dict[str, Any], path: str) -> Any:
    """A claim by dotted path (`realm_access.roles`), or None."""
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _strings(value: Any) -> list[str]:
    """A claim as a list of strings: a list, or a space-separated string (`scope`)."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _fits(jwk: dict[str, Any], alg: str) -> bool:
    """Whether the algorithm a token names can be used with this key (type, curve, and the key's own `alg`)."""
    if jwk.get("alg") not in (None, alg) or jwk.get("use") not in (None, "sig"):
        return False
    prefixes = KEY_TYPES.get(str(jwk.get("kty")), ())
    if not any(alg.startswith(p) for p in prefixes):
        return False
    return alg not in EC_CURVES or jwk.get("crv") == EC_CURVES[alg]


class Issuer:
    """One configured issuer: its keys (cached) and the validation of its tokens."""

    def __init__(self, config: OidcIssuerConfig, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.config = config
        self.transport = transport
        self._keys: dict[str, dict[str, Any]] = {}
        self._read_at = float("-inf")
        self._lock = asyncio.Lock()

    async def _fetch(self) -> None:
        """Read the issuer's JWKS (finding its URL through discovery when not configured)."""
        async with httpx.AsyncClient(transport=self.transport, timeout=self.config.timeout) as client:
            url = self.config.jwks_url
            if url is None:
                discovery = await client.get(f"{self.config.issuer.rstrip('/')}/.well-known/openid-configuration")
                discovery.raise_for_status()
                url = str(discovery.json()["jwks_uri"])
            answer = await client.get(url)
            answer.raise_for_status()
            keys = answer.json()["keys"]
        self._keys = {str(k.get("kid", "")): k for k in keys if isinstance(k, dict)}
        self._read_at = time.monotonic()

    async def _refresh(self, reason_unknown_kid: bool) -> None:
        async with self._lock:
            age = time.monotonic() - self._read_at
            if reason_unknown_kid and age < self.config.jwks_refresh_min_seconds:
                return
            if not reason_unknown_kid and age < self.config.jwks_cache_seconds:
                return  # another request refreshed them meanwhile
            try:
                await self._fetch()
            except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
                if not self._keys:
                    raise UpstreamError(f"the keys of token issuer {self.config.issuer} cannot be read") from exc

    async def key(self, kid: str | None, alg: str) -> dict[str, Any]:
        """The JWK a token names (by `kid`; without one, the issuer's only key fitting `alg`)."""
        if time.monotonic() - self._read_at >= self.config.jwks_cache_seconds:
            await self._refresh(False)
        found = self._find(kid, alg)
        if found is None:
            await self._refresh(True)
            found = self._find(kid, alg)
        if found is None:
            raise BadCredential("the token's signing key is not one of the issuer's keys")
        return found

    def _find(self, kid: str | None, alg: str) -> dict[str, Any] | None:
        if kid is not None:
            return self._keys.get(kid)
        fitting = [k for k in self._keys.values() if _fits(k, alg)]
        return fitting[0] if len(fitting) == 1 else None

    async def principal(self, token: str, header: dict[str, Any]) -> Principal:
        """Validate a token of this issuer; its principal, or BadCredential saying what failed."""
        alg = str(header.get("alg"))
        if alg not in self.config.algorithms:
            raise BadCredential(f"token algorithm '{alg}' is not accepted")
        kid = header.get("kid")
        jwk = await self.key(str(kid) if kid is not None else None, alg)
        if not _fits(jwk, alg):
            raise BadCredential(f"token algorithm '{alg}' does not fit its key")
        try:
            claims = jwt.decode(
                token,
                key=jwt.PyJWK(jwk, algorithm=alg),
                algorithms=[alg],
                audience=self.config.audience,
                issuer=self.config.issuer,
                leeway=self.config.leeway,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise BadCredential(f"invalid token: {exc}") from None
        return self._principal(claims)

    def _principal(self, claims: dict[str, Any]) -> Principal:
        roles = set(self.config.default_roles)
        for path in self.config.roles_claims:
            for value in _strings(_claim(claims, path)):
                roles.update(self.config.role_map.get(value, ()))
        name = claims.get(self.config.principal_claim) or claims.get("sub") or "unnamed"
        streams = _claim(claims, self.config.controlstreams_claim) if self.config.controlstreams_claim else None
        colls = _claim(claims, self.config.collections_claim) if self.config.collections_claim else None
        return Principal(
            "oidc",
            str(name),
            frozenset(roles),
            frozenset(_strings(streams)) if self.config.controlstreams_claim else None,
            frozenset(_strings(colls)) if self.config.collections_claim else None,
        )


class Issuers:
    """The configured issuers, chosen by a token's (not yet verified) `iss`. A validated token is remembered (by a
    keyed digest) until it expires or for `TOKEN_CACHE_SECONDS`, whichever comes first: a client reusing its token
    pays the signature check once."""

    def __init__(self, configs: list[OidcIssuerConfig], transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.by_iss = {c.issuer: Issuer(c, transport) for c in configs}
        self._pepper = secrets.token_bytes(32)
        self._valid: dict[bytes, tuple[Principal, float]] = {}

    async def principal(self, token: str) -> Principal:
        """The principal of a bearer JWT; BadCredential when it is not a valid token of a configured issuer."""
        digest = hmac.new(self._pepper, token.encode(), hashlib.sha256).digest()
        hit = self._valid.get(digest)
        if hit is not None and hit[1] > time.time():
            return hit[0]
        principal, expires = await self._validate(token)
        if len(self._valid) >= TOKEN_CACHE_ENTRIES:
            now = time.time()
            self._valid = {k: v for k, v in self._valid.items() if v[1] > now}
            if len(self._valid) >= TOKEN_CACHE_ENTRIES:
                self._valid.clear()
        self._valid[digest] = (principal, min(expires, time.time() + TOKEN_CACHE_SECONDS))
        return principal

    async def _validate(self, token: str) -> tuple[Principal, float]:
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise BadCredential("the bearer token is not a JWT or API key") from None
        issuer = self.by_iss.get(str(unverified.get("iss", "")))
        if issuer is None:
            raise BadCredential("the token's issuer is not accepted")
        principal = await issuer.principal(token, header)
        return principal, float(unverified["exp"])  # present: validation requires it
