"""GeoJSON encoding of Part 1 resources (Req 77-88, Tables 39-47) in both directions."""

from __future__ import annotations

import uuid
from typing import Any

from bridge.api.encodings.common import (
    check_geometry,
    check_uid,
    decode_link,
    decode_period,
    drop_none,
    encode_period,
    type_of,
    validate_body,
)
from bridge.errors import InvalidBody
from bridge.model.csapi import (
    DeployedSystem,
    Deployment,
    Feature,
    JsonDict,
    Kind,
    SamplingFeature,
    System,
)
from bridge.model.kinds import FEATURE_KINDS, feature_class
from bridge.validation import PART1

_CORE = {"uid", "name", "description", "featureType", "validTime"}
_KIND_PROPS = {
    Kind.SYSTEM: {"assetType", "systemKind@link"},
    Kind.DEPLOYMENT: {"platform@link", "deployedSystems@link"},
    Kind.PROCEDURE: set(),
    Kind.SAMPLING_FEATURE: {"sampledFeature@link", "sampleOf@link"},
}


def encode(feature: Feature, links: list[dict[str, str]]) -> JsonDict:
    """The GeoJSON Feature of a resource (procedures always have `geometry: null`, Req 24)."""
    props: JsonDict = drop_none(
        {
            "uid": feature.uid,
            "name": feature.name,
            "description": feature.description,
            "featureType": type_of(feature),
            "validTime": encode_period(feature.valid_time),
        }
    )
    if isinstance(feature, System):
        props.update(drop_none({"assetType": feature.asset_type}))
        if feature.system_kind:
            props["systemKind@link"] = feature.system_kind.to_json()
    elif isinstance(feature, Deployment):
        if feature.platform:
            props["platform@link"] = feature.platform.to_json()
        if feature.deployed_systems:
            props["deployedSystems@link"] = [_deployed_link(d) for d in feature.deployed_systems]
    elif isinstance(feature, SamplingFeature):
        if feature.sampled_feature:
            props["sampledFeature@link"] = feature.sampled_feature.to_json()
        if feature.sample_of:
            props["sampleOf@link"] = [lnk.to_json() for lnk in feature.sample_of]
    props.update({k: v for k, v in feature.properties.items() if k not in props})
    geometry = None if feature.kind is Kind.PROCEDURE else feature.geometry
    return {"type": "Feature", "id": feature.id, "geometry": geometry, "properties": props, "links": links}


def _deployed_link(deployed: DeployedSystem) -> JsonDict:
    out = deployed.system.to_json()
    if deployed.name and "title" not in out:
        out["title"] = deployed.name
    return out


def decode(kind: Kind, body: Any, uid: str | None = None) -> Feature:
    """A resource from a GeoJSON request body (validated against the official schema).

    Minimal bodies as OpenSensorHub-style clients send them (`{"type": "Feature", "geometry": null,
    "properties": {"name": …}}`) are completed first: a missing `uid` becomes `uid` (a PUT keeps the stored
    one) or a new `urn:uuid:` URN, a missing `featureType` the type the endpoint implies (`sosa:System` on
    `/systems`). Everything else is validated as sent.
    """
    desc = FEATURE_KINDS[kind]
    schema = desc.schemas.get("geojson")
    if schema is None:
        raise InvalidBody(f"{kind.value} cannot be written as GeoJSON; use application/sml+json")
    if not isinstance(body, dict):
        raise InvalidBody("the body must be a GeoJSON Feature object")
    if isinstance(body.get("properties"), dict):
        body = {**body, "properties": {**body["properties"]}}
        body["properties"].setdefault("uid", uid or f"urn:uuid:{uuid.uuid4()}")
        if desc.feature_type:
            body["properties"].setdefault("featureType", desc.feature_type)
    validate_body(PART1 + schema, body, f"GeoJSON {kind.value} feature")
    geometry = body.get("geometry")
    if kind is Kind.SYSTEM and geometry is not None and geometry.get("type") != "Point":
        raise InvalidBody("$.geometry.type: the location of a system is a GeoJSON Point (Table 40, D7)")
    check_geometry(geometry, "$.geometry")
    props: JsonDict = dict(body.get("properties") or {})
    feature = feature_class(kind)(
        uid=check_uid(props.get("uid"), "$.properties.uid"),
        name=str(props["name"]),
        description=props.get("description"),
        feature_type=props.get("featureType"),
        valid_time=decode_period(props.get("validTime"), "$.properties.validTime"),
        geometry=None if kind is Kind.PROCEDURE else body.get("geometry"),
        properties={k: v for k, v in props.items() if k not in _CORE | _KIND_PROPS.get(kind, set())},
    )
    if isinstance(feature, System):
        feature.asset_type = props.get("assetType")
        if "systemKind@link" in props:
            feature.system_kind = decode_link(props["systemKind@link"], "$.properties['systemKind@link']")
    elif isinstance(feature, Deployment):
        if "platform@link" in props:
            feature.platform = decode_link(props["platform@link"], "$.properties['platform@link']")
        deployed = props.get("deployedSystems@link") or []
        if not isinstance(deployed, list):
            raise InvalidBody("$.properties['deployedSystems@link']: must be an array of links")
        feature.deployed_systems = [
            DeployedSystem(system=decode_link(d, f"$.properties['deployedSystems@link'][{i}]"), name=d.get("title"))
            for i, d in enumerate(deployed)
        ]
    elif isinstance(feature, SamplingFeature):
        feature.sampled_feature = decode_link(props["sampledFeature@link"], "$.properties['sampledFeature@link']")
        sample_of = props.get("sampleOf@link") or []
        sample_of = sample_of if isinstance(sample_of, list) else [sample_of]
        feature.sample_of = [decode_link(v, f"$.properties['sampleOf@link'][{i}]") for i, v in enumerate(sample_of)]
    return feature
