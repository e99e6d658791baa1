"""Status reports over WebSocket: `/controlstreams/{id}/status` (every command of the control stream) and
`/commands/{id}/status` (one command), each report as `commandStatus.json` as it is stored — by the command
pipeline, the status poller of a legacy service, or an HTTP POST of a report. These sockets take no frames."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import orjson
from fastapi import APIRouter
from starlette.websockets import WebSocket

from bridge.api.encodings.commands import encode_status
from bridge.api.links import LinkContext
from bridge.api.live.socket import Close, check_params, deny, receive_frames, run, watch_overflow
from bridge.api.live.tail import LiveTail, Subscription, Table, app_tail
from bridge.api.media import JSON, negotiate
from bridge.errors import BridgeError
from bridge.model.commands import KeyedStatus
from bridge.model.csapi import Kind
from bridge.settings import Settings
from bridge.store.base import Store

router = APIRouter()
UNSUPPORTED = 1003  # a frame sent to a socket that takes none


def status_table(store: Store) -> Table[KeyedStatus]:
    """The status reports table: rows grouped by the control stream of their command (feasibility: none)."""

    def stream_of(row: KeyedStatus) -> Hashable:
        return None if row.feasibility else row.controlstream_id

    return Table(store.tail_status, store.recent_status_keys, stream_of, store.on_commit)


def status_tail(app: Any) -> LiveTail[KeyedStatus]:
    """The app's status report tail (made on first use; stopped with the app)."""
    return app_tail(app, "status", status_table)


@router.websocket("/controlstreams/{controlStreamId}/status")
async def stream_status_socket(websocket: WebSocket, controlStreamId: str) -> None:
    """WebSocket `/controlstreams/{id}/status`: status reports of every command of the control stream, live."""
    store: Store = websocket.app.state.store
    try:
        check_params(websocket.query_params, {"f"})
        negotiate(websocket, [JSON], websocket.query_params.get("f"))
        await store.get_stream(Kind.CONTROL_STREAM, controlStreamId)
    except BridgeError as exc:
        await deny(websocket, exc)
        return
    await _follow(websocket, controlStreamId, None)


@router.websocket("/commands/{commandId}/status")
async def command_status_socket(websocket: WebSocket, commandId: str) -> None:
    """WebSocket `/commands/{id}/status`: status reports of one command, live."""
    store: Store = websocket.app.state.store
    try:
        check_params(websocket.query_params, {"f"})
        negotiate(websocket, [JSON], websocket.query_params.get("f"))
        command = await store.get_command(commandId, feasibility=False)
    except BridgeError as exc:
        await deny(websocket, exc)
        return
    await _follow(websocket, command.controlstream_id, command.id)


async def _follow(websocket: WebSocket, cs_id: str, command_id: str | None) -> None:
    settings: Settings = websocket.app.state.settings
    root = settings.base_url or str(websocket.base_url).rstrip("/").replace("ws", "http", 1)
    ctx = LinkContext(root=root, path=websocket.url.path)
    tail = status_tail(websocket.app)
    sub = await tail.subscribe(cs_id, settings.websocket.buffer)
    try:
        await websocket.accept()
        await run(
            websocket, _send(websocket, ctx, sub, command_id), receive_frames(websocket, _refuse), watch_overflow(sub)
        )
    finally:
        tail.unsubscribe(sub)


async def _refuse(data: bytes, binary: bool) -> None:
    raise Close(UNSUPPORTED, "this socket takes no frames: report a status with POST /commands/{id}/status")


async def _send(websocket: WebSocket, ctx: LinkContext, sub: Subscription[KeyedStatus], command_id: str | None) -> None:
    def encode(rows: list[KeyedStatus]) -> list[Any]:
        return [orjson.dumps(encode_status(r.status, ctx)).decode() for r in rows]

    while True:
        batch = await sub.next()
        if command_id is None:
            frames = batch.frames(JSON, encode)
        else:
            frames = encode([r for r in batch.rows if r.status.command_id == command_id])
        for frame in frames:
            await websocket.send({"type": "websocket.send", "text": frame})
