"""Command feasibility (Part 2 `/conf/feasibility`, §6): feasibility requests are commands of a stream's
feasibility channel, stored with `feasibility=True` and forwarded like commands (SPS GetFeasibility).

`/controlstreams/{id}/feasibility` (GET, POST), `/feasibility`, `/feasibility/{id}`, its `status` and
`result` sub-resources. The verdict is a COMPLETED status report plus an inline result (`data`).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Request
from starlette.responses import Response

from bridge.api.bodies import json_body
from bridge.api.deps import LinksDep, SettingsDep, TaskingStoreDep
from bridge.api.dynamic_queries import command_query, status_query
from bridge.api.encodings.commands import decode_command, encode_command, encode_result, encode_status
from bridge.api.encodings.streams import stream_schema
from bridge.api.links import LinkContext, paging_links
from bridge.api.media import JSON, negotiate
from bridge.api.params import CursorParam, FParam, LimitParam, clamp_limit
from bridge.api.responses import json_response
from bridge.api.routes.command_reports import PipelineDep, result_listing, status_listing
from bridge.errors import NotFound
from bridge.model.csapi import ControlStream, Kind
from bridge.model.query import CommandQuery, StatusQuery
from bridge.store.base import TaskingStore

router = APIRouter(tags=["Feasibility"])
IdPath = Annotated[str, Path(description="Local identifier of the feasibility request")]
CsIdPath = Annotated[str, Path(alias="controlStreamId", description="Local identifier of the control stream")]
CmdQuery = Annotated[CommandQuery, Depends(command_query)]
StQuery = Annotated[StatusQuery, Depends(status_query)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", description="Makes a retried POST a no-op")]
BASE = "feasibility"


async def _stream(store: TaskingStore, cs_id: str) -> ControlStream:
    stream = await store.get_stream(Kind.CONTROL_STREAM, cs_id)
    assert isinstance(stream, ControlStream)
    return stream


async def _listing(
    request: Request, store: TaskingStore, ctx: LinkContext, query: CommandQuery, f: str | None
) -> Response:
    media_type = negotiate(request, [JSON], f)
    query.feasibility = True
    page = await store.list_commands(query)
    items = [encode_command(c, ctx, canonical_view=False) for c in page.items]
    links = paging_links(ctx, page.next_token, page.prev_token, JSON, {JSON: "json"})
    return json_response({"items": items, "links": links}, media_type)


@router.get("/feasibility", summary="All feasibility requests")
async def all_feasibility(
    request: Request, store: TaskingStoreDep, ctx: LinksDep, query: CmdQuery, f: FParam = None
) -> Response:
    """`GET /feasibility`: feasibility requests of every control stream, filtered and keyset-paged."""
    return await _listing(request, store, ctx, query, f)


@router.get("/controlstreams/{controlStreamId}/feasibility", summary="Feasibility requests of a control stream")
async def stream_feasibility(
    request: Request, store: TaskingStoreDep, ctx: LinksDep, cs_id: CsIdPath, query: CmdQuery, f: FParam = None
) -> Response:
    """`GET /controlstreams/{id}/feasibility`: the feasibility requests of one control stream."""
    await _stream(store, cs_id)
    query.controlstream_id = cs_id
    return await _listing(request, store, ctx, query, f)


@router.post(
    "/controlstreams/{controlStreamId}/feasibility",
    summary="Ask whether a command would be feasible (forwarded to the legacy service, e.g. SPS GetFeasibility)",
    status_code=201,
)
async def post_feasibility(
    request: Request, store: TaskingStoreDep, pipeline: PipelineDep, ctx: LinksDep, cs_id: CsIdPath,
    idempotency_key: IdempotencyKey = None,
) -> Response:  # fmt: skip
    """`POST /controlstreams/{id}/feasibility`: ask whether a command is feasible (e.g. SPS GetFeasibility upstream)."""
    stream = await _stream(store, cs_id)
    request_cmd = decode_command(await json_body(request), stream, stream_schema(stream))
    request_cmd.feasibility = True
    key = f"feasibility:{idempotency_key}" if idempotency_key else None
    stored, _ = await pipeline.submit(stream, request_cmd, key)
    return Response(status_code=201, headers={"Location": ctx.href(f"/{BASE}/{stored.id}")})


@router.get("/feasibility/{id}", summary="One feasibility request")
async def get_feasibility(
    request: Request, store: TaskingStoreDep, ctx: LinksDep, id: IdPath, f: FParam = None
) -> Response:
    """`GET /feasibility/{id}`: one feasibility request with its currentStatus."""
    media_type = negotiate(request, [JSON], f)
    return json_response(encode_command(await store.get_command(id, feasibility=True), ctx, True), media_type)


@router.get("/controlstreams/{controlStreamId}/feasibility/{id}", summary="One feasibility request of a stream")
async def get_stream_feasibility(
    request: Request, store: TaskingStoreDep, ctx: LinksDep, cs_id: CsIdPath, id: IdPath, f: FParam = None
) -> Response:
    """`GET /controlstreams/{csId}/feasibility/{id}`: a feasibility request of that stream (else 404)."""
    media_type = negotiate(request, [JSON], f)
    found = await store.get_command(id, feasibility=True)
    if found.controlstream_id != cs_id:
        raise NotFound(f"feasibility request '{id}' does not belong to control stream '{cs_id}'")
    return json_response(encode_command(found, ctx, False), media_type)


@router.get("/feasibility/{id}/status", summary="Status reports of a feasibility request")
async def feasibility_status(
    request: Request, store: TaskingStoreDep, ctx: LinksDep, id: IdPath, query: StQuery, f: FParam = None
) -> Response:
    """`GET /feasibility/{id}/status`: the status reports of a feasibility request."""
    media_type = negotiate(request, [JSON], f)
    await store.get_command(id, feasibility=True)
    return await status_listing(store, ctx, id, query, media_type, BASE)


@router.get("/feasibility/{id}/status/{statusId}", summary="One status report of a feasibility request")
async def feasibility_status_report(
    request: Request, store: TaskingStoreDep, ctx: LinksDep, id: IdPath,
    status_id: Annotated[str, Path(alias="statusId")], f: FParam = None,
) -> Response:  # fmt: skip
    """`GET /feasibility/{id}/status/{statusId}`: one status report of a feasibility request."""
    media_type = negotiate(request, [JSON], f)
    await store.get_command(id, feasibility=True)
    return json_response(encode_status(await store.get_status(id, status_id), ctx, BASE), media_type)


@router.get("/feasibility/{id}/result", summary="Result of a feasibility request (the verdict)")
async def feasibility_results(
    request: Request, store: TaskingStoreDep, settings: SettingsDep, ctx: LinksDep, id: IdPath,
    limit: LimitParam = None, cursor: CursorParam = None, f: FParam = None,
) -> Response:  # fmt: skip
    """`GET /feasibility/{id}/result`: the results of a feasibility request (the verdict)."""
    media_type = negotiate(request, [JSON], f)
    await store.get_command(id, feasibility=True)
    size = clamp_limit(limit or settings.default_limit, settings.max_limit)
    return await result_listing(store, ctx, id, size, cursor, media_type, BASE)


@router.get("/feasibility/{id}/result/{resultId}", summary="One result of a feasibility request")
async def feasibility_result(
    request: Request, store: TaskingStoreDep, ctx: LinksDep, id: IdPath,
    result_id: Annotated[str, Path(alias="resultId")], f: FParam = None,
) -> Response:  # fmt: skip
    """`GET /feasibility/{id}/result/{resultId}`: one result of a feasibility request."""
    media_type = negotiate(request, [JSON], f)
    await store.get_command(id, feasibility=True)
    return json_response(encode_result(await store.get_result(id, result_id), ctx, BASE), media_type)
