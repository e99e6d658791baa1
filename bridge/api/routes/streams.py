"""Router factory for `/datastreams` and `/controlstreams` (Part 2 §4.3, §5.1, CRD §10)."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from bridge import swe
from bridge.api import syntax
from bridge.api.bodies import json_body
from bridge.api.deps import LinksDep, StreamFeatureDep, patch_body
from bridge.api.encodings.streams import decode_stream, encode_stream, stream_schema
from bridge.api.links import LinkContext, paging_links
from bridge.api.media import JSON, negotiate
from bridge.api.params import CascadeParam, FParam
from bridge.api.queries import QUERY_DEPENDENCIES
from bridge.api.responses import json_response
from bridge.api.routes import features as handlers
from bridge.api.routes.features import merge_patch
from bridge.errors import InvalidBody, InvalidParameter, NotFound
from bridge.model.csapi import ControlStream, Datastream, Kind
from bridge.model.query import FeatureQuery, IdList, StreamQuery
from bridge.model.stream_schema import JSON as JSON_FORMAT
from bridge.store.base import StreamFeatureStore

IdPath = Annotated[str, Path(description="Local identifier of the stream")]
StreamIdPath = Annotated[str, Path(alias="streamId", description="Local identifier of the stream")]
SystemIdPath = Annotated[str, Path(alias="systemId", description="Local identifier of the system")]
DeploymentIdPath = Annotated[str, Path(alias="deploymentId", description="Local identifier of the deployment")]


async def list_response(
    store: StreamFeatureStore, request: Request, ctx: LinkContext, query: StreamQuery, f: str | None
) -> Response:
    """One JSON page of datastreams or control streams (`query.kind`) with paging links, for every stream listing."""
    media_type = negotiate(request, [JSON], f)
    page = await store.list_streams(query)
    items = [encode_stream(s, ctx, canonical_view=False) for s in page.items]
    body = {"items": items, "links": paging_links(ctx, page.next_token, page.prev_token, JSON, {JSON: "json"})}
    return json_response(body, media_type)


async def _create(
    store: StreamFeatureStore, request: Request, ctx: LinkContext, kind: Kind, system_id: str
) -> Response:
    stream, schema = decode_stream(kind, await json_body(request), system_id)
    await _check_sampling_feature(store, stream)
    created = await store.create_stream(stream, schema.result_kind if kind is Kind.DATASTREAM else None)
    return Response(status_code=201, headers={"Location": ctx.canonical(kind, created.id)})


async def _check_sampling_feature(store: StreamFeatureStore, stream: Datastream | ControlStream) -> None:
    if stream.sampling_feature_id:
        page = await store.list_features(
            FeatureQuery(kind=Kind.SAMPLING_FEATURE, ids=IdList(local=(stream.sampling_feature_id,)), limit=1)
        )
        if not page.items:
            raise InvalidBody(f"samplingFeature@link: no sampling feature '{stream.sampling_feature_id}' here")


async def _replace(store: StreamFeatureStore, kind: Kind, sid: str, body: Any) -> Response:
    current = await store.get_stream(kind, sid)
    stream, schema = decode_stream(kind, body, current.system_id, current.schema)
    stream.id, stream.provenance = sid, current.provenance
    await _check_sampling_feature(store, stream)
    await store.replace_stream(stream, schema.result_kind if kind is Kind.DATASTREAM else None)
    return Response(status_code=204)


async def _patch(store: StreamFeatureStore, ctx: LinkContext, kind: Kind, sid: str, patch: dict[str, Any]) -> Response:
    current = await store.get_stream(kind, sid)
    return await _replace(store, kind, sid, merge_patch(_editable(current, ctx), patch))


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


def stream_router(kind: Kind, query_dep: Callable[..., Awaitable[StreamQuery]], title: str) -> APIRouter:
    """Canonical, nested, schema and write endpoints of one stream family."""
    router = APIRouter(tags=[title])
    base = f"/{kind.value}"
    Q = Annotated[StreamQuery, Depends(query_dep)]
    fmt_param = "obsFormat" if kind is Kind.DATASTREAM else "cmdFormat"

    @router.get(base, summary=f"List {title.lower()}")
    async def list_streams(
        request: Request, store: StreamFeatureDep, ctx: LinksDep, query: Q, f: FParam = None
    ) -> Response:
        return await list_response(store, request, ctx, query, f)

    @router.get(f"/systems/{{systemId}}{base}", summary=f"{title} of a system and its subsystems (Req 13)")
    async def system_streams(
        request: Request, store: StreamFeatureDep, ctx: LinksDep, system_id: SystemIdPath, query: Q, f: FParam = None
    ) -> Response:
        await store.get_feature(Kind.SYSTEM, system_id)
        query.of_system = system_id
        return await list_response(store, request, ctx, query, f)

    @router.post(f"/systems/{{systemId}}{base}", summary=f"Create a {title.lower()[:-1]}", status_code=201)
    async def create_stream(
        request: Request, store: StreamFeatureDep, ctx: LinksDep, system_id: SystemIdPath
    ) -> Response:
        await store.get_feature(Kind.SYSTEM, system_id)
        return await _create(store, request, ctx, kind, system_id)

    @router.get(f"/deployments/{{deploymentId}}{base}", summary=f"{title} of systems deployed in a deployment")
    async def deployment_streams(
        request: Request,
        store: StreamFeatureDep,
        ctx: LinksDep,
        deployment_id: DeploymentIdPath,
        query: Q,
        f: FParam = None,
    ) -> Response:
        await store.get_feature(Kind.DEPLOYMENT, deployment_id)
        query.of_deployment = deployment_id
        return await list_response(store, request, ctx, query, f)

    @router.get(base + "/{id}", summary=f"Get a {title.lower()[:-1]}")
    async def get_stream(
        request: Request, store: StreamFeatureDep, ctx: LinksDep, id: IdPath, f: FParam = None
    ) -> Response:
        media_type = negotiate(request, [JSON], f)
        return json_response(encode_stream(await store.get_stream(kind, id), ctx, canonical_view=True), media_type)

    @router.get(base + "/{id}/schema", summary="Schema of the stream in one of its formats")
    async def get_schema(
        request: Request,
        store: StreamFeatureDep,
        id: IdPath,
        fmt: Annotated[str | None, Query(alias=fmt_param, description="Media type of the format")] = None,
        f: FParam = None,
    ) -> Response:
        negotiate(request, [JSON], f)
        media = _schema_format(kind, fmt_param, fmt)
        schema = stream_schema(await store.get_stream(kind, id))
        return json_response(schema.schema_for(media, fmt_param), JSON)

    @router.put(
        base + "/{id}", summary="Replace a stream (409 if the schema changes once data exists)", status_code=204
    )
    async def put_stream(request: Request, store: StreamFeatureDep, id: IdPath) -> Response:
        return await _replace(store, kind, id, await json_body(request))

    @router.patch(base + "/{id}", summary="Update a stream (JSON merge patch)", status_code=204)
    async def patch_stream(request: Request, store: StreamFeatureDep, ctx: LinksDep, id: IdPath) -> Response:
        return await _patch(store, ctx, kind, id, await patch_body(request))

    @router.delete(base + "/{id}", summary="Delete a stream (409 with data unless cascade=true)", status_code=204)
    async def delete_stream(store: StreamFeatureDep, id: IdPath, cascade: CascadeParam = False) -> Response:
        await store.delete_stream(kind, id, cascade)
        return Response(status_code=204)

    @router.put(base + "/{id}/schema", summary="Replace the schema (409 once the stream has data)", status_code=204)
    async def put_schema(request: Request, store: StreamFeatureDep, ctx: LinksDep, id: IdPath) -> Response:
        doc = _editable(await store.get_stream(kind, id), ctx)
        doc["schema"] = await json_body(request)
        return await _replace(store, kind, id, doc)

    _add_feature_lists(router, kind, title)
    _add_system_paths(router, kind, title)
    return router


def _schema_format(kind: Kind, name: str, fmt: str | None) -> str:
    """The media type a `/schema` request names (`obsFormat` is required, `cmdFormat` defaults to JSON)."""
    if fmt is None and kind is Kind.DATASTREAM:
        raise InvalidParameter(name, "is required (e.g. application/json, application/swe+csv)")
    if fmt is not None and fmt not in syntax.FORMATS:
        raise InvalidParameter(name, f"'{fmt}' is none of {', '.join(syntax.FORMATS)}")
    return swe.canonical_media_type(fmt or JSON_FORMAT)


def _add_feature_lists(router: APIRouter, kind: Kind, title: str) -> None:
    """`/{streams}/{id}/samplingFeatures` and `/featuresOfInterest` (Part 2 sf-/foi-ref-from-datastream)."""
    SfQuery = Annotated[FeatureQuery, Depends(QUERY_DEPENDENCIES[Kind.SAMPLING_FEATURE])]

    async def features(
        request: Request,
        store: StreamFeatureStore,
        ctx: LinkContext,
        sid: str,
        query: FeatureQuery,
        f: str | None,
        ultimate: bool,
    ) -> Response:
        ids = await store.stream_features(kind, sid, ultimate)
        query.ids = IdList(local=tuple(await _restrict(store, ids, query.ids)))
        return await handlers.list_features(store, request, ctx, query, f)

    @router.get(f"/{kind.value}/{{streamId}}/samplingFeatures", summary=f"Sampling features of a {title.lower()[:-1]}")
    async def sampling_features(
        request: Request, store: StreamFeatureDep, ctx: LinksDep, sid: StreamIdPath, query: SfQuery, f: FParam = None
    ) -> Response:
        return await features(request, store, ctx, sid, query, f, ultimate=False)

    @router.get(
        f"/{kind.value}/{{streamId}}/featuresOfInterest",
        summary="Features of interest hosted here (what the stream's sampling features sample, transitively)",
    )
    async def features_of_interest(
        request: Request, store: StreamFeatureDep, ctx: LinksDep, sid: StreamIdPath, query: SfQuery, f: FParam = None
    ) -> Response:
        return await features(request, store, ctx, sid, query, f, ultimate=True)


async def _restrict(store: StreamFeatureStore, ids: list[str], wanted: IdList | None) -> list[str]:
    """The stream's sampling features that an `id` parameter (local ids or UIDs/prefixes) designates."""
    if wanted is None or not ids:
        return ids
    if wanted.local:
        return [i for i in ids if i in wanted.local]
    page = await store.list_features(
        FeatureQuery(kind=Kind.SAMPLING_FEATURE, ids=IdList(local=tuple(ids)), limit=len(ids))
    )
    uids = set(wanted.exact_uids)
    return [f.id for f in page.items if f.uid in uids or f.uid.startswith(wanted.uid_prefixes)]


def _add_system_paths(router: APIRouter, kind: Kind, title: str) -> None:
    """`/systems/{sysId}/{streams}/{id}`: the stream off its canonical URL (CRD/UPD paths, `rel=canonical`)."""
    path = f"/systems/{{systemId}}/{kind.value}/{{id}}"

    async def owned(store: StreamFeatureStore, system_id: str, sid: str) -> None:
        await store.get_feature(Kind.SYSTEM, system_id)
        found = await store.list_streams(StreamQuery(kind=kind, ids=IdList(local=(sid,)), of_system=system_id, limit=1))
        if not found.items:
            raise NotFound(f"{kind.value} '{sid}' does not belong to system '{system_id}'")

    @router.get(path, summary=f"A {title.lower()[:-1]} of a system")
    async def get_system_stream(
        request: Request, store: StreamFeatureDep, ctx: LinksDep, system_id: SystemIdPath, id: IdPath, f: FParam = None
    ) -> Response:
        media_type = negotiate(request, [JSON], f)
        await owned(store, system_id, id)
        headers = {"Link": f'<{ctx.canonical(kind, id)}>; rel="canonical"'}
        body = encode_stream(await store.get_stream(kind, id), ctx, canonical_view=False)
        return json_response(body, media_type, headers=headers)

    @router.put(path, summary=f"Replace a {title.lower()[:-1]} of a system", status_code=204)
    async def put_system_stream(
        request: Request, store: StreamFeatureDep, system_id: SystemIdPath, id: IdPath
    ) -> Response:
        await owned(store, system_id, id)
        return await _replace(store, kind, id, await json_body(request))

    @router.patch(path, summary=f"Update a {title.lower()[:-1]} of a system", status_code=204)
    async def patch_system_stream(
        request: Request, store: StreamFeatureDep, ctx: LinksDep, system_id: SystemIdPath, id: IdPath
    ) -> Response:
        await owned(store, system_id, id)
        return await _patch(store, ctx, kind, id, await patch_body(request))

    @router.delete(path, summary=f"Delete a {title.lower()[:-1]} of a system", status_code=204)
    async def delete_system_stream(
        store: StreamFeatureDep, system_id: SystemIdPath, id: IdPath, cascade: CascadeParam = False
    ) -> Response:
        await owned(store, system_id, id)
        await store.delete_stream(kind, id, cascade)
        return Response(status_code=204)
