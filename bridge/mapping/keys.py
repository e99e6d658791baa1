"""Legacy keys of observation rows: `stable_key(f"{source}/Observation/{identity}")`, for every protocol.

A stored row is recognised on re-harvest by its key, so the digests never change (tests pin them). Row mappers
key many rows under one constant prefix (the source; for SOS also procedure, property and feature), so the SHA-1
state after the prefix is made once and copied for each row: the very digest of hashing the whole text.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable

_signed = struct.Struct(">q").unpack_from  # the first 8 bytes of a digest as a signed 64-bit key, as `stable_key`


def observation_keys(source: str, scope: str = "") -> Callable[[bytes], int]:
    """`tail → stable_key(f"{source}/Observation/{scope}" + tail)` for UTF-8 `tail`s, the prefix hashed once."""
    copy = hashlib.sha1(f"{source}/Observation/{scope}".encode()).copy

    def key(tail: bytes) -> int:
        digest = copy()
        digest.update(tail)
        value: int = _signed(digest.digest())[0]
        return value

    return key
