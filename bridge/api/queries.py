"""Query dependencies per Part 1 resource family (which parameters each endpoint accepts, Part 1 §9 table)."""

from __future__ import annotations

from collections.abc import Callable
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
from bridge.model.query import FeatureQuery
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


ALIASES = {
    "observed_property": "observedProperty",
    "controlled_property": "controlledProperty",
    "base_property": "baseProperty",
    "object_type": "objectType",
}
ID_LIST_FIELDS = {
    "parent": "parent",
    "procedure": "procedure",
    "system": "system",
    "foi": "foi",
    "observedProperty": "observed_property",
    "controlledProperty": "controlled_property",
    "baseProperty": "base_property",
    "objectType": "object_type",
}


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
    for name, attr in ID_LIST_FIELDS.items():
        setattr(query, attr, parse_id_list(name, values.get(name)))
    return query


def _public(values: dict[str, Any]) -> dict[str, Any]:
    return {ALIASES.get(k, k): v for k, v in values.items() if k != "settings"}


def system_query(
    settings: SettingsDep,
    limit: LimitParam = None,
    cursor: CursorParam = None,
    id: IdParam = None,
    q: QParam = None,
    bbox: BboxParam = None,
    datetime: DatetimeParam = None,
    geom: GeomParam = None,
    parent: ParentParam = None,
    procedure: ProcedureParam = None,
    foi: FoiParam = None,
    observed_property: ObsPropParam = None,
    controlled_property: CtrlPropParam = None,
    recursive: RecursiveParam = False,
) -> FeatureQuery:
    """Parameters of `/systems` and `/systems/{id}/subsystems`."""
    return build_query(Kind.SYSTEM, settings, _public(locals()))


def deployment_query(
    settings: SettingsDep,
    limit: LimitParam = None,
    cursor: CursorParam = None,
    id: IdParam = None,
    q: QParam = None,
    bbox: BboxParam = None,
    datetime: DatetimeParam = None,
    geom: GeomParam = None,
    parent: ParentParam = None,
    system: SystemParam = None,
    foi: FoiParam = None,
    observed_property: ObsPropParam = None,
    controlled_property: CtrlPropParam = None,
    recursive: RecursiveParam = False,
) -> FeatureQuery:
    """Parameters of `/deployments` and `/deployments/{id}/subdeployments`."""
    return build_query(Kind.DEPLOYMENT, settings, _public(locals()))


def system_deployment_query(
    settings: SettingsDep,
    limit: LimitParam = None,
    cursor: CursorParam = None,
    id: IdParam = None,
    q: QParam = None,
    bbox: BboxParam = None,
    datetime: DatetimeParam = None,
    geom: GeomParam = None,
    parent: ParentParam = None,
    system: SystemParam = None,
    foi: FoiParam = None,
    observed_property: ObsPropParam = None,
    controlled_property: CtrlPropParam = None,
) -> FeatureQuery:
    """Parameters of `/systems/{id}/deployments` (a Deployment resources endpoint without `recursive`)."""
    return build_query(Kind.DEPLOYMENT, settings, _public(locals()))


def procedure_query(
    settings: SettingsDep,
    limit: LimitParam = None,
    cursor: CursorParam = None,
    id: IdParam = None,
    q: QParam = None,
    bbox: BboxParam = None,
    datetime: DatetimeParam = None,
    observed_property: ObsPropParam = None,
    controlled_property: CtrlPropParam = None,
) -> FeatureQuery:
    """Parameters of `/procedures` (bbox is accepted and, procedures having no geometry, matches none)."""
    return build_query(Kind.PROCEDURE, settings, _public(locals()))


def sampling_feature_query(
    settings: SettingsDep,
    limit: LimitParam = None,
    cursor: CursorParam = None,
    id: IdParam = None,
    q: QParam = None,
    bbox: BboxParam = None,
    datetime: DatetimeParam = None,
    geom: GeomParam = None,
    foi: FoiParam = None,
    observed_property: ObsPropParam = None,
    controlled_property: CtrlPropParam = None,
) -> FeatureQuery:
    """Parameters of `/samplingFeatures` and `/systems/{id}/samplingFeatures`."""
    return build_query(Kind.SAMPLING_FEATURE, settings, _public(locals()))


def property_query(
    settings: SettingsDep,
    limit: LimitParam = None,
    cursor: CursorParam = None,
    id: IdParam = None,
    q: QParam = None,
    bbox: BboxParam = None,
    datetime: DatetimeParam = None,
    base_property: BasePropParam = None,
    object_type: ObjectTypeParam = None,
) -> FeatureQuery:
    """Parameters of `/properties` (no geometry: bbox matches none; no validTime: datetime matches all)."""
    return build_query(Kind.PROPERTY, settings, _public(locals()))


QUERY_DEPENDENCIES: dict[Kind, Callable[..., FeatureQuery]] = {
    Kind.SYSTEM: system_query,
    Kind.DEPLOYMENT: deployment_query,
    Kind.PROCEDURE: procedure_query,
    Kind.SAMPLING_FEATURE: sampling_feature_query,
    Kind.PROPERTY: property_query,
}
