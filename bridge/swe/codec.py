"""Record codecs: the common interface shared by the JSON, text and binary codecs.

A codec is compiled once per (record schema, encoding) and then streams records: `encode` yields
chunks of the body and never builds it whole; `decode` parses a body into a list of values.
Values are always in SWE Common JSON form (see `bridge.swe.values`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from typing import Any

from bridge.swe.components import Component
from bridge.swe.encodings import Encoding
from bridge.swe.errors import SweDecodeError

SWE_JSON = "application/swe+json"
SWE_CSV = "application/swe+csv"
SWE_TEXT = "application/swe+text"
SWE_BINARY = "application/swe+binary"
MEDIA_TYPE_ALIASES = {
    "application/vnd.ogc.swe+json": SWE_JSON,
    "application/vnd.ogc.swe+text": SWE_TEXT,
    "application/vnd.ogc.swe+binary": SWE_BINARY,
    "text/csv": SWE_CSV,
    "text/plain": SWE_TEXT,
}
CHUNK_RECORDS = 1024


class RecordCodec(ABC):
    """Encoder/decoder of a stream of records of one schema in one encoding."""

    media_type: str

    def __init__(self, schema: Component, encoding: Encoding) -> None:
        self.schema = schema
        self.encoding = encoding

    @abstractmethod
    def encode(self, records: Iterable[Any]) -> Iterator[bytes]:
        """Stream the encoded body of `records` in chunks (SweEncodeError names record and field)."""

    @abstractmethod
    def decode(self, data: bytes) -> list[Any]:
        """Decode a whole body into records (SweDecodeError names record index and field)."""

    def encode_record(self, record: Any) -> bytes:
        """One record encoded on its own (e.g. for a WebSocket or MQTT message)."""
        return b"".join(self.encode([record]))

    def decode_record(self, data: bytes) -> Any:
        """Decode a body holding exactly one record."""
        records = self.decode(data)
        if len(records) != 1:
            raise SweDecodeError(f"expected exactly one record, got {len(records)}")
        return records[0]


def canonical_media_type(media_type: str) -> str:
    """The bridge's media type for an alias ('text/csv' → 'application/swe+csv'); others unchanged."""
    base = media_type.split(";", 1)[0].strip().lower()
    return MEDIA_TYPE_ALIASES.get(base, base)
