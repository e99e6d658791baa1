"""Query dependencies per Part 1 resource family (which parameters each endpoint accepts, Part 1 §9 table)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Query

from bridge.api.deps import SettingsDep
from bridge.api.params import (
    BboxParam,
    CursorParam,
    DatetimeParam,
    GeomParam,
    IdParam,
    LimitParam,
    QParam,
    RecursiveParam,
    clamp_limit,
    parse_bbox,
    parse_geom,
    parse_id_list,
    parse_keywords,
    parse_time,
)
from bridge.model.csapi import Kind
from bridge.model.kinds import PART1_KINDS, ResourceKind
from bridge.model.query import FILTER_ATTRIBUTES, FeatureQuery
from bridge.settings import Settings

ParentParam = Annotated[str | None, Query(description="Comma-separated ids or UIDs of parent resources")]
ProcedureParam = Annotated[str | None, Query(description="Systems implementing one of these procedures (ids or UIDs)")]
FoiParam = Annotated[str | None, Query(description="Features of interest (sampling features or domain features)")]
ObsPropParam = Annotated[
    str | None,
    Query(alias="observedProperty", description="Observed properties (ids or URIs, derived ones included)"),
]
CtrlPropParam = Annotated[
    str | None, Query(alias="controlledProperty", description="Controlled properties (ids or URIs)")
]
SystemParam = Annotated[str | None, Query(description="Deployments in which one of these systems was deployed")]
BasePropParam = Annotated[
    str | None, Query(alias="baseProperty", description="Properties derived (transitively) from these")
]
ObjectTypeParam = Annotated[str | None, Query(alias="objectType", description="Exact objectType URIs")]


# Association filters: query name → (FeatureQuery attribute, parameter type). Which endpoint accepts which
# is the kind's descriptor's `filters` (Part 1 §9 table).
_TYPES: dict[str, Any] = {
    "parent": ParentParam,
    "procedure": ProcedureParam,
    "system": SystemParam,
    "foi": FoiParam,
    "observedProperty": ObsPropParam,
    "controlledProperty": CtrlPropParam,
    "baseProperty": BasePropParam,
    "objectType": ObjectTypeParam,
}
FILTER_PARAMS: dict[str, tuple[str, Any]] = {name: (FILTER_ATTRIBUTES[name], t) for name, t in _TYPES.items()}


def build_query(kind: Kind, settings: Settings, values: dict[str, Any]) -> FeatureQuery:
    """A FeatureQuery from raw parameter values keyed by their public names."""
    query = FeatureQuery(
        kind=kind,
        limit=clamp_limit(values.get("limit") or settings.default_limit, settings.max_limit),
        token=values.get("cursor"),
        ids=parse_id_list("id", values.get("id")),
        q=parse_keywords(values.get("q")),
        bbox=parse_bbox(values.get("bbox")),
        geom=parse_geom(values.get("geom")),
        datetime=parse_time("datetime", values.get("datetime")),
        recursive=bool(values.get("recursive")),
    )
    for name, (attr, _) in FILTER_PARAMS.items():
        setattr(query, attr, parse_id_list(name, values.get(name)))
    return query


QueryDependency = Callable[..., Coroutine[Any, Any, FeatureQuery]]


def _parameter(name: str, annotation: Any, default: Any = None) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)


def query_dependency(desc: ResourceKind, *, recursive: bool | None = None) -> QueryDependency:
    """The FastAPI dependency reading the parameters of a Part 1 resources endpoint of `desc`'s kind.

    Its signature is built from the descriptor (so `/api` documents exactly the accepted parameters):
    paging, `id`, `q`, `bbox`, `datetime`, `geom` for kinds with geometries, the kind's association
    filters, and `recursive` for hierarchical kinds unless `recursive=False` (nested lists).
    """
    params = [
        _parameter("settings", SettingsDep, inspect.Parameter.empty),
        *(_parameter(n, t) for n, t in (("limit", LimitParam), ("cursor", CursorParam), ("id", IdParam))),
        *(_parameter(n, t) for n, t in (("q", QParam), ("bbox", BboxParam), ("datetime", DatetimeParam))),
    ]
    if desc.spatial:
        params.append(_parameter("geom", GeomParam))
    params += [_parameter(FILTER_PARAMS[name][0], FILTER_PARAMS[name][1]) for name in desc.filters]
    if desc.hierarchical if recursive is None else recursive:
        params.append(_parameter("recursive", RecursiveParam, False))
    public = {FILTER_PARAMS[name][0]: name for name in desc.filters}

    async def dependency(settings: Settings, **values: Any) -> FeatureQuery:
        return build_query(desc.kind, settings, {public.get(k, k): v for k, v in values.items()})

    dependency.__signature__ = inspect.Signature(params, return_annotation=FeatureQuery)  # type: ignore[attr-defined]
    dependency.__name__ = f"{desc.kind.value}_query"
    dependency.__doc__ = f"Parameters of the {desc.title.lower()} resources endpoints."
    return dependency


QUERY_DEPENDENCIES: dict[Kind, QueryDependency] = {d.kind: query_dependency(d) for d in PART1_KINDS}
