"""`/systems`, `/systems/{systemId}/subsystems` (Req 4-13, 60-62, 72)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from bridge.api.deps import FeatureStoreDep, LinksDep
from bridge.api.encodings.assoc import FORMATS
from bridge.api.params import FParam
from bridge.api.queries import QUERY_DEPENDENCIES
from bridge.api.responses import openapi_content
from bridge.api.routes import features as handlers
from bridge.api.routes.resources import SystemIdPath
from bridge.model.csapi import Kind
from bridge.model.query import FeatureQuery

router = APIRouter(tags=["Systems"])
SystemQuery = Annotated[FeatureQuery, Depends(QUERY_DEPENDENCIES[Kind.SYSTEM])]


@router.get(
    "/systems/{systemId}/subsystems",
    summary="Subsystems of a system (Req 9-12)",
    responses={200: {"content": openapi_content(*FORMATS[Kind.SYSTEM])}},
    response_class=Response,
)
async def subsystems(
    request: Request,
    store: FeatureStoreDep,
    ctx: LinksDep,
    system_id: SystemIdPath,
    query: SystemQuery,
    f: FParam = None,
) -> Response:
    """`GET /systems/{id}/subsystems`: the subsystems of a system (all levels: `recursive`, Req 9-12)."""
    await store.get_feature(Kind.SYSTEM, system_id)
    query.children_of = system_id
    return await handlers.list_features(store, request, ctx, query, f)


@router.post(
    "/systems/{systemId}/subsystems",
    summary="Create a subsystem (Req 62)",
    status_code=201,
    response_class=Response,
    openapi_extra=handlers.feature_openapi(Kind.SYSTEM),
)
async def create_subsystem(
    request: Request, store: FeatureStoreDep, ctx: LinksDep, system_id: SystemIdPath
) -> Response:
    """`POST /systems/{id}/subsystems`: create a system as a subsystem of this one (Req 62)."""
    await store.get_feature(Kind.SYSTEM, system_id)
    return await handlers.create_feature(store, request, ctx, Kind.SYSTEM, parent_id=system_id)
