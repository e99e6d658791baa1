"""SensorThings error bodies -> `StaError`, and the JSON GET/POST used by the reader."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import orjson

from bridge.errors import UpstreamError
from bridge.sources.http import HttpError, PoliteClient

JSON_HEADERS = {"Accept": "application/json"}


class StaError(HttpError):
    """A SensorThings server answered an error status; `server_message` is its own explanation."""

    def __init__(self, message: str, *, url: str, status: int | None, server_message: str | None, body: bytes) -> None:
        super().__init__(message, url=url, status=status, body=body)
        self.server_message = server_message


def server_message(body: bytes) -> str | None:
    """The message of an STA error body: istSOS/FROST `{code,type,message}`, Django `{detail}`, or text."""
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        snippet = body[:300].decode("utf-8", "replace").strip()
        return snippet or None
    if isinstance(doc, dict):
        for key in ("message", "detail", "error", "description"):
            value = doc.get(key)
            if isinstance(value, dict):
                value = value.get("message") or value.get("detail")
            if isinstance(value, list):
                value = "; ".join(str(v.get("msg", v)) if isinstance(v, dict) else str(v) for v in value)
            if value:
                return str(value)
    return None


def error_from_response(response: httpx.Response) -> StaError:
    """Build the StaError for a >= 400 response."""
    message = server_message(response.content)
    url = str(response.request.url)
    text = f"SensorThings server answered HTTP {response.status_code} for {url}"
    if message:
        text += f": {message}"
    return StaError(text, url=url, status=response.status_code, server_message=message, body=response.content[:2000])


def decode_json(response: httpx.Response) -> Any:
    """Decode a JSON body or raise UpstreamError naming the URL."""
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError as exc:
        raise UpstreamError(f"SensorThings response from {response.request.url} is not JSON") from exc


async def get_json(
    client: PoliteClient,
    url: str,
    params: Mapping[str, str] | None = None,
    *,
    retry: bool = True,
) -> Any:
    """GET a JSON document; error statuses become StaError with the server's message."""
    response = await client.get(
        url,
        params=dict(params) if params else None,
        headers=JSON_HEADERS,
        retry=retry,
        raise_for_status=False,
    )
    if response.status_code >= 400:
        raise error_from_response(response)
    return decode_json(response)


async def post_json(client: PoliteClient, url: str, body: Any) -> httpx.Response:
    """POST a JSON body (not retried: creating twice is worse than failing); errors -> StaError."""
    response = await client.post(url, json=body, headers=JSON_HEADERS, retry=False, raise_for_status=False)
    if response.status_code >= 400:
        raise error_from_response(response)
    return response
