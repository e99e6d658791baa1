"""Observation frames of the WebSocket streams: one format per socket, negotiated like the HTTP reads.

| format | frame | content |
|---|---|---|
| `application/json` (default) | text | one observation (`observation.json`, with its `id`) |
| `application/swe+json` | text | one SWE record |
| `application/swe+csv`, `application/swe+text` | text | one or more whole records, one per line |
| `application/swe+binary` | binary | one or more whole records |

Frames sent to a client and frames it sends (ingestion) use the socket's format.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson

from bridge import swe
from bridge.api.encodings.observations import ObservationCodec
from bridge.api.media import JSON
from bridge.model.observations import StoredObservation

Frames = list[Any]  # str (text frame) or bytes (binary frame)


def encoder(codec: ObservationCodec, media_type: str) -> Callable[[list[StoredObservation]], Frames]:
    """The function turning rows of the codec's datastream into frames of `media_type`."""
    if media_type == JSON:
        to_json = codec.to_json
        return lambda rows: [orjson.dumps(to_json(r)).decode() for r in rows]
    records = codec.schema.codec(media_type)
    to_record = codec.to_record
    if media_type == swe.SWE_JSON:
        return lambda rows: [records.encode_record(to_record(r)).decode() for r in rows]
    if media_type == swe.SWE_BINARY:
        return lambda rows: [b"".join(records.encode([to_record(r) for r in rows]))]
    return lambda rows: [b"".join(records.encode([to_record(r) for r in rows])).decode()]


def frame_message(frame: Any) -> dict[str, Any]:
    """The ASGI message sending one frame (text for str, binary for bytes)."""
    if isinstance(frame, bytes):
        return {"type": "websocket.send", "bytes": frame}
    return {"type": "websocket.send", "text": frame}
