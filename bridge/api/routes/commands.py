"""Commands, status reports and results (Part 2 `/conf/controlstream`, §5.3-5.5)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Request
from starlette.responses import Response, StreamingResponse

from bridge import swe
from bridge.api.deps import LinksDep, SettingsDep, StoreDep, get_pipeline, json_body
from bridge.api.dynamic_queries import command_query, status_query
from bridge.api.encodings.commands import (
    command_from_record,
    command_to_record,
    decode_command,
    decode_result,
    decode_status,
    encode_command,
    encode_result,
    encode_status,
)
from bridge.api.encodings.streams import stream_schema
from bridge.api.links import LinkContext, paging_links
from bridge.api.media import JSON, canonical, negotiate
from bridge.api.params import CursorParam, FParam, LimitParam, clamp_limit
from bridge.api.responses import json_response, openapi_content
from bridge.api.routes.features import merge_patch
from bridge.commands.pipeline import CommandPipeline
from bridge.errors import InvalidBody, UnsupportedMediaType
from bridge.model.commands import check_report
from bridge.model.csapi import Command, CommandStatus, ControlStream, Kind, StatusCode
from bridge.model.query import CommandQuery, StatusQuery
from bridge.store.base import Store

router = APIRouter(tags=["Commands"])
IdPath = Annotated[str, Path(description="Local identifier of the command")]
CsIdPath = Annotated[str, Path(alias="controlStreamId", description="Local identifier of the control stream")]
SubIdPath = Annotated[str, Path(description="Local identifier of the report/result")]
CmdQuery = Annotated[CommandQuery, Depends(command_query)]
StQuery = Annotated[StatusQuery, Depends(status_query)]
PipelineDep = Annotated[CommandPipeline, Depends(get_pipeline)]
IdempotencyKey = Annotated[str | None, Header(alias="Idempotency-Key", description="Makes a retried POST a no-op")]
WRITE_FORMATS = [JSON, swe.SWE_JSON, swe.SWE_CSV, swe.SWE_BINARY]


async def _stream(store: Store, cs_id: str) -> ControlStream:
    stream = await store.get_stream(Kind.CONTROL_STREAM, cs_id)
    assert isinstance(stream, ControlStream)
    return stream


async def list_commands(
    store: Store, request: Request, ctx: LinkContext, query: CommandQuery, f: str | None, stream: ControlStream | None
) -> Response:
    offered = [JSON] + ([m for m in WRITE_FORMATS[1:]] if stream is not None else [])
    media_type = negotiate(request, offered, f)
    page = await store.list_commands(query)
    if media_type != JSON and stream is not None:
        schema = stream_schema(stream)
        records = [command_to_record(c, schema) for c in page.items]
        return StreamingResponse(schema.codec(media_type).encode(records), media_type=media_type)
    items = [encode_command(c, ctx, canonical_view=False) for c in page.items]
    links = paging_links(ctx, page.next_token, page.prev_token, JSON, {JSON: "json"})
    return json_response({"items": items, "links": links}, media_type)


@router.get("/commands", summary="All commands")
async def all_commands(request: Request, store: StoreDep, ctx: LinksDep, query: CmdQuery, f: FParam = None) -> Response:
    return await list_commands(store, request, ctx, query, f, None)


@router.get(
    "/controlstreams/{controlStreamId}/commands",
    summary="Commands of a control stream (JSON or SWE Common)",
    responses={200: {"content": openapi_content(*WRITE_FORMATS)}},
)
async def stream_commands(
    request: Request, store: StoreDep, ctx: LinksDep, cs_id: CsIdPath, query: CmdQuery, f: FParam = None
) -> Response:
    stream = await _stream(store, cs_id)
    query.controlstream_id = cs_id
    return await list_commands(store, request, ctx, query, f, stream)


async def _decode_commands(request: Request, stream: ControlStream) -> tuple[list[Command], bool]:
    schema = stream_schema(stream)
    media_type = swe.canonical_media_type(canonical(request.headers.get("content-type", "")) or JSON)
    if media_type in (swe.SWE_JSON, swe.SWE_CSV, swe.SWE_TEXT, swe.SWE_BINARY):
        try:
            records = schema.codec(media_type).decode(await request.body())
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
    store: StoreDep,
    pipeline: PipelineDep,
    ctx: LinksDep,
    cs_id: CsIdPath,
    idempotency_key: IdempotencyKey = None,
) -> Response:
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
async def get_command(request: Request, store: StoreDep, ctx: LinksDep, id: IdPath, f: FParam = None) -> Response:
    media_type = negotiate(request, [JSON], f)
    return json_response(encode_command(await store.get_command(id, feasibility=False), ctx, True), media_type)


async def _update(store: Store, pipeline: CommandPipeline, cmd_id: str, params: Any) -> Response:
    current = await store.get_command(cmd_id, feasibility=False)
    stream = await _stream(store, current.controlstream_id)
    updated = decode_command({"parameters": params, "samplingFeature@id": current.sampling_feature_id}, stream,
                             stream_schema(stream))  # fmt: skip
    current.parameters = updated.parameters
    await store.replace_command(current)
    await pipeline.update(stream, current)
    return Response(status_code=204)


@router.put("/commands/{id}", summary="Replace the parameters of an unfinished command (SPS Update)", status_code=204)
async def put_command(request: Request, store: StoreDep, pipeline: PipelineDep, id: IdPath) -> Response:
    body = await json_body(request)
    if not isinstance(body, dict) or "parameters" not in body:
        raise InvalidBody("$.parameters is required")
    return await _update(store, pipeline, id, body["parameters"])


@router.patch("/commands/{id}", summary="Update the parameters of an unfinished command (merge patch)", status_code=204)
async def patch_command(request: Request, store: StoreDep, pipeline: PipelineDep, id: IdPath) -> Response:
    body = await json_body(request)
    if not isinstance(body, dict):
        raise InvalidBody("a merge patch must be a JSON object")
    current = await store.get_command(id, feasibility=False)
    return await _update(store, pipeline, id, merge_patch(current.parameters, body.get("parameters", {})))


@router.delete(
    "/commands/{id}", summary="Delete a command (an unfinished one is canceled upstream first)", status_code=204
)
async def delete_command(store: StoreDep, pipeline: PipelineDep, id: IdPath) -> Response:
    command = await store.get_command(id, feasibility=False)
    if not command.current_status.is_final:
        stream = await _stream(store, command.controlstream_id)
        report = CommandStatus(command_id=id, status_code=StatusCode.CANCELED, message="canceled by deletion")
        await pipeline.cancel(stream, command, report)
    await store.delete_command(id)
    return Response(status_code=204)


@router.get("/commands/{id}/status", summary="Status reports of a command")
async def list_status(
    request: Request, store: StoreDep, ctx: LinksDep, id: IdPath, query: StQuery, f: FParam = None
) -> Response:
    media_type = negotiate(request, [JSON], f)
    query.command_id = id
    page = await store.list_status(query)
    items = [encode_status(s, ctx) for s in page.items]
    links = paging_links(ctx, page.next_token, page.prev_token, JSON, {JSON: "json"})
    return json_response({"items": items, "links": links}, media_type)


@router.post("/commands/{id}/status", summary="Add a status report (CANCELED = cancel request)", status_code=201)
async def post_status(request: Request, store: StoreDep, pipeline: PipelineDep, ctx: LinksDep, id: IdPath) -> Response:
    report = decode_status(await json_body(request), id)
    command = await store.get_command(id, feasibility=False)
    if report.status_code is StatusCode.CANCELED:
        await pipeline.cancel(await _stream(store, command.controlstream_id), command, report)
        return Response(status_code=201, headers={"Location": ctx.href(f"/commands/{id}/status")})
    problem = check_report(report.status_code, report.execution_time is not None)
    if problem:
        raise InvalidBody(problem)
    stored = await store.add_status(report)
    return Response(status_code=201, headers={"Location": ctx.href(f"/commands/{id}/status/{stored.id}")})


@router.get("/commands/{id}/status/{statusId}", summary="One status report")
async def get_status(
    request: Request, store: StoreDep, ctx: LinksDep, id: IdPath,
    status_id: Annotated[str, Path(alias="statusId")], f: FParam = None,
) -> Response:  # fmt: skip
    media_type = negotiate(request, [JSON], f)
    return json_response(encode_status(await store.get_status(id, status_id), ctx), media_type)


@router.get("/commands/{id}/result", summary="Results of a command")
async def list_results(
    request: Request, store: StoreDep, settings: SettingsDep, ctx: LinksDep, id: IdPath,
    limit: LimitParam = None, cursor: CursorParam = None, f: FParam = None,
) -> Response:  # fmt: skip
    media_type = negotiate(request, [JSON], f)
    page = await store.list_results(id, clamp_limit(limit or settings.default_limit, settings.max_limit), cursor)
    links = paging_links(ctx, page.next_token, page.prev_token, JSON, {JSON: "json"})
    return json_response({"items": [encode_result(r, ctx) for r in page.items], "links": links}, media_type)


@router.post("/commands/{id}/result", summary="Add a result to a command", status_code=201)
async def post_result(request: Request, store: StoreDep, ctx: LinksDep, id: IdPath) -> Response:
    stored = await store.add_result(decode_result(await json_body(request), id))
    return Response(status_code=201, headers={"Location": ctx.href(f"/commands/{id}/result/{stored.id}")})


@router.get("/commands/{id}/result/{resultId}", summary="One result")
async def get_result(
    request: Request, store: StoreDep, ctx: LinksDep, id: IdPath,
    result_id: Annotated[str, Path(alias="resultId")], f: FParam = None,
) -> Response:  # fmt: skip
    media_type = negotiate(request, [JSON], f)
    return json_response(encode_result(await store.get_result(id, result_id), ctx), media_type)
