"""`/controlstreams/{id}/commands` upgraded to a WebSocket: the commands of the control stream as they are stored
(from HTTP, another socket, an import), and submission of the commands the client sends, through the same pipeline
as `POST /controlstreams/{id}/commands` (validation, forwarding to the legacy service, status reports)."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import APIRouter
from starlette.websockets import WebSocket

from bridge import swe
from bridge.api.auth import Role, access_of, principal_of
from bridge.api.bodies import parse_json, size_limit
from bridge.api.encodings.commands import command_from_record, command_to_record, decode_command, encode_command
from bridge.api.encodings.streams import stream_schema
from bridge.api.links import LinkContext
from bridge.api.live.frames import frame_message
from bridge.api.live.socket import (
    REFUSED,
    Close,
    check_params,
    close_for,
    deny,
    receive_frames,
    run,
    watch_overflow,
)
from bridge.api.live.tail import LiveTail, Subscription, Table, app_tail
from bridge.api.media import JSON, negotiate
from bridge.errors import BridgeError, InvalidBody, InvalidParameter, PayloadTooLarge
from bridge.model.commands import KeyedCommand
from bridge.model.csapi import Command, ControlStream, Kind
from bridge.model.stream_schema import StreamSchema
from bridge.settings import Settings
from bridge.store.base import Store

router = APIRouter()
PARAMS = {"f", "cmdFormat"}
FORMATS = [JSON, swe.SWE_JSON, swe.SWE_CSV, swe.SWE_TEXT, swe.SWE_BINARY]


def command_table(store: Store) -> Table[KeyedCommand]:
    """The commands table: rows grouped by control stream (feasibility requests by none: they are not streamed)."""

    def stream_of(row: KeyedCommand) -> Hashable:
        return None if row.command.feasibility else row.command.controlstream_id

    return Table(store.tail_commands, store.recent_command_keys, stream_of, store.on_commit)


def command_tail(app: Any) -> LiveTail[KeyedCommand]:
    """The app's command tail (made on first use; stopped with the app)."""
    return app_tail(app, "commands", command_table)


@dataclass(slots=True)
class CommandPlan:
    """A command socket's control stream, schema and format."""

    stream: ControlStream
    schema: StreamSchema
    media_type: str
    links: LinkContext

    def encode(self) -> Callable[[list[KeyedCommand]], list[Any]]:
        """The frame encoder of this socket's format: JSON `command.json` or SWE records, one per frame (SWE
        CSV/text and binary: the commands stored together in one frame)."""
        if self.media_type == JSON:
            ctx = self.links
            return lambda rows: [orjson.dumps(encode_command(r.command, ctx, True)).decode() for r in rows]
        codec, schema = self.schema.codec(self.media_type), self.schema
        if self.media_type == swe.SWE_JSON:
            return lambda rows: [codec.encode_record(command_to_record(r.command, schema)).decode() for r in rows]
        whole = self.media_type == swe.SWE_BINARY
        return lambda rows: [
            (lambda body: body if whole else body.decode())(
                b"".join(codec.encode([command_to_record(r.command, schema) for r in rows]))
            )
        ]

    def decode(self, data: bytes, settings: Settings) -> list[Command]:
        """The commands of a frame (JSON: one command or an array; SWE: records), validated as a POST's."""
        if self.media_type == JSON:
            body = parse_json(data, settings.limits, "the frame")
            if isinstance(body, list):
                return [decode_command(b, self.stream, self.schema, i + 1) for i, b in enumerate(body)]
            return [decode_command(body, self.stream, self.schema)]
        try:
            records = self.schema.codec(self.media_type).decode(data)
        except swe.SweDecodeError as exc:
            raise InvalidBody(f"invalid {self.media_type} frame: {exc}") from None
        return [command_from_record(r, self.schema, self.stream, i) for i, r in enumerate(records)]


def _links(websocket: WebSocket, settings: Settings) -> LinkContext:
    root = settings.base_url or str(websocket.base_url).rstrip("/").replace("ws", "http", 1)
    return LinkContext(root=root, path=websocket.url.path)


async def _plan(websocket: WebSocket, store: Store, cs_id: str) -> CommandPlan:
    params = websocket.query_params
    check_params(params, PARAMS)
    stream = await store.get_stream(Kind.CONTROL_STREAM, cs_id)
    assert isinstance(stream, ControlStream)
    schema = stream_schema(stream)
    offered = [m for m in FORMATS if m in schema.formats or (m == swe.SWE_TEXT and len(schema.formats) > 1)]
    wanted, name = params.get("f"), "f"
    if wanted is None and params.get("cmdFormat") is not None:
        wanted, name = params["cmdFormat"], "cmdFormat"
    try:
        media_type = negotiate(websocket, offered, wanted)
    except InvalidParameter as exc:
        raise InvalidParameter(name, exc.description.split(": ", 1)[-1]) from None
    return CommandPlan(stream, schema, media_type, _links(websocket, websocket.app.state.settings))


@router.websocket("/controlstreams/{controlStreamId}/commands")
async def command_socket(websocket: WebSocket, controlStreamId: str) -> None:
    """WebSocket `/controlstreams/{id}/commands`: live commands of the control stream, submission of commands."""
    app = websocket.app
    store: Store = app.state.store
    try:
        plan = await _plan(websocket, store, controlStreamId)
    except BridgeError as exc:
        await deny(websocket, exc)
        return
    settings: Settings = app.state.settings
    tail = command_tail(app)
    sub = await tail.subscribe(plan.stream.id, settings.websocket.buffer)
    try:
        await websocket.accept()
        await run(websocket, _send(websocket, plan, sub), _receive(websocket, store, plan), watch_overflow(sub))
    finally:
        tail.unsubscribe(sub)


async def _send(websocket: WebSocket, plan: CommandPlan, sub: Subscription[KeyedCommand]) -> None:
    encode = plan.encode()
    while True:
        batch = await sub.next()
        for frame in batch.frames(plan.media_type, encode):
            await websocket.send(frame_message(frame))


async def _authorize(websocket: WebSocket, store: Store, cs_id: str) -> None:
    """Close (1008) unless the socket's principal may task this control stream (`command`, and its restrictions)."""
    principal = principal_of(websocket.scope)
    if principal is None:
        raise Close(REFUSED, "no principal was authenticated for this socket")
    access = access_of(websocket.app)
    path = f"/controlstreams/{cs_id}/commands"
    try:
        await access.authorize(principal, Role.COMMAND, store, access.table.match("POST", path))
    except BridgeError as exc:
        raise close_for(exc) from None


async def _receive(websocket: WebSocket, store: Store, plan: CommandPlan) -> None:
    """Submit every frame the client sends, as a POST of that body in the socket's format (needs `command`)."""
    settings: Settings = websocket.app.state.settings
    name, maximum = size_limit(settings.limits, plan.media_type)

    async def submit(data: bytes, binary: bool) -> None:
        await _authorize(websocket, store, plan.stream.id)
        try:
            if len(data) > maximum:
                raise PayloadTooLarge(name, maximum, f"a frame of {len(data)} bytes")
            if not data.strip():
                raise InvalidBody("the frame is empty")
            for command in plan.decode(data, settings):
                await websocket.app.state.pipeline.submit(plan.stream, command, None)
        except BridgeError as exc:
            raise close_for(exc) from None

    await receive_frames(websocket, submit)
