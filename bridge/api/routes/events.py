"""System events (`/systemEvents`, `/systems/{id}/events`) and system history (`/systems/{id}/history`)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from bridge.api.bodies import json_body
from bridge.api.deps import FeatureHistoryDep, LinksDep, SettingsDep, patch_body
from bridge.api.dynamic_queries import event_query
from bridge.api.encodings.events import decode_event, encode_event
from bridge.api.encodings.geojson import encode as encode_geojson
from bridge.api.encodings.sensorml import encode as encode_sml
from bridge.api.links import LinkContext, link, paging_links
from bridge.api.media import GEOJSON, JSON, SML_JSON, negotiate
from bridge.api.params import CursorParam, FParam, LimitParam, clamp_limit, parse_time
from bridge.api.responses import json_response
from bridge.api.routes.features import merge_patch
from bridge.model.csapi import Kind
from bridge.model.query import EventQuery
from bridge.store.base import FeatureHistoryStore, Revision

router = APIRouter(tags=["System events and history"])
IdPath = Annotated[str, Path(description="Local identifier")]
SystemIdPath = Annotated[str, Path(alias="systemId", description="Local identifier of the system")]
EvQuery = Annotated[EventQuery, Depends(event_query)]
ValidTimeParam = Annotated[str | None, Query(alias="validTime", description="Revisions valid during this time")]
EVENT_FORMATS = [JSON, SML_JSON]  # checklist §7: serve application/json, accept/offer the SML alias


async def _list(
    store: FeatureHistoryStore, request: Request, ctx: LinkContext, query: EventQuery, f: str | None
) -> Response:
    media_type = negotiate(request, EVENT_FORMATS, f)
    page = await store.list_events(query)
    links = paging_links(ctx, page.next_token, page.prev_token, media_type, {JSON: "json"})
    return json_response({"items": [encode_event(e, ctx, False) for e in page.items], "links": links}, media_type)


@router.get("/systemEvents", summary="Events of all systems")
async def list_events(
    request: Request, store: FeatureHistoryDep, ctx: LinksDep, query: EvQuery, f: FParam = None
) -> Response:
    """`GET /systemEvents`: the events of all systems, filtered by system, eventType, keywords and time."""
    return await _list(store, request, ctx, query, f)


@router.get(
    "/systemevents", summary="Events of all systems (lower-case alias used by the ATS)", include_in_schema=False
)
async def list_events_alias(
    request: Request, store: FeatureHistoryDep, ctx: LinksDep, query: EvQuery, f: FParam = None
) -> Response:
    """`GET /systemevents`: the lower-case spelling used by the abstract test suite; same as `/systemEvents`."""
    return await _list(store, request, ctx, query, f)


@router.get("/systems/{systemId}/events", summary="Events of a system")
async def system_events(
    request: Request, store: FeatureHistoryDep, ctx: LinksDep, system_id: SystemIdPath, query: EvQuery, f: FParam = None
) -> Response:
    """`GET /systems/{id}/events`: the events of one system."""
    await store.get_feature(Kind.SYSTEM, system_id)
    query.system_id = system_id
    return await _list(store, request, ctx, query, f)


@router.post("/systems/{systemId}/events", summary="Add events to a system (one event or an array)", status_code=201)
async def post_events(request: Request, store: FeatureHistoryDep, ctx: LinksDep, system_id: SystemIdPath) -> Response:
    """`POST /systems/{id}/events`: add one event (`Location`) or an array of them (`{"items": [...]}`)."""
    await store.get_feature(Kind.SYSTEM, system_id)
    body = await json_body(request)
    events = [decode_event(b, system_id) for b in (body if isinstance(body, list) else [body])]
    created = [await store.create_event(e) for e in events]
    urls = [ctx.href(f"/systemEvents/{e.id}") for e in created]
    if isinstance(body, list):
        return json_response({"items": urls}, JSON, 201)
    return Response(status_code=201, headers={"Location": urls[0]})


@router.get("/systemEvents/{id}", summary="One system event")
async def get_event(
    request: Request, store: FeatureHistoryDep, ctx: LinksDep, id: IdPath, f: FParam = None
) -> Response:
    """`GET /systemEvents/{id}`: one system event (SensorML `Event` JSON)."""
    media_type = negotiate(request, EVENT_FORMATS, f)
    return json_response(encode_event(await store.get_event(id), ctx, True), media_type)


async def _replace(store: FeatureHistoryStore, event_id: str, system_id: str | None, body: Any) -> Response:
    current = await store.get_event(event_id, system_id)
    event = decode_event(body, current.system_id)
    event.id = event_id
    await store.replace_event(event)
    return Response(status_code=204)


async def _patch(
    store: FeatureHistoryStore, request: Request, ctx: LinkContext, event_id: str, system_id: str | None
) -> Response:
    patch = await patch_body(request)
    doc = encode_event(await store.get_event(event_id, system_id), ctx, True)
    editable = {k: v for k, v in doc.items() if k not in ("id", "links")}
    return await _replace(store, event_id, system_id, merge_patch(editable, patch))


async def _delete(store: FeatureHistoryStore, event_id: str, system_id: str | None) -> Response:
    await store.get_event(event_id, system_id)
    await store.delete_event(event_id)
    return Response(status_code=204)


@router.put("/systemEvents/{id}", summary="Replace a system event", status_code=204)
async def put_event(request: Request, store: FeatureHistoryDep, id: IdPath) -> Response:
    """`PUT /systemEvents/{id}`: replace a system event."""
    return await _replace(store, id, None, await json_body(request))


@router.patch("/systemEvents/{id}", summary="Update a system event (merge patch)", status_code=204)
async def patch_event(request: Request, store: FeatureHistoryDep, ctx: LinksDep, id: IdPath) -> Response:
    """`PATCH /systemEvents/{id}`: merge-patch a system event (id and links are read-only)."""
    return await _patch(store, request, ctx, id, None)


@router.delete("/systemEvents/{id}", summary="Delete a system event", status_code=204)
async def delete_event(store: FeatureHistoryDep, id: IdPath) -> Response:
    """`DELETE /systemEvents/{id}`: delete a system event."""
    return await _delete(store, id, None)


@router.get("/systems/{systemId}/events/{id}", summary="One event of a system")
async def get_system_event(
    request: Request, store: FeatureHistoryDep, ctx: LinksDep, system_id: SystemIdPath, id: IdPath, f: FParam = None
) -> Response:
    """`GET /systems/{sysId}/events/{id}`: an event of that system, with a `canonical` Link header."""
    media_type = negotiate(request, EVENT_FORMATS, f)
    headers = {"Link": f'<{ctx.href(f"/systemEvents/{id}")}>; rel="canonical"'}
    return json_response(encode_event(await store.get_event(id, system_id), ctx, False), media_type, headers=headers)


@router.put("/systems/{systemId}/events/{id}", summary="Replace an event of a system", status_code=204)
async def put_system_event(request: Request, store: FeatureHistoryDep, system_id: SystemIdPath, id: IdPath) -> Response:
    """`PUT /systems/{sysId}/events/{id}`: replace an event of that system (404 for another system's)."""
    return await _replace(store, id, system_id, await json_body(request))


@router.patch("/systems/{systemId}/events/{id}", summary="Update an event of a system", status_code=204)
async def patch_system_event(
    request: Request, store: FeatureHistoryDep, ctx: LinksDep, system_id: SystemIdPath, id: IdPath
) -> Response:
    """`PATCH /systems/{sysId}/events/{id}`: merge-patch an event of that system."""
    return await _patch(store, request, ctx, id, system_id)


@router.delete("/systems/{systemId}/events/{id}", summary="Delete an event of a system", status_code=204)
async def delete_system_event(store: FeatureHistoryDep, system_id: SystemIdPath, id: IdPath) -> Response:
    """`DELETE /systems/{sysId}/events/{id}`: delete an event of that system."""
    return await _delete(store, id, system_id)


def _revision(rev: Revision, ctx: LinkContext, media_type: str, system_id: str) -> dict[str, object]:
    href = ctx.href(f"/systems/{system_id}/history/{rev.rev_id}")
    links = [
        link(href, "self", media_type, "this revision"),
        link(ctx.canonical(Kind.SYSTEM, system_id), "canonical", media_type, "the current description"),
    ]
    doc = encode_geojson(rev.system, links) if media_type == GEOJSON else encode_sml(rev.system, links)
    doc["id"] = rev.rev_id
    return doc


@router.get("/systems/{systemId}/history", summary="Past descriptions of a system (one per replacement)")
async def history(
    request: Request, store: FeatureHistoryDep, settings: SettingsDep, ctx: LinksDep, system_id: SystemIdPath,
    limit: LimitParam = None, cursor: CursorParam = None, valid_time: ValidTimeParam = None, f: FParam = None,
) -> Response:  # fmt: skip
    """`GET /systems/{id}/history`: past descriptions of a system, one per replacement, filtered by `validTime`."""
    media_type = negotiate(request, [GEOJSON, SML_JSON], f)
    await store.get_feature(Kind.SYSTEM, system_id)
    flt = parse_time("validTime", valid_time)
    page = await store.list_history(
        system_id, flt, clamp_limit(limit or settings.default_limit, settings.max_limit), cursor
    )
    items = [_revision(r, ctx, media_type, system_id) for r in page.items]
    links = paging_links(ctx, page.next_token, page.prev_token, media_type, {GEOJSON: "geojson", SML_JSON: "sml"})
    key = "features" if media_type == GEOJSON else "items"
    body = (
        {"type": "FeatureCollection", key: items, "links": links}
        if media_type == GEOJSON
        else {key: items, "links": links}
    )
    return json_response(body, media_type)


@router.get("/systems/{systemId}/history/{revId}", summary="One past description of a system")
async def revision(
    request: Request, store: FeatureHistoryDep, ctx: LinksDep, system_id: SystemIdPath,
    rev_id: Annotated[str, Path(alias="revId")], f: FParam = None,
) -> Response:  # fmt: skip
    """`GET /systems/{id}/history/{revId}`: one past description (GeoJSON or SensorML) linked to the current one."""
    media_type = negotiate(request, [GEOJSON, SML_JSON], f)
    return json_response(_revision(await store.get_revision(system_id, rev_id), ctx, media_type, system_id), media_type)


@router.delete("/systems/{systemId}/history/{revId}", summary="Delete a past description", status_code=204)
async def delete_revision(
    store: FeatureHistoryDep, system_id: SystemIdPath, rev_id: Annotated[str, Path(alias="revId")]
) -> Response:
    """`DELETE /systems/{id}/history/{revId}`: forget one past description of a system."""
    await store.delete_revision(system_id, rev_id)
    return Response(status_code=204)
