"""Access-control options (`[auth]`, `[cors]` in the config file): roles, credentials, token issuers, CORS.

The roles are what an operation needs (`bridge.api.auth.rules` maps every route to one): `read` (GET, HEAD),
`write` (create, replace, update resources and observations), `delete`, `command` (submit, update or cancel
commands — they act on real equipment) and `admin` (harvest sources and runs, the audit log).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field, field_validator

HASH_PATTERN = r"^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=_-]+\$[A-Za-z0-9+/=_-]+$"
# Asymmetric algorithms only: `none` and the HMAC family (which a public key could forge) are never accepted.
ASYMMETRIC = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"})


class Role(StrEnum):
    """What an operation needs; a credential grants a set of roles."""

    READ = "read"
    WRITE = "write"
    DELETE = "delete"
    COMMAND = "command"
    ADMIN = "admin"


WRITE_ROLES = frozenset({Role.WRITE, Role.DELETE, Role.COMMAND, Role.ADMIN})


class Restriction(BaseModel):
    """Optional limits of a credential's `command` role: only these control streams, or the control streams of
    the systems in these collections (e.g. the cameras of one site). None: no limit."""

    controlstreams: list[str] | None = None
    collections: list[str] | None = None


class ApiKeyConfig(Restriction):
    """An API key of a machine client: `csb_<id>_<secret>`, stored as its scrypt hash (`csapi-bridge auth new-key`)."""

    id: str = Field(pattern=r"^[A-Za-z0-9-]{1,64}$")
    hash: str = Field(pattern=HASH_PATTERN)
    roles: list[Role]
    revoked: bool = False
    expires: datetime | None = None
    description: str | None = None


class BasicUserConfig(Restriction):
    """A user of HTTP Basic authentication (small single-machine installs), with a scrypt password hash."""

    name: str = Field(pattern=r"^[^:\s]{1,128}$")
    password_hash: str = Field(pattern=HASH_PATTERN)
    roles: list[Role]


class OidcIssuerConfig(BaseModel):
    """An OpenID Connect / OAuth 2 issuer whose JWT access tokens the bridge accepts as bearer tokens."""

    issuer: str  # must equal the tokens' `iss`
    audience: list[str]  # a token's `aud` must name one of these
    jwks_url: str | None = None  # default: `jwks_uri` of the issuer's /.well-known/openid-configuration
    algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256"])
    roles_claims: list[str] = Field(default_factory=lambda: ["realm_access.roles", "scope", "roles"])
    # claim value -> roles; default: `csapi:<role>` grants <role> (e.g. a `scope` of "csapi:read csapi:command")
    role_map: dict[str, list[Role]] = Field(default_factory=lambda: {f"csapi:{r.value}": [r] for r in Role})
    default_roles: list[Role] = Field(default_factory=list)  # granted to every valid token of this issuer
    controlstreams_claim: str | None = None  # a claim listing the control streams the token may task
    collections_claim: str | None = None  # a claim listing the collections whose systems the token may task
    principal_claim: str = "preferred_username"  # shown in the audit log (falls back to `sub`)
    leeway: float = Field(default=30.0, ge=0, le=300)  # seconds of clock skew allowed on exp / nbf / iat
    jwks_cache_seconds: float = Field(default=3600.0, gt=0)  # keys are re-read after this
    jwks_refresh_min_seconds: float = Field(default=30.0, ge=0)  # an unknown `kid` re-reads at most this often
    timeout: float = Field(default=10.0, gt=0)

    @field_validator("audience", mode="before")
    @classmethod
    def _listed(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("algorithms")
    @classmethod
    def _asymmetric(cls, value: list[str]) -> list[str]:
        bad = [a for a in value if a not in ASYMMETRIC]
        if bad or not value:
            raise ValueError(f"allowed algorithms are {', '.join(sorted(ASYMMETRIC))} (refused: {', '.join(bad)})")
        return value


class AuthSettings(BaseModel):
    """Who may do what. With nothing configured, anonymous clients may read and nothing else."""

    anonymous_roles: list[Role] = Field(default_factory=lambda: [Role.READ])  # roles of a request with no credential
    # anonymous roles beyond `read` are refused on a non-loopback `host` unless this is set (insecure: anyone
    # reaching the port may then change data and task equipment)
    insecure_anonymous_writes_on_network: bool = False
    api_key_header: str = "X-API-Key"  # API keys are also accepted as `Authorization: Bearer <key>`
    api_keys: list[ApiKeyConfig] = Field(default_factory=list)
    basic_users: list[BasicUserConfig] = Field(default_factory=list)
    oidc: list[OidcIssuerConfig] = Field(default_factory=list)
    realm: str = Field(default="csapi-bridge", pattern=r'^[^"\\]{1,64}$')

    @property
    def configured(self) -> bool:
        """Whether any kind of credential is configured."""
        return bool(self.api_keys or self.basic_users or self.oidc)

    @property
    def anonymous_writes(self) -> bool:
        """Whether anonymous clients were given a role beyond `read` (the explicit opt-in)."""
        return bool(WRITE_ROLES.intersection(self.anonymous_roles))


class CorsSettings(BaseModel):
    """Cross-origin requests from browser applications of other origins: off unless `origins` lists some."""

    origins: list[str] = Field(default_factory=list)  # e.g. ["https://app.example.org"]; "*" for any
    methods: list[str] = Field(default_factory=lambda: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"])
    headers: list[str] = Field(
        default_factory=lambda: ["Authorization", "Content-Type", "Accept", "Idempotency-Key", "X-API-Key"]
    )
    max_age: int = Field(default=600, ge=0, le=86400)  # seconds a browser may cache a preflight answer
