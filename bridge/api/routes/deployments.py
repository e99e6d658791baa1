"""`/deployments`, `/deployments/{id}/subdeployments`, `/systems/{id}/deployments` (Req 14-23, 63-64, 73)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from bridge.api.deps import FeatureStoreDep, LinksDep
from bridge.api.encodings.assoc import FORMATS
from bridge.api.params import FParam
from bridge.api.queries import QUERY_DEPENDENCIES, query_dependency
from bridge.api.responses import openapi_content
from bridge.api.routes import features as handlers
from bridge.api.routes.resources import DeploymentIdPath, SystemIdPath
from bridge.model.csapi import Kind
from bridge.model.kinds import FEATURE_KINDS
from bridge.model.query import FeatureQuery

router = APIRouter(tags=["Deployments"])
DeploymentQuery = Annotated[FeatureQuery, Depends(QUERY_DEPENDENCIES[Kind.DEPLOYMENT])]
# `/systems/{id}/deployments` is a Deployment resources endpoint without `recursive`
SystemDeploymentQuery = Annotated[
    FeatureQuery, Depends(query_dependency(FEATURE_KINDS[Kind.DEPLOYMENT], recursive=False))
]
READ: dict[int | str, dict[str, Any]] = {200: {"content": openapi_content(*FORMATS[Kind.DEPLOYMENT])}}


@router.get(
    "/deployments/{deploymentId}/subdeployments",
    summary="Subdeployments of a deployment (Req 19-22)",
    responses=READ,
    response_class=Response,
)
async def subdeployments(
    request: Request,
    store: FeatureStoreDep,
    ctx: LinksDep,
    deployment_id: DeploymentIdPath,
    query: DeploymentQuery,
    f: FParam = None,
) -> Response:
    """`GET /deployments/{id}/subdeployments`: subdeployments of a deployment (all levels: `recursive`, Req 19-22)."""
    await store.get_feature(Kind.DEPLOYMENT, deployment_id)
    query.children_of = deployment_id
    return await handlers.list_features(store, request, ctx, query, f)


@router.post(
    "/deployments/{deploymentId}/subdeployments",
    summary="Create a subdeployment (Req 64)",
    status_code=201,
    response_class=Response,
    openapi_extra=handlers.feature_openapi(Kind.DEPLOYMENT),
)
async def create_subdeployment(
    request: Request, store: FeatureStoreDep, ctx: LinksDep, deployment_id: DeploymentIdPath
) -> Response:
    """`POST /deployments/{id}/subdeployments`: create a deployment as a child of this one (Req 64)."""
    await store.get_feature(Kind.DEPLOYMENT, deployment_id)
    return await handlers.create_feature(store, request, ctx, Kind.DEPLOYMENT, parent_id=deployment_id)


@router.get(
    "/systems/{systemId}/deployments",
    summary="Deployments in which a system was deployed (Req 17)",
    responses=READ,
    response_class=Response,
)
async def system_deployments(
    request: Request,
    store: FeatureStoreDep,
    ctx: LinksDep,
    system_id: SystemIdPath,
    query: SystemDeploymentQuery,
    f: FParam = None,
) -> Response:
    """`GET /systems/{id}/deployments`: the deployments in which a system was deployed (Req 17)."""
    await store.get_feature(Kind.SYSTEM, system_id)
    query.of_system = system_id
    return await handlers.list_features(store, request, ctx, query, f)
