"""A local OpenID Connect issuer for the tests: RSA and EC signing keys, its discovery document and JWKS served on
loopback (uvicorn in a thread), key rotation, and tokens minted like a Keycloak realm would."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.loopback import Served, free_port, serve

AUDIENCE = "csapi-bridge"


@dataclass
class SigningKey:
    """A private key with its `kid` and algorithm."""

    kid: str
    alg: str
    private: Any

    def jwk(self) -> dict[str, Any]:
        """The public JWK (what the JWKS publishes)."""
        exporter = RSAAlgorithm if self.alg.startswith(("RS", "PS")) else ECAlgorithm
        data: dict[str, Any] = exporter.to_jwk(self.private.public_key(), as_dict=True)
        return {**data, "kid": self.kid, "alg": self.alg, "use": "sig"}

    def public_pem(self) -> bytes:
        """The public key as PEM (what an attacker may hold)."""
        return self.private.public_key().public_bytes(  # type: ignore[no-any-return]
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def rsa_key(kid: str | None = None) -> SigningKey:
    """A fresh RS256 key."""
    return SigningKey(kid or f"rsa-{uuid.uuid4().hex[:8]}", "RS256", rsa.generate_private_key(65537, 2048))


def ec_key(kid: str | None = None) -> SigningKey:
    """A fresh ES256 key (P-256)."""
    return SigningKey(kid or f"ec-{uuid.uuid4().hex[:8]}", "ES256", ec.generate_private_key(ec.SECP256R1()))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass
class LocalIssuer:
    """The issuer's state: its published keys, and how often its JWKS was read."""

    url: str = ""
    keys: list[SigningKey] = field(default_factory=lambda: [rsa_key(), ec_key()])
    jwks_reads: int = 0
    served: Served | None = None

    @property
    def rsa(self) -> SigningKey:
        """The current RSA key."""
        return next(k for k in self.keys if k.alg == "RS256")

    @property
    def ec(self) -> SigningKey:
        """The current EC key."""
        return next(k for k in self.keys if k.alg == "ES256")

    def rotate(self) -> SigningKey:
        """Publish a new RSA key in place of the current one; the new key."""
        new = rsa_key()
        self.keys = [new, *(k for k in self.keys if k.alg != "RS256")]
        return new

    def claims(self, **extra: Any) -> dict[str, Any]:
        """Claims of a valid access token (Keycloak's shape), overridden by `extra` (None removes a claim)."""
        now = int(time.time())
        base: dict[str, Any] = {
            "iss": self.url,
            "aud": AUDIENCE,
            "sub": "f3b1c2d4",
            "preferred_username": "alice",
            "iat": now,
            "nbf": now,
            "exp": now + 300,
            "realm_access": {"roles": ["offline_access"]},
            "scope": "openid profile",
        }
        base.update(extra)
        return {k: v for k, v in base.items() if v is not None}

    def token(self, key: SigningKey | None = None, headers: dict[str, Any] | None = None, **claims: Any) -> str:
        """A token signed with `key` (default: the RSA key) carrying `claims` over the valid defaults."""
        key = key or self.rsa
        header = {"kid": key.kid, **(headers or {})}
        return jwt.encode(self.claims(**claims), key.private, algorithm=key.alg, headers=header)

    def unsigned(self, **claims: Any) -> str:
        """An `alg: none` token naming the RSA key."""
        header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": self.rsa.kid}).encode())
        return f"{header}.{_b64(json.dumps(self.claims(**claims)).encode())}."

    def hs256_with_public_key(self, **claims: Any) -> str:
        """The algorithm-confusion attack: HS256 with the RSA *public* key (PEM) as the HMAC secret."""
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": self.rsa.kid}).encode())
        payload = _b64(json.dumps(self.claims(**claims)).encode())
        signature = hmac.new(self.rsa.public_pem(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
        return f"{header}.{payload}.{_b64(signature)}"

    def app(self) -> Starlette:
        """Discovery document and JWKS."""

        async def discovery(request: Request) -> JSONResponse:
            return JSONResponse({"issuer": self.url, "jwks_uri": f"{self.url}/protocol/openid-connect/certs"})

        async def certs(request: Request) -> JSONResponse:
            self.jwks_reads += 1
            return JSONResponse({"keys": [k.jwk() for k in self.keys]})

        return Starlette(
            routes=[
                Route("/realms/test/.well-known/openid-configuration", discovery),
                Route("/realms/test/protocol/openid-connect/certs", certs),
            ]
        )

    def start(self) -> LocalIssuer:
        """Serve the issuer on a free loopback port (its URL is a Keycloak-style realm URL)."""
        sock, port = free_port()
        self.url = f"http://127.0.0.1:{port}/realms/test"
        self.served = serve(self.app(), sock, "OIDC test issuer")
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self.served is not None:
            self.served.stop()
