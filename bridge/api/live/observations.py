"""`/datastreams/{id}/observations` upgraded to a WebSocket: the datastream's observations as they are committed
(optionally after a replay of the archive from `phenomenonTime=<start>/..`), and ingestion of the frames the
client sends, exactly like a POST of the same body."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
from fastapi import APIRouter
from starlette.websockets import WebSocket

from bridge import swe
from bridge.api.auth import Role
from bridge.api.bodies import size_limit
from bridge.api.encodings.observations import ObservationCodec
from bridge.api.encodings.streams import stream_schema
from bridge.api.live.frames import encoder, frame_message
from bridge.api.live.socket import (
    SLOW_CONSUMER,
    Close,
    authorize,
    check_params,
    close_for,
    deny,
    receive_frames,
    run,
    watch_overflow,
)
from bridge.api.live.tail import LiveTail, SlowConsumer, Subscription, app_tail, observation_table
from bridge.api.media import JSON, negotiate
from bridge.api.params import parse_time
from bridge.api.routes.observations import check_row_features
from bridge.errors import BridgeError, InvalidBody, InvalidParameter, PayloadTooLarge
from bridge.model.csapi import Datastream, Kind
from bridge.model.observations import StoredObservation
from bridge.model.query import ObservationQuery, TimeFilter
from bridge.settings import Settings
from bridge.store.base import Store

router = APIRouter()
PARAMS = {"f", "obsFormat", "phenomenonTime"}
READ_FORMATS = [JSON, swe.SWE_JSON, swe.SWE_CSV, swe.SWE_TEXT, swe.SWE_BINARY]
REPLAY_PAGE = 1000


@dataclass(slots=True)
class Plan:
    """A socket's datastream, format and replay start, checked before the upgrade is accepted."""

    ds_id: str
    ds_key: int
    codec: ObservationCodec
    media_type: str
    start: int | None  # phenomenonTime start of the replay (None: live only)

    def encode(self) -> Callable[[list[StoredObservation]], list[Any]]:
        """The frame encoder of this socket's format."""
        return encoder(self.codec, self.media_type)


ObsSubscription = Subscription[StoredObservation]


def live_tail(app: Any) -> LiveTail[StoredObservation]:
    """The app's observation tail (made on first use; `stop_live` ends it)."""
    return app_tail(app, "observations", observation_table)


async def _plan(websocket: WebSocket, store: Store, ds_id: str) -> Plan:
    params = websocket.query_params
    check_params(params, PARAMS)
    stream = await store.get_stream(Kind.DATASTREAM, ds_id)
    assert isinstance(stream, Datastream)
    codec = ObservationCodec(stream, stream_schema(stream))
    formats = codec.schema.formats
    offered = [m for m in READ_FORMATS if m in formats or (m == swe.SWE_TEXT and len(formats) > 1)]
    wanted = params.get("f")
    name = "f"
    if wanted is None and params.get("obsFormat") is not None:
        wanted, name = params["obsFormat"], "obsFormat"
    try:
        media_type = negotiate(websocket, offered, wanted)
    except InvalidParameter as exc:
        raise InvalidParameter(name, exc.description.split(": ", 1)[-1]) from None
    when: TimeFilter | None = parse_time("phenomenonTime", params.get("phenomenonTime"))
    if when is not None and (when.end is not None or when.start is None):
        raise InvalidParameter("phenomenonTime", "a live stream takes '<start>/..' (replay from start, then live)")
    return Plan(ds_id, await store.datastream_key(ds_id), codec, media_type, when.start if when else None)


@router.websocket("/datastreams/{dataStreamId}/observations")
async def observation_socket(websocket: WebSocket, dataStreamId: str) -> None:
    """WebSocket `/datastreams/{id}/observations`: live observations of the datastream (README "WebSocket")."""
    app = websocket.app
    store: Store = app.state.store
    try:
        plan = await _plan(websocket, store, dataStreamId)
    except BridgeError as exc:
        await deny(websocket, exc)
        return
    settings: Settings = app.state.settings
    tail = live_tail(app)
    sub = await tail.subscribe(plan.ds_key, settings.websocket.buffer)
    try:
        await websocket.accept()
        await run(websocket, _send(websocket, store, plan, sub), _receive(websocket, store, plan), watch_overflow(sub))
    finally:
        tail.unsubscribe(sub)


async def _send(websocket: WebSocket, store: Store, plan: Plan, sub: ObsSubscription) -> None:
    """The replay (rows the subscription will not deliver), then every batch the tail delivers."""
    encode = plan.encode()
    if plan.start is not None:
        await _replay(websocket, store, plan, sub, encode)
    start = plan.start
    while True:
        try:
            batch = await sub.next()
        except SlowConsumer as exc:
            raise Close(SLOW_CONSUMER, str(exc)) from None
        if start is not None and any(r.phenomenon_time < start for r in batch.rows):
            frames = encode([r for r in batch.rows if r.phenomenon_time >= start])
        else:
            frames = batch.frames(plan.media_type, encode)
        for frame in frames:
            await websocket.send(frame_message(frame))


async def _replay(
    websocket: WebSocket,
    store: Store,
    plan: Plan,
    sub: ObsSubscription,
    encode: Callable[[list[StoredObservation]], list[Any]],
) -> None:
    """The archive from `plan.start`, page by page, without what the subscription delivers live."""
    token: str | None = None
    when = TimeFilter(plan.start, None)
    while True:
        query = ObservationQuery(limit=REPLAY_PAGE, token=token, datastream_id=plan.ds_id, phenomenon_time=when)
        page = await store.open_observations(query)
        rows = [row async for batch in page.stream for row in batch if sub.replayed(row.pk)]
        for frame in encode(rows) if rows else ():
            await websocket.send(frame_message(frame))
        if not page.next_token:
            return
        token = page.next_token


async def _receive(websocket: WebSocket, store: Store, plan: Plan) -> None:
    """Store every frame the client sends, as a POST of that body in the socket's format (needs `write`)."""
    settings: Settings = websocket.app.state.settings
    limits = settings.limits
    name, maximum = size_limit(limits, plan.media_type)

    async def ingest(data: bytes, binary: bool) -> None:
        await authorize(websocket, Role.WRITE)
        try:
            if len(data) > maximum:
                raise PayloadTooLarge(name, maximum, f"a frame of {len(data)} bytes")
            if not data.strip():
                raise InvalidBody("the frame is empty")
            if len(data) > limits.offload_bytes:
                rows = await anyio.to_thread.run_sync(plan.codec.decode_body, plan.media_type, data, limits)
            else:
                rows = plan.codec.decode_body(plan.media_type, data, limits)
            await check_row_features(store, rows)
            await store.insert_observations(plan.ds_id, rows, want_ids=False)
        except BridgeError as exc:
            raise close_for(exc) from None

    await receive_frames(websocket, ingest)
