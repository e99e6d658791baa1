"""Router factory for `/datastreams` and `/controlstreams` (Part 2 §4.3, §5.1, CRD §10)."""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from bridge import swe
from bridge.api.deps import LinksDep, StoreDep, json_body
from bridge.api.encodings.streams import decode_stream, encode_stream, stream_schema
from bridge.api.links import LinkContext, paging_links
from bridge.api.media import JSON, negotiate
from bridge.api.params import CascadeParam, FParam
from bridge.api.responses import json_response
from bridge.api.routes.features import merge_patch
from bridge.errors import InvalidBody, InvalidParameter
from bridge.model.csapi import ControlStream, Datastream, Kind
from bridge.model.query import FeatureQuery, IdList, StreamQuery
from bridge.model.stream_schema import JSON as JSON_FORMAT
from bridge.store.base import Store

IdPath = Annotated[str, Path(description="Local identifier of the stream")]
SystemIdPath = Annotated[str, Path(alias="systemId", description="Local identifier of the system")]
DeploymentIdPath = Annotated[str, Path(alias="deploymentId", description="Local identifier of the deployment")]


async def list_response(
    store: Store, request: Request, ctx: LinkContext, query: StreamQuery, f: str | None
) -> Response:
    media_type = negotiate(request, [JSON], f)
    page = await store.list_streams(query)
    items = [encode_stream(s, ctx, canonical_view=False) for s in page.items]
    body = {"items": items, "links": paging_links(ctx, page.next_token, page.prev_token, JSON, {JSON: "json"})}
    return json_response(body, media_type)


async def _create(store: Store, request: Request, ctx: LinkContext, kind: Kind, system_id: str) -> Response:
    stream, schema = decode_stream(kind, await json_body(request), system_id)
    await _check_sampling_feature(store, stream)
    created = await store.create_stream(stream, schema.result_kind if kind is Kind.DATASTREAM else None)
    return Response(status_code=201, headers={"Location": ctx.canonical(kind, created.id)})


async def _check_sampling_feature(store: Store, stream: Datastream | ControlStream) -> None:
    if stream.sampling_feature_id:
        page = await store.list_features(
            FeatureQuery(kind=Kind.SAMPLING_FEATURE, ids=IdList(local=(stream.sampling_feature_id,)), limit=1)
        )
        if not page.items:
            raise InvalidBody(f"samplingFeature@link: no sampling feature '{stream.sampling_feature_id}' here")


async def _replace(store: Store, kind: Kind, sid: str, body: Any) -> Response:
    current = await store.get_stream(kind, sid)
    stream, schema = decode_stream(kind, body, current.system_id)
    stream.id, stream.provenance = sid, current.provenance
    await _check_sampling_feature(store, stream)
    await store.replace_stream(stream, schema.result_kind if kind is Kind.DATASTREAM else None)
    return Response(status_code=204)


def _editable(stream: Datastream | ControlStream, ctx: LinkContext) -> dict[str, Any]:
    """The writable members of a stream (what a merge patch applies to), schema included."""
    doc = encode_stream(stream, ctx, canonical_view=True)
    for readonly in (
        "id",
        "system@link",
        "formats",
        "links",
        "observedProperties",
        "controlledProperties",
        "phenomenonTime",
        "resultTime",
        "resultType",
        "issueTime",
        "executionTime",
    ):
        doc.pop(readonly, None)  # fmt: skip
    doc["schema"] = stream.schema
    return doc


def stream_router(kind: Kind, query_dep: Callable[..., StreamQuery], title: str) -> APIRouter:
    """Canonical, nested, schema and write endpoints of one stream family."""
    router = APIRouter(tags=[title])
    base = f"/{kind.value}"
    Q = Annotated[StreamQuery, Depends(query_dep)]
    fmt_param = "obsFormat" if kind is Kind.DATASTREAM else "cmdFormat"

    @router.get(base, summary=f"List {title.lower()}")
    async def list_streams(request: Request, store: StoreDep, ctx: LinksDep, query: Q, f: FParam = None) -> Response:
        return await list_response(store, request, ctx, query, f)

    @router.get(f"/systems/{{systemId}}{base}", summary=f"{title} of a system and its subsystems (Req 13)")
    async def system_streams(
        request: Request, store: StoreDep, ctx: LinksDep, system_id: SystemIdPath, query: Q, f: FParam = None
    ) -> Response:
        await store.get_feature(Kind.SYSTEM, system_id)
        query.of_system = system_id
        return await list_response(store, request, ctx, query, f)

    @router.post(f"/systems/{{systemId}}{base}", summary=f"Create a {title.lower()[:-1]}", status_code=201)
    async def create_stream(request: Request, store: StoreDep, ctx: LinksDep, system_id: SystemIdPath) -> Response:
        await store.get_feature(Kind.SYSTEM, system_id)
        return await _create(store, request, ctx, kind, system_id)

    @router.get(f"/deployments/{{deploymentId}}{base}", summary=f"{title} of systems deployed in a deployment")
    async def deployment_streams(
        request: Request, store: StoreDep, ctx: LinksDep, deployment_id: DeploymentIdPath, query: Q, f: FParam = None
    ) -> Response:
        await store.get_feature(Kind.DEPLOYMENT, deployment_id)
        query.of_deployment = deployment_id
        return await list_response(store, request, ctx, query, f)

    @router.get(base + "/{id}", summary=f"Get a {title.lower()[:-1]}")
    async def get_stream(request: Request, store: StoreDep, ctx: LinksDep, id: IdPath, f: FParam = None) -> Response:
        media_type = negotiate(request, [JSON], f)
        return json_response(encode_stream(await store.get_stream(kind, id), ctx, canonical_view=True), media_type)

    @router.get(base + "/{id}/schema", summary="Schema of the stream in one of its formats")
    async def get_schema(
        request: Request,
        store: StoreDep,
        id: IdPath,
        fmt: Annotated[str | None, Query(alias=fmt_param, description="Media type of the format")] = None,
        f: FParam = None,
    ) -> Response:
        negotiate(request, [JSON], f)
        if fmt is None and kind is Kind.DATASTREAM:
            raise InvalidParameter(fmt_param, "is required (e.g. application/json, application/swe+csv)")
        schema = stream_schema(await store.get_stream(kind, id))
        media = swe.canonical_media_type(fmt or JSON_FORMAT)
        return json_response(schema.schema_for(media, fmt_param), JSON)

    @router.put(
        base + "/{id}", summary="Replace a stream (409 if the schema changes once data exists)", status_code=204
    )
    async def put_stream(request: Request, store: StoreDep, id: IdPath) -> Response:
        return await _replace(store, kind, id, await json_body(request))

    @router.patch(base + "/{id}", summary="Update a stream (JSON merge patch)", status_code=204)
    async def patch_stream(request: Request, store: StoreDep, ctx: LinksDep, id: IdPath) -> Response:
        patch = await json_body(request)
        if not isinstance(patch, dict):
            raise InvalidBody("a merge patch must be a JSON object")
        current = await store.get_stream(kind, id)
        return await _replace(store, kind, id, merge_patch(_editable(current, ctx), patch))

    @router.delete(base + "/{id}", summary="Delete a stream (409 with data unless cascade=true)", status_code=204)
    async def delete_stream(store: StoreDep, id: IdPath, cascade: CascadeParam = False) -> Response:
        await store.delete_stream(kind, id, cascade)
        return Response(status_code=204)

    return router
