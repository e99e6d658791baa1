"""Status reports and results of a command (Part 2 §5.4-5.5): `/commands/{id}/status[/{sid}]`, `/result[/{rid}]`."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import Response

from bridge.api.bodies import json_body
from bridge.api.deps import LinksDep, SettingsDep, TaskingStoreDep, get_pipeline, patch_body
from bridge.api.dynamic_queries import status_query
from bridge.api.encodings.commands import decode_result, decode_status, encode_result, encode_status
from bridge.api.links import LinkContext, paging_links
from bridge.api.media import JSON, negotiate
from bridge.api.params import CursorParam, FParam, LimitParam, clamp_limit
from bridge.api.responses import json_response
from bridge.api.routes.features import merge_patch
from bridge.commands.pipeline import CommandPipeline
from bridge.errors import InvalidBody
from bridge.model.commands import check_report
from bridge.model.csapi import CommandResult, CommandStatus, ControlStream, Kind, StatusCode
from bridge.model.query import StatusQuery
from bridge.store.base import TaskingStore

router = APIRouter(tags=["Commands"])
IdPath = Annotated[str, Path(description="Local identifier of the command")]
StatusIdPath = Annotated[str, Path(alias="statusId", description="Local identifier of the status report")]
ResultIdPath = Annotated[str, Path(alias="resultId", description="Local identifier of the result")]
StQuery = Annotated[StatusQuery, Depends(status_query)]
PipelineDep = Annotated[CommandPipeline, Depends(get_pipeline)]
_STATUS_READONLY = ("id", "command@id", "links")


def _checked(report: CommandStatus) -> CommandStatus:
    """The obligations of the status table (SCHEDULED/COMPLETED carry an executionTime): 400 otherwise."""
    problem = check_report(report.status_code, report.execution_time is not None)
    if problem:
        raise InvalidBody(problem)
    return report


@router.get("/commands/{id}/status", summary="Status reports of a command")
async def list_status(
    request: Request, store: TaskingStoreDep, ctx: LinksDep, id: IdPath, query: StQuery, f: FParam = None
) -> Response:
    """`GET /commands/{id}/status`: the status reports of a command, by statusCode and reportTime (keyset-paged)."""
    return await status_listing(store, ctx, id, query, negotiate(request, [JSON], f))


async def status_listing(
    store: TaskingStore, ctx: LinkContext, cmd_id: str, query: StatusQuery, media_type: str, base: str = "commands"
) -> Response:
    """A page of a command's (or feasibility request's, `base`) status reports."""
    query.command_id = cmd_id
    page = await store.list_status(query)
    items = [encode_status(s, ctx, base) for s in page.items]
    links = paging_links(ctx, page.next_token, page.prev_token, JSON, {JSON: "json"})
    return json_response({"items": items, "links": links}, media_type)


async def result_listing(
    store: TaskingStore,
    ctx: LinkContext,
    cmd_id: str,
    limit: int,
    cursor: str | None,
    media_type: str,
    base: str = "commands",
) -> Response:
    """A page of a command's (or feasibility request's, `base`) results."""
    page = await store.list_results(cmd_id, limit, cursor)
    links = paging_links(ctx, page.next_token, page.prev_token, JSON, {JSON: "json"})
    return json_response({"items": [encode_result(r, ctx, base) for r in page.items], "links": links}, media_type)


@router.post("/commands/{id}/status", summary="Add a status report (CANCELED = cancel request)", status_code=201)
async def post_status(
    request: Request, store: TaskingStoreDep, pipeline: PipelineDep, ctx: LinksDep, id: IdPath
) -> Response:
    """`POST /commands/{id}/status`: add a report; CANCELED asks the forwarder to cancel the legacy task."""
    report = decode_status(await json_body(request), id)
    command = await store.get_command(id, feasibility=False)
    if report.status_code is StatusCode.CANCELED:
        stream = await store.get_stream(Kind.CONTROL_STREAM, command.controlstream_id)
        assert isinstance(stream, ControlStream)
        stored = await pipeline.cancel(stream, command, report)
        target = f"/commands/{id}/status/{stored.id}" if stored is not None else f"/commands/{id}/status"
        return Response(status_code=201, headers={"Location": ctx.href(target)})
    raw_results, report.results = report.results, []
    _check_results(raw_results, id)
    added = await store.add_status(_checked(report))
    if raw_results:
        added.results = await _attach_results(store, id, raw_results)
        await store.replace_status(added)
    return Response(status_code=201, headers={"Location": ctx.href(f"/commands/{id}/status/{added.id}")})


def _check_results(raw: list[Any], cmd_id: str) -> None:
    """Results carried by a report must be valid results (400 before anything is stored)."""
    for item in raw:
        decode_result(item, cmd_id)


async def _attach_results(store: TaskingStore, cmd_id: str, raw: list[Any]) -> list[dict[str, Any]]:
    """Results carried by a report become result resources of the command (`/commands/{id}/result`); the
    report embeds them as `commandResult.json` objects. A result already stored (same `id`) is kept as it is."""
    out: list[dict[str, Any]] = []
    for item in raw:
        known = item.get("id") if isinstance(item, dict) else None
        existing = [r for r in (await store.list_results(cmd_id, 10_000, None)).items if r.id == known]
        result = existing[0] if existing else await store.add_result(decode_result(item, cmd_id))
        body: dict[str, Any] = {"id": result.id, "command@id": cmd_id}
        if result.link_member:
            body[result.link_member] = result.link
        else:
            body["data"] = result.data
        out.append(body)
    return out


@router.get("/commands/{id}/status/{statusId}", summary="One status report")
async def get_status(
    request: Request, store: TaskingStoreDep, ctx: LinksDep, id: IdPath, status_id: StatusIdPath, f: FParam = None
) -> Response:
    """`GET /commands/{id}/status/{statusId}`: one status report."""
    media_type = negotiate(request, [JSON], f)
    return json_response(encode_status(await store.get_status(id, status_id), ctx), media_type)


async def _replace_status(store: TaskingStore, cmd_id: str, status_id: str, body: Any) -> Response:
    report = _checked(decode_status(body, cmd_id))
    report.id = status_id
    raw_results, report.results = report.results, []
    _check_results(raw_results, cmd_id)
    await store.replace_status(report)  # the lifecycle is checked before results are attached
    if raw_results:
        report.results = await _attach_results(store, cmd_id, raw_results)
        await store.replace_status(report)
    return Response(status_code=204)


@router.put("/commands/{id}/status/{statusId}", summary="Replace a status report", status_code=204)
async def put_status(request: Request, store: TaskingStoreDep, id: IdPath, status_id: StatusIdPath) -> Response:
    """`PUT /commands/{id}/status/{statusId}`: replace a report; the reports must stay a legal lifecycle (409)."""
    await store.get_status(id, status_id)
    return await _replace_status(store, id, status_id, await json_body(request))


@router.patch("/commands/{id}/status/{statusId}", summary="Update a status report (merge patch)", status_code=204)
async def patch_status(
    request: Request, store: TaskingStoreDep, ctx: LinksDep, id: IdPath, status_id: StatusIdPath
) -> Response:
    """`PATCH /commands/{id}/status/{statusId}`: merge-patch a report (id and links are read-only)."""
    patch = await patch_body(request)
    current = encode_status(await store.get_status(id, status_id), ctx)
    for member in _STATUS_READONLY:
        current.pop(member, None)
    return await _replace_status(store, id, status_id, merge_patch(current, patch))


@router.delete("/commands/{id}/status/{statusId}", summary="Delete a status report (not the only one)", status_code=204)
async def delete_status(store: TaskingStoreDep, id: IdPath, status_id: StatusIdPath) -> Response:
    """`DELETE /commands/{id}/status/{statusId}`: never the only report; currentStatus follows the latest."""
    await store.delete_status(id, status_id)
    return Response(status_code=204)


@router.get("/commands/{id}/result", summary="Results of a command")
async def list_results(
    request: Request, store: TaskingStoreDep, settings: SettingsDep, ctx: LinksDep, id: IdPath,
    limit: LimitParam = None, cursor: CursorParam = None, f: FParam = None,
) -> Response:  # fmt: skip
    """`GET /commands/{id}/result`: the results of a command, oldest first (keyset-paged)."""
    media_type = negotiate(request, [JSON], f)
    size = clamp_limit(limit or settings.default_limit, settings.max_limit)
    return await result_listing(store, ctx, id, size, cursor, media_type)


@router.post("/commands/{id}/result", summary="Add a result to a command", status_code=201)
async def post_result(request: Request, store: TaskingStoreDep, ctx: LinksDep, id: IdPath) -> Response:
    """`POST /commands/{id}/result`: add a result, inline `data` or exactly one `*@link`."""
    stored = await store.add_result(decode_result(await json_body(request), id))
    return Response(status_code=201, headers={"Location": ctx.href(f"/commands/{id}/result/{stored.id}")})


@router.get("/commands/{id}/result/{resultId}", summary="One result")
async def get_result(
    request: Request, store: TaskingStoreDep, ctx: LinksDep, id: IdPath, result_id: ResultIdPath, f: FParam = None
) -> Response:
    """`GET /commands/{id}/result/{resultId}`: one result of the command."""
    media_type = negotiate(request, [JSON], f)
    return json_response(encode_result(await store.get_result(id, result_id), ctx), media_type)


async def _replace_result(store: TaskingStore, cmd_id: str, result_id: str, body: Any) -> Response:
    result: CommandResult = decode_result(body, cmd_id)
    result.id = result_id
    await store.replace_result(result)
    return Response(status_code=204)


@router.put("/commands/{id}/result/{resultId}", summary="Replace a result", status_code=204)
async def put_result(request: Request, store: TaskingStoreDep, id: IdPath, result_id: ResultIdPath) -> Response:
    """`PUT /commands/{id}/result/{resultId}`: replace a result of the command."""
    await store.get_result(id, result_id)
    return await _replace_result(store, id, result_id, await json_body(request))


@router.patch("/commands/{id}/result/{resultId}", summary="Update a result (merge patch)", status_code=204)
async def patch_result(
    request: Request, store: TaskingStoreDep, ctx: LinksDep, id: IdPath, result_id: ResultIdPath
) -> Response:
    """`PATCH /commands/{id}/result/{resultId}`: merge-patch a result (id and links are read-only)."""
    patch = await patch_body(request)
    current = _editable_result(encode_result(await store.get_result(id, result_id), ctx))
    return await _replace_result(store, id, result_id, merge_patch(current, patch))


def _editable_result(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in ("id", "command@id", "links")}


@router.delete("/commands/{id}/result/{resultId}", summary="Delete a result", status_code=204)
async def delete_result(store: TaskingStoreDep, id: IdPath, result_id: ResultIdPath) -> Response:
    """`DELETE /commands/{id}/result/{resultId}`: remove a result of the command."""
    await store.delete_result(id, result_id)
    return Response(status_code=204)
