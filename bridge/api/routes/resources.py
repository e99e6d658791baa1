"""Router factory for a Part 1 canonical endpoint: `/{kind}` and `/{kind}/{id}` (tipg-style)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.responses import Response

from bridge.api.deps import FeatureHistoryDep, FeatureStoreDep, LinksDep
from bridge.api.encodings.assoc import FORMATS
from bridge.api.params import CascadeParam, FParam
from bridge.api.queries import QUERY_DEPENDENCIES
from bridge.api.responses import openapi_content
from bridge.api.routes import features as handlers
from bridge.model.csapi import Kind
from bridge.model.kinds import ResourceKind
from bridge.model.query import FeatureQuery

IdPath = Annotated[str, Path(description="Local identifier of the resource")]
SystemIdPath = Annotated[str, Path(alias="systemId", description="Local identifier of the system")]
InstantParam = Annotated[
    str | None, Query(description="An instant (RFC 3339 or 'now'): the description that was current then")
]
DeploymentIdPath = Annotated[str, Path(alias="deploymentId", description="Local identifier of the deployment")]


def canonical_router(desc: ResourceKind) -> APIRouter:
    """GET (+POST unless created elsewhere) on `/{kind}`; GET/PUT/PATCH/DELETE on `/{kind}/{id}`.

    A hierarchical kind's list shows only resources without a parent unless `recursive`, `parent` or `id`
    is given (Req 11B/21B, checklist D2).
    """
    kind, title, top_level = desc.kind, desc.title, desc.hierarchical
    router = APIRouter(tags=[title])
    base = f"/{desc.path}"
    QueryDep = Annotated[FeatureQuery, Depends(QUERY_DEPENDENCIES[kind])]
    read: dict[int | str, dict[str, Any]] = {200: {"content": openapi_content(*FORMATS[kind])}}

    @router.get(base, summary=f"List {title.lower()}", responses=read, response_class=Response)
    async def list_items(
        request: Request, store: FeatureStoreDep, ctx: LinksDep, query: QueryDep, f: FParam = None
    ) -> Response:
        query.top_level_only = top_level
        return await handlers.list_features(store, request, ctx, query, f)

    if desc.creatable:

        @router.post(
            base,
            summary=f"Create a {desc.item} resource",
            status_code=201,
            response_class=Response,
            openapi_extra=handlers.feature_openapi(kind),
        )
        async def create_item(request: Request, store: FeatureStoreDep, ctx: LinksDep) -> Response:
            return await handlers.create_feature(store, request, ctx, kind)

    async def get_item(
        request: Request, store: FeatureStoreDep, ctx: LinksDep, id: IdPath, f: FParam = None
    ) -> Response:
        return await handlers.get_feature(store, request, ctx, kind, id, f, canonical_view=True)

    async def get_system(
        request: Request,
        store: FeatureHistoryDep,
        ctx: LinksDep,
        id: IdPath,
        f: FParam = None,
        datetime: InstantParam = None,
    ) -> Response:
        feature = await handlers.system_at(store, id, datetime) if datetime is not None else None
        return await handlers.get_feature(store, request, ctx, kind, id, f, canonical_view=True, feature=feature)

    router.add_api_route(  # a system's past descriptions are reachable by `datetime` (its history)
        base + "/{id}",
        get_system if kind is Kind.SYSTEM else get_item,
        methods=["GET"],
        summary=f"Get one {desc.item} resource",
        responses=read,
        response_class=Response,
    )

    @router.put(
        base + "/{id}",
        summary="Replace a resource",
        status_code=204,
        response_class=Response,
        openapi_extra=handlers.feature_openapi(kind),
    )
    async def replace_item(request: Request, store: FeatureStoreDep, ctx: LinksDep, id: IdPath) -> Response:
        return await handlers.replace_feature(store, request, ctx, kind, id)

    @router.patch(
        base + "/{id}",
        summary="Update a resource (JSON merge patch)",
        status_code=204,
        response_class=Response,
        openapi_extra=handlers.PATCH_OPENAPI,
    )
    async def patch_item(request: Request, store: FeatureStoreDep, ctx: LinksDep, id: IdPath) -> Response:
        return await handlers.patch_feature(store, request, ctx, kind, id)

    @router.delete(base + "/{id}", summary="Delete a resource", status_code=204, response_class=Response)
    async def delete_item(store: FeatureStoreDep, id: IdPath, cascade: CascadeParam = False) -> Response:
        return await handlers.delete_feature(store, kind, id, cascade)

    return router
