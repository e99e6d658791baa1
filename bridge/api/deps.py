"""Request-scoped dependencies: the store, the settings, link context, request bodies."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from bridge.api.bodies import json_body
from bridge.api.links import LinkContext
from bridge.errors import InvalidBody
from bridge.settings import Settings
from bridge.store.base import (
    FeatureHistoryStore,
    FeatureStore,
    HarvestSink,
    Store,
    StreamFeatureStore,
    TaskingStore,
)


async def get_store(request: Request) -> Store:
    """The store the app was created with (`app.state.store`), as the full `Store`; routes ask for their slice."""
    store: Store = request.app.state.store
    return store


async def get_settings(request: Request) -> Settings:
    """The settings the app was created with (`app.state.settings`): limits, base URL, collections, sources."""
    settings: Settings = request.app.state.settings
    return settings


async def link_context(request: Request) -> LinkContext:
    """Public API root (settings.base_url, else from the request) and the request's path/query."""
    settings: Settings = request.app.state.settings
    root_path = request.scope.get("root_path", "")
    root = settings.base_url or (str(request.base_url).rstrip("/"))
    path = request.url.path
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :]
    return LinkContext(root=root, path=path, query=tuple(request.query_params.multi_items()))


async def get_pipeline(request: Request) -> Any:
    """The command pipeline (forwarders) built at startup."""
    return request.app.state.pipeline


# The store, typed as the slice a route uses (one object behind them all).
FeatureStoreDep = Annotated[FeatureStore, Depends(get_store)]
FeatureHistoryDep = Annotated[FeatureHistoryStore, Depends(get_store)]
StreamFeatureDep = Annotated[StreamFeatureStore, Depends(get_store)]
TaskingStoreDep = Annotated[TaskingStore, Depends(get_store)]
HarvestDep = Annotated[HarvestSink, Depends(get_store)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
LinksDep = Annotated[LinkContext, Depends(link_context)]


async def patch_body(request: Request) -> dict[str, Any]:
    """The body of a PATCH: a JSON Merge Patch (RFC 7396), which must be a JSON object."""
    patch = await json_body(request)
    if not isinstance(patch, dict):
        raise InvalidBody("a merge patch must be a JSON object")
    return patch
