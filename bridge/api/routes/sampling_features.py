"""`/samplingFeatures` and `/systems/{systemId}/samplingFeatures` (Req 29-33, 66): created under a system only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from bridge.api.deps import FeatureStoreDep, LinksDep
from bridge.api.media import GEOJSON
from bridge.api.params import FParam
from bridge.api.queries import QUERY_DEPENDENCIES
from bridge.api.responses import openapi_content
from bridge.api.routes import features as handlers
from bridge.api.routes.resources import SystemIdPath
from bridge.model.csapi import Kind
from bridge.model.query import FeatureQuery

router = APIRouter(tags=["Sampling features"])
SfQuery = Annotated[FeatureQuery, Depends(QUERY_DEPENDENCIES[Kind.SAMPLING_FEATURE])]


@router.get(
    "/systems/{systemId}/samplingFeatures",
    summary="Sampling features of a system and its subsystems (Req 13, 32)",
    responses={200: {"content": openapi_content(GEOJSON)}},
    response_class=Response,
)
async def system_sampling_features(
    request: Request,
    store: FeatureStoreDep,
    ctx: LinksDep,
    system_id: SystemIdPath,
    query: SfQuery,
    f: FParam = None,
) -> Response:
    """`GET /systems/{id}/samplingFeatures`: sampling features of a system and its subsystems (Req 13, 32)."""
    await store.get_feature(Kind.SYSTEM, system_id)
    query.of_system = system_id
    return await handlers.list_features(store, request, ctx, query, f)


@router.post(
    "/systems/{systemId}/samplingFeatures",
    summary="Create a sampling feature of a system (Req 66)",
    status_code=201,
    response_class=Response,
    openapi_extra=handlers.feature_openapi(Kind.SAMPLING_FEATURE),
)
async def create_sampling_feature(
    request: Request, store: FeatureStoreDep, ctx: LinksDep, system_id: SystemIdPath
) -> Response:
    """`POST /systems/{id}/samplingFeatures`: create a sampling feature attached to a system (Req 66)."""
    await store.get_feature(Kind.SYSTEM, system_id)
    return await handlers.create_feature(store, request, ctx, Kind.SAMPLING_FEATURE, parent_id=system_id)
