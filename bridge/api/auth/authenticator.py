"""Authentication: the principal of a request's headers, whatever door it came through (HTTP, a WebSocket
upgrade, a page's form): an API key (`X-API-Key` or `Authorization: Bearer csb_…`), a bearer JWT of a
configured OIDC issuer, HTTP Basic, or nothing (the anonymous principal and its configured roles)."""

from __future__ import annotations

import re
from collections.abc import Mapping

import httpx

from bridge.api.auth.keys import ApiKeys, BadCredential, BasicUsers
from bridge.api.auth.oidc import Issuers
from bridge.api.auth.passwords import KEY_PREFIX
from bridge.api.auth.principal import Principal, anonymous
from bridge.auth_config import AuthSettings
from bridge.errors import Unauthorized

_UNSAFE = re.compile(r'["\\\r\n]')


class Authenticator:
    """Turns request headers into a `Principal`; raises `Unauthorized` (401, with its challenge) for a bad one."""

    def __init__(self, settings: AuthSettings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self.keys = ApiKeys(settings.api_keys)
        self.users = BasicUsers(settings.basic_users)
        self.issuers = Issuers(settings.oidc, transport)
        self.anonymous = anonymous(settings.anonymous_roles)

    def challenge(self, error: str | None = None, basic: bool = True) -> str:
        """The `WWW-Authenticate` value: Bearer (tokens and API keys), and Basic when users are configured."""
        realm = self.settings.realm
        bearer = f'Bearer realm="{realm}"'
        if error is not None:
            bearer += f', error="invalid_token", error_description="{_UNSAFE.sub(" ", error)[:200]}"'
        if basic and self.settings.basic_users:
            return f'{bearer}, Basic realm="{realm}", charset="UTF-8"'
        return bearer

    def for_request(self, exc: Unauthorized, headers: Mapping[str, str]) -> Unauthorized:
        """The 401 as a client should see it: a script's `fetch` (`Sec-Fetch-Mode` other than `navigate`) is not
        offered Basic, so the browser shows no login dialog over a page that handles the answer itself."""
        mode = headers.get("sec-fetch-mode")
        if mode is None or mode == "navigate" or not self.settings.basic_users:
            return exc
        exc.challenge = exc.challenge.split(", Basic realm=", 1)[0]
        return exc

    def missing(self, description: str) -> Unauthorized:
        """The 401 for a request that needs a credential it did not carry."""
        return Unauthorized(description, self.challenge())

    async def authenticate(self, headers: Mapping[str, str]) -> Principal:
        """The principal of a request, from its (lower- or mixed-case) headers.

        Args:
            headers: the request headers (a Starlette `Headers` or any case-insensitive mapping).
        Returns:
            The anonymous principal when no credential is given, else the credential's principal.
        Raises:
            Unauthorized: a credential was given and is not valid (unknown, wrong, revoked, expired…).
        """
        try:
            return await self._authenticate(headers)
        except BadCredential as exc:
            raise Unauthorized(f"authentication failed: {exc}", self.challenge(str(exc))) from None

    async def _authenticate(self, headers: Mapping[str, str]) -> Principal:
        api_key = headers.get(self.settings.api_key_header.lower()) or headers.get(self.settings.api_key_header)
        if api_key:
            return await self.keys.principal(api_key.strip())
        authorization = headers.get("authorization") or headers.get("Authorization")
        if not authorization:
            return self.anonymous
        scheme, _, value = authorization.strip().partition(" ")
        value = value.strip()
        if scheme.lower() == "bearer" and value:
            if value.startswith(KEY_PREFIX):
                return await self.keys.principal(value)
            return await self.issuers.principal(value)
        if scheme.lower() == "basic" and value and self.settings.basic_users:
            return await self.users.principal(value)
        accepted = "Bearer or Basic" if self.settings.basic_users else "Bearer"
        raise BadCredential(f"the Authorization header is not a {accepted} credential")  # never echo it: it may be one
