"""Opaque keyset paging tokens: base64url JSON carrying the boundary key of a page."""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from bridge.errors import InvalidParameter

TOKEN_PARAM = "cursor"


def encode_token(**key: Any) -> str:
    """Encode a page boundary, e.g. `encode_token(after=1234)`."""
    raw = orjson.dumps(key, option=orjson.OPT_SORT_KEYS)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_token(token: str, *required: str) -> dict[str, Any]:
    """Decode a token produced by `encode_token`; a forged or stale token is a 400 on `cursor`."""
    try:
        padded = token + "=" * (-len(token) % 4)
        data = orjson.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise InvalidParameter(TOKEN_PARAM, "not a paging token issued by this server") from None
    if not isinstance(data, dict) or not any(k in data for k in required):
        raise InvalidParameter(TOKEN_PARAM, "not a paging token issued by this server")
    return data
