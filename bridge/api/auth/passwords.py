"""Hashes of API keys and passwords (scrypt, from the standard library), and new API keys.

Stored form: `scrypt$N$r$p$<salt>$<hash>` (base64url, no padding). Verifying one costs about as much as
hashing it (tens of milliseconds, 16 MiB), which is the point for passwords; a verified credential is
remembered for a few minutes by `VerifiedCache` so a client's next requests cost a dictionary lookup.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

N, R, P = 2**14, 8, 1  # ~16 MiB and tens of ms per hash on a server core
KEY_PREFIX = "csb_"
CACHE_SECONDS = 300.0
CACHE_ENTRIES = 4096


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=salt, n=n, r=r, p=p, maxmem=256 * 2**20, dklen=32)


def hash_secret(secret: str) -> str:
    """The stored form of a password or API key."""
    salt = secrets.token_bytes(16)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(_scrypt(secret, salt, N, R, P))}"


def verify_secret(secret: str, stored: str) -> bool:
    """Whether `secret` hashes to `stored` (constant-time comparison); False for a malformed stored hash."""
    try:
        _, n, r, p, salt, digest = stored.split("$")
        expected = _unb64(digest)
        actual = _scrypt(secret, _unb64(salt), int(n), int(r), int(p))
    except (ValueError, MemoryError):
        return False
    return hmac.compare_digest(actual, expected)


def new_api_key(key_id: str) -> str:
    """A new API key `csb_<id>_<secret>` (256 random bits); only its hash is kept in the configuration."""
    return f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"


def split_api_key(key: str) -> tuple[str, str] | None:
    """(id, secret) of a well-formed API key, else None."""
    if not key.startswith(KEY_PREFIX):
        return None
    key_id, sep, secret = key[len(KEY_PREFIX) :].partition("_")
    return (key_id, secret) if sep and key_id and secret else None


class VerifiedCache:
    """Credentials verified lately, by a keyed digest of what the client sent (never the credential itself)."""

    def __init__(self, seconds: float = CACHE_SECONDS, entries: int = CACHE_ENTRIES) -> None:
        self.seconds = seconds
        self.entries = entries
        self._pepper = secrets.token_bytes(32)
        self._seen: dict[bytes, tuple[str, float]] = {}

    def _digest(self, presented: str) -> bytes:
        return hmac.new(self._pepper, presented.encode(), hashlib.sha256).digest()

    def get(self, presented: str) -> str | None:
        """The identity `presented` was verified as, if it was within the last `seconds`."""
        hit = self._seen.get(self._digest(presented))
        if hit is None or hit[1] < time.monotonic():
            return None
        return hit[0]

    def put(self, presented: str, identity: str) -> None:
        """Remember that `presented` verified as `identity`."""
        if len(self._seen) >= self.entries:
            now = time.monotonic()
            self._seen = {k: v for k, v in self._seen.items() if v[1] >= now}
            if len(self._seen) >= self.entries:
                self._seen.clear()
        self._seen[self._digest(presented)] = (identity, time.monotonic() + self.seconds)
