"""Request bodies within limits: size checked before the body is read whole, large bodies decoded off the event
loop (a 50 MB CSV must not stall the other requests), JSON depth and string lengths checked before anything is
stored. Every route reads its body through here (`Settings.limits` holds the numbers)."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

import anyio
import orjson
from fastapi import Header
from starlette.requests import Request

from bridge.api.media import SWE_BINARY, SWE_CSV, SWE_JSON, SWE_TEXT, canonical
from bridge.errors import InvalidBody, PayloadTooLarge
from bridge.model.json_limits import check_json
from bridge.settings import Limits

IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", max_length=200, description="Makes a retried POST a no-op: the first answer again"),
]
T = TypeVar("T")
SWE_BODIES = frozenset({SWE_JSON, SWE_CSV, SWE_TEXT, SWE_BINARY})
JSON_BODIES = frozenset(
    {
        "application/json",
        "application/geo+json",
        "application/sml+json",
        "application/merge-patch+json",
        "",  # unlabelled: read as JSON
    }
)


def limits_of(request: Request) -> Limits:
    """The limits configured for the app serving `request`."""
    limits: Limits = request.app.state.settings.limits
    return limits


def size_limit(limits: Limits, media_type: str) -> tuple[str, int]:
    """The name and value of the size limit of a body in `media_type` (canonical form)."""
    if media_type in SWE_BODIES:
        return "swe_bytes", limits.swe_bytes
    if media_type in JSON_BODIES or media_type.endswith("+json") or media_type.endswith("/xml"):
        return "json_bytes", limits.json_bytes
    return "other_bytes", limits.other_bytes


async def read_body(request: Request, media_type: str | None = None) -> bytes:
    """The raw body, refused with 413 as soon as it is known to exceed its media type's limit.

    `media_type`: how the body will be read (default: its declared Content-Type). A declared
    Content-Length over the limit is refused before anything is read; otherwise reading stops at the limit.
    """
    if media_type is None:
        media_type = canonical(request.headers.get("content-type", ""))
    name, maximum = size_limit(limits_of(request), media_type)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > maximum:
        raise PayloadTooLarge(name, maximum, f"a body of {declared} bytes")
    cached: bytes | None = getattr(request, "_body", None)
    if cached is not None:
        return cached
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > maximum:
            raise PayloadTooLarge(name, maximum, "the body")
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # later readers (request.body()) see the same bytes
    return body


async def first_byte(request: Request) -> bytes:
    """The first non-blank byte of the body (`{` for one JSON object), reading no further than it."""
    async for chunk in request.stream():
        stripped = chunk.lstrip()
        if stripped:
            return stripped[:1]
    return b""


async def decode(request: Request, size: int, work: Callable[..., T], *args: Any) -> T:
    """Run a decoding step in a worker thread when the body is large, so the event loop keeps serving."""
    if size > limits_of(request).offload_bytes:
        return await anyio.to_thread.run_sync(work, *args)
    return work(*args)


_BULK = {"loads": 0, "enabled": True}


@contextmanager
def bulk_rows(large: bool) -> Iterator[None]:
    """Around turning a large body into stored rows: the cyclic garbage collector is paused, and what it would
    walk is frozen afterwards (moved out of its generations, in constant time).

    A 50 MB CSV is two million row tuples (no reference cycles, freed by reference counting). Each full collection
    triggered while they are alive walks every one of them holding the GIL: the event loop stopped for up to a
    second at a time, and a third of the decoding time went to the collector. The previous freeze is undone when
    the next bulk load starts (its rows are gone by then), so nothing stays out of the collector's reach for long.
    Process-wide state, so nested and concurrent loads are counted; called on the event loop only.
    """
    if not large:
        yield
        return
    if _BULK["loads"] == 0:
        gc.unfreeze()
        _BULK["enabled"] = gc.isenabled()
        gc.disable()
    _BULK["loads"] += 1
    try:
        yield
    finally:
        _BULK["loads"] -= 1
        if _BULK["loads"] == 0:
            gc.freeze()
            if _BULK["enabled"]:
                gc.enable()


def parse_json(raw: bytes, limits: Limits, what: str = "the request body") -> Any:
    """Parse JSON and check its shape against the limits (400 naming the limit)."""
    if not raw.strip():
        raise InvalidBody(f"{what} is empty; a JSON document is expected")
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidBody(f"{what} is not valid JSON: {exc}") from None
    check_json(value, depth=limits.json_depth, string_length=limits.string_length, what=what)
    return value


async def json_body(request: Request) -> Any:
    """The request body as JSON within the limits, whatever its declared Content-Type (clients mislabel it)."""
    declared = canonical(request.headers.get("content-type", ""))
    raw = await read_body(request, declared if declared in JSON_BODIES else "application/json")
    return await decode(request, len(raw), parse_json, raw, limits_of(request))
