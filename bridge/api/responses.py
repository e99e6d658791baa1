"""Response helpers: JSON bytes with an exact Content-Type."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response

from bridge.credentials import redact_json
from bridge.errors import BridgeError


def json_response(content: Any, media_type: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """Serialize with orjson and label with `media_type` exactly."""
    return Response(orjson.dumps(content), status_code=status, media_type=media_type, headers=headers)


def error_response(exc: BridgeError) -> Response:
    """The JSON answer of an error (`code`, `description`, `details`), with the headers it needs (a 401's
    challenge); a source credential quoted in a message is masked."""
    headers: dict[str, str] | None = getattr(exc, "headers", None)
    return json_response(redact_json(exc.to_json()), "application/json", status=exc.status, headers=headers)


def openapi_content(*media_types: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """An OpenAPI `content` map listing the media types an operation produces or accepts."""
    return {m: {"schema": schema or {"type": "object"}} for m in media_types}
