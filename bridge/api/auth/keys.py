"""API keys of machine clients and HTTP Basic users, verified against their configured scrypt hashes."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

import anyio

from bridge.api.auth.passwords import VerifiedCache, split_api_key, verify_secret
from bridge.api.auth.principal import Principal, frozen
from bridge.auth_config import ApiKeyConfig, BasicUserConfig


class BadCredential(Exception):
    """A credential that does not verify: the message says why, without repeating the credential."""


async def _verify(secret: str, stored: str) -> bool:
    """scrypt off the event loop: a wrong password must not stall the other requests."""
    return await anyio.to_thread.run_sync(verify_secret, secret, stored)


class ApiKeys:
    """The configured API keys, by id (the id is part of the key, so one hash is checked per request)."""

    def __init__(self, keys: list[ApiKeyConfig]) -> None:
        self.keys = {k.id: k for k in keys}
        self.cache = VerifiedCache()

    async def principal(self, presented: str) -> Principal:
        """The principal of an API key; raises BadCredential for an unknown, wrong, revoked or expired key."""
        parts = split_api_key(presented)
        config = self.keys.get(parts[0]) if parts else None
        if parts is None or config is None:
            raise BadCredential("unknown API key")
        if config.revoked:
            raise BadCredential(f"API key '{config.id}' is revoked")
        if config.expires is not None and config.expires.astimezone(UTC) <= datetime.now(UTC):
            raise BadCredential(f"API key '{config.id}' has expired")
        if self.cache.get(presented) != config.id:
            if not await _verify(presented, config.hash):
                raise BadCredential("unknown API key")
            self.cache.put(presented, config.id)
        return Principal(
            "apikey", config.id, frozenset(config.roles), frozen(config.controlstreams), frozen(config.collections)
        )


class BasicUsers:
    """The users of HTTP Basic authentication."""

    def __init__(self, users: list[BasicUserConfig]) -> None:
        self.users = {u.name: u for u in users}
        self.cache = VerifiedCache()

    async def principal(self, encoded: str) -> Principal:
        """The principal of a `Basic` credential (base64 `user:password`); raises BadCredential."""
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise BadCredential("malformed Basic credential") from None
        name, sep, password = decoded.partition(":")
        user = self.users.get(name)
        if not sep or user is None:
            raise BadCredential("unknown user or wrong password")
        if self.cache.get(decoded) != name:
            if not await _verify(password, user.password_hash):
                raise BadCredential("unknown user or wrong password")
            self.cache.put(decoded, name)
        return Principal("basic", name, frozenset(user.roles), frozen(user.controlstreams), frozen(user.collections))
