"""Commands (Part 2 `/conf/controlstream`, §5.3); their status reports and results are in `command_reports`."""

import contextlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import Response, StreamingResponse

from bridge import swe
from bridge.api.bodies import IdempotencyKey, decode, json_body, read_body
from bridge.api.deps import LinksDep, TaskingStoreDep, patch_body
from bridge.api.dynamic_queries import command_query
from bridge.api.encodings.commands import (
    command_from_record,
    command_to_record,
    decode_command,
    encode_command,
    encode_status,
)
from bridge.api.encodings.streams import stream_schema
from bridge.api.links import LinkContext, paging_links
from bridge.api.media import JSON, canonical, negotiate
from bridge.api.params import FParam
from bridge.api.responses import json_response, openapi_content
from bridge.api.routes.command_reports import PipelineDep
from bridge.api.routes.command_reports import router as reports_router
from bridge.api.routes.features import merge_patch
from bridge.commands.base import CancelNotSupported
from bridge.commands.pipeline import CommandPipeline
from bridge.errors import Conflict, InvalidBody, NotFound, UnsupportedMediaType
from bridge.model.csapi import Command, CommandStatus, ControlStream, Kind, StatusCode
from bridge.model.query import CommandQuery, StatusQuery
from bridge.store.base import TaskingStore
from bridge.store.tokens import TOKEN_PARAM

router = APIRouter(tags=["Commands"])
IdPath = Annotated[str, Path(description="Local identifier of the command")]
CsIdPath = Annotated[str, Path(alias="controlStreamId", description="Local identifier of the control stream")]
CmdQuery = Annotated[CommandQuery, Depends(command_query)]
WRITE_FORMATS = [JSON, swe.SWE_JSON, swe.SWE_CSV, swe.SWE_BINARY]
READ_FORMATS = [*WRITE_FORMATS, swe.SWE_TEXT]


async def _stream(store: TaskingStore, cs_id: str) -> ControlStream:
    stream = await store.get_stream(Kind.CONTROL_STREAM, cs_id)
    assert isinstance(stream, ControlStream)
    return stream


async def list_commands(
    store: TaskingStore,
    request: Request,
    ctx: LinkContext,
    query: CommandQuery,
    f: str | None,
    stream: ControlStream | None,
) -> Response:
    """A page of commands in JSON, or (one control stream) in a SWE format with the next page in a `Link` header."""
    offered = READ_FORMATS if stream is not None else [JSON]
    media_type = negotiate(request, offered, f)
    page = await store.list_commands(query)
    if media_type != JSON and stream is not None:
        schema = stream_schema(stream)
        records = [command_to_record(c, schema) for c in page.items]
        headers = {}
        if page.next_token:
            headers["Link"] = f'<{ctx.with_params(**{TOKEN_PARAM: page.next_token})}>; rel="next"'
        return StreamingResponse(schema.codec(media_type).encode(records), media_type=media_type, headers=headers)
    items = [encode_command(c, ctx, canonical_view=False) for c in page.items]
    links = paging_links(ctx, page.next_token, page.prev_token, JSON, {JSON: "json"})
    return json_response({"items": items, "links": links}, media_type)


@router.get("/commands", summary="All commands")
async def all_commands(
    request: Request, store: TaskingStoreDep, ctx: LinksDep, query: CmdQuery, f: FParam = None
) -> Response:
    """`GET /commands`: commands of every control stream in JSON, filtered and keyset-paged."""
    return await list_commands(store, request, ctx, query, f, None)


@router.get(
    "/controlstreams/{controlStreamId}/commands",
    summary="Commands of a control stream (JSON or SWE Common)",
    responses={200: {"content": openapi_content(*READ_FORMATS)}},
)
async def stream_commands(
    request: Request, store: TaskingStoreDep, ctx: LinksDep, cs_id: CsIdPath, query: CmdQuery, f: FParam = None
) -> Response:
    """`GET /controlstreams/{id}/commands`: the stream's commands in JSON or a SWE Common format."""
    stream = await _stream(store, cs_id)
    query.controlstream_id = cs_id
    return await list_commands(store, request, ctx, query, f, stream)


async def _decode_commands(request: Request, stream: ControlStream) -> tuple[list[Command], bool]:
    schema = stream_schema(stream)
    media_type = swe.canonical_media_type(canonical(request.headers.get("content-type", "")) or JSON)
    if media_type in (swe.SWE_JSON, swe.SWE_CSV, swe.SWE_TEXT, swe.SWE_BINARY):
        body = await read_body(request, media_type)
        try:
            records = await decode(request, len(body), schema.codec(media_type).decode, body)
        except swe.SweDecodeError as exc:
            raise InvalidBody(f"invalid {media_type} body: {exc}") from None
        return [command_from_record(r, schema, stream, i) for i, r in enumerate(records)], False
    if media_type not in (JSON, "", "text/xml", "application/xml", "text/plain", "application/cmd+json"):
        raise UnsupportedMediaType(f"commands are accepted as {', '.join(WRITE_FORMATS)}")
    body = await json_body(request)
    if isinstance(body, list):
        return [decode_command(b, stream, schema, i + 1) for i, b in enumerate(body)], False
    return [decode_command(body, stream, schema)], True


@router.post(
    "/controlstreams/{controlStreamId}/commands",
    summary="Send commands (forwarded to the legacy service behind the stream, if any)",
    status_code=201,
    openapi_extra={"requestBody": {"required": True, "content": openapi_content(*WRITE_FORMATS)}},
)
async def post_commands(
    request: Request,
    store: TaskingStoreDep,
    pipeline: PipelineDep,
    ctx: LinksDep,
    cs_id: CsIdPath,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """`POST /controlstreams/{id}/commands`: one command or many (JSON or SWE), forwarded to the legacy service."""
    stream = await _stream(store, cs_id)
    commands, single = await _decode_commands(request, stream)
    stored: list[Command] = []
    for i, command in enumerate(commands):
        key = idempotency_key if len(commands) == 1 else (f"{idempotency_key}#{i}" if idempotency_key else None)
        done, _ = await pipeline.submit(stream, command, key)
        stored.append(done)
    if single:
        command = stored[0]
        location = ctx.href(f"/commands/{command.id}")
        if not stream.is_async and command.current_status.is_final:
            report = (await store.list_status(StatusQuery(command_id=command.id, limit=1000))).items[-1]
            return json_response(encode_status(report, ctx), JSON, 201, {"Location": location})
        return Response(status_code=201, headers={"Location": location})
    items = [ctx.href(f"/commands/{c.id}") for c in stored]
    return json_response({"items": items}, JSON, 201)


@router.get("/commands/{id}", summary="One command")
async def get_command(
    request: Request, store: TaskingStoreDep, ctx: LinksDep, id: IdPath, f: FParam = None
) -> Response:
    """`GET /commands/{id}`: one command with its currentStatus and parameters."""
    media_type = negotiate(request, [JSON], f)
    return json_response(encode_command(await store.get_command(id, feasibility=False), ctx, True), media_type)


async def _update(store: TaskingStore, pipeline: CommandPipeline, cmd_id: str, params: Any) -> Response:
    current = await store.get_command(cmd_id, feasibility=False)
    stream = await _stream(store, current.controlstream_id)
    updated = decode_command({"parameters": params, "samplingFeature@id": current.sampling_feature_id}, stream,
                             stream_schema(stream))  # fmt: skip
    current.parameters = updated.parameters
    if current.current_status.is_final:
        raise Conflict(f"command {cmd_id} is {current.current_status.value}; it can no longer be changed")
    await pipeline.update(stream, current)  # forwarded first: an update the legacy service refuses changes nothing
    await store.replace_command(current)
    return Response(status_code=204)


@router.put("/commands/{id}", summary="Replace the parameters of an unfinished command (SPS Update)", status_code=204)
async def put_command(request: Request, store: TaskingStoreDep, pipeline: PipelineDep, id: IdPath) -> Response:
    """`PUT /commands/{id}`: new parameters for an unfinished command, forwarded first (SPS Update; 409 once final)."""
    body = await json_body(request)
    if not isinstance(body, dict) or "parameters" not in body:
        raise InvalidBody("$.parameters is required")
    return await _update(store, pipeline, id, body["parameters"])


@router.patch("/commands/{id}", summary="Update the parameters of an unfinished command (merge patch)", status_code=204)
async def patch_command(request: Request, store: TaskingStoreDep, pipeline: PipelineDep, id: IdPath) -> Response:
    """`PATCH /commands/{id}`: merge-patch the parameters of an unfinished command, forwarded like a PUT."""
    body = await patch_body(request)
    current = await store.get_command(id, feasibility=False)
    return await _update(store, pipeline, id, merge_patch(current.parameters, body.get("parameters", {})))


@router.delete(
    "/commands/{id}", summary="Delete a command (an unfinished one is canceled upstream first)", status_code=204
)
async def delete_command(store: TaskingStoreDep, pipeline: PipelineDep, id: IdPath) -> Response:
    """`DELETE /commands/{id}`: an unfinished command is canceled upstream first, then the record goes."""
    return await _delete(store, pipeline, id)


async def _delete(store: TaskingStore, pipeline: CommandPipeline, cmd_id: str) -> Response:
    command = await store.get_command(cmd_id, feasibility=False)
    if not command.current_status.is_final:
        stream = await _stream(store, command.controlstream_id)
        report = CommandStatus(command_id=cmd_id, status_code=StatusCode.CANCELED, message="canceled by deletion")
        with contextlib.suppress(CancelNotSupported):  # nothing upstream can be stopped; the record still goes
            await pipeline.cancel(stream, command, report)
    await store.delete_command(cmd_id)
    return Response(status_code=204)


# `/controlstreams/{csId}/commands/{id}`: the same command, off its canonical URL (CRD/UPD paths) ------------
async def _owned(store: TaskingStore, cs_id: str, cmd_id: str) -> Command:
    command = await store.get_command(cmd_id, feasibility=False)
    if command.controlstream_id != cs_id:
        raise NotFound(f"command '{cmd_id}' does not belong to control stream '{cs_id}'")
    return command


@router.get("/controlstreams/{controlStreamId}/commands/{id}", summary="One command of a control stream")
async def get_stream_command(
    request: Request, store: TaskingStoreDep, ctx: LinksDep, cs_id: CsIdPath, id: IdPath, f: FParam = None
) -> Response:
    """`GET /controlstreams/{csId}/commands/{id}`: a command of that stream, with a `canonical` Link header."""
    media_type = negotiate(request, [JSON], f)
    command = await _owned(store, cs_id, id)
    headers = {"Link": f'<{ctx.href(f"/commands/{id}")}>; rel="canonical"'}
    return json_response(encode_command(command, ctx, False), media_type, headers=headers)


@router.put("/controlstreams/{controlStreamId}/commands/{id}", summary="Replace a command", status_code=204)
async def put_stream_command(
    request: Request, store: TaskingStoreDep, pipeline: PipelineDep, cs_id: CsIdPath, id: IdPath
) -> Response:
    """`PUT /controlstreams/{csId}/commands/{id}`: `PUT /commands/{id}` for a command of that stream (else 404)."""
    await _owned(store, cs_id, id)
    return await put_command(request, store, pipeline, id)


@router.patch("/controlstreams/{controlStreamId}/commands/{id}", summary="Update a command", status_code=204)
async def patch_stream_command(
    request: Request, store: TaskingStoreDep, pipeline: PipelineDep, cs_id: CsIdPath, id: IdPath
) -> Response:
    """`PATCH /controlstreams/{csId}/commands/{id}`: `PATCH /commands/{id}` for a command of that stream."""
    await _owned(store, cs_id, id)
    return await patch_command(request, store, pipeline, id)


@router.delete("/controlstreams/{controlStreamId}/commands/{id}", summary="Delete a command", status_code=204)
async def delete_stream_command(store: TaskingStoreDep, pipeline: PipelineDep, cs_id: CsIdPath, id: IdPath) -> Response:
    """`DELETE /controlstreams/{csId}/commands/{id}`: `DELETE /commands/{id}` for a command of that stream."""
    await _owned(store, cs_id, id)
    return await _delete(store, pipeline, id)


router.include_router(reports_router)
