"""SensorML-JSON encoding of Part 1 resources (Req 89-103, Tables 48-55) in both directions.

SensorML members the neutral model does not hold (identifiers, characteristics, outputs...)
are kept verbatim in `Feature.sml`, so a resource posted as SensorML reads back unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
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
    Procedure,
    Property,
    System,
)
from bridge.model.kinds import FEATURE_KINDS, feature_class
from bridge.validation import PART1

GEOMETRY_TYPES = {
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
}
_SOFT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")
ASSET_TYPE_DEFINITION = "cs:AssetType"  # checklist D8: kept verbatim
_PROCESS_REQUIRED = ("type", "definition", "uniqueId", "label")
_REQUIRED = {
    Kind.SYSTEM: _PROCESS_REQUIRED,
    Kind.PROCEDURE: _PROCESS_REQUIRED,
    Kind.DEPLOYMENT: (*_PROCESS_REQUIRED, "validTime"),  # validTime: required by Table 42 and the GeoJSON schema
    Kind.PROPERTY: ("uniqueId", "label", "baseProperty"),
}
_CORE = {"id", "links", "uniqueId", "label", "description", "definition", "validTime", "typeOf", "attachedTo"}
_PROCESS_TYPES = {"SimpleProcess", "AggregateProcess"}
_PROCEDURE_TYPES = {"Procedure", "ObservingProcedure", "SamplingProcedure", "ActuatingProcedure"}
_ACTUATING_TYPES = {"Actuator", "ActuatingProcedure"}  # their SensorML inputs are controlled properties


def sml_type(feature: Feature) -> str:
    """SensorML class for a system or procedure (Req 95 / Req 100) unless the stored document names one."""
    stored = feature.sml.get("type")
    if isinstance(stored, str):
        return stored
    local = _local_name(feature.feature_type)
    if isinstance(feature, System) and feature.asset_type in ("Simulation", "Process"):
        return "SimpleProcess"
    if local in _PROCEDURE_TYPES:
        return "SimpleProcess"
    if local in ("Platform", "System"):
        return "PhysicalSystem"
    return "PhysicalComponent"


def _local_name(uri: str | None) -> str:
    """`Sensor` for `http://www.w3.org/ns/sosa/Sensor` or `sosa:Sensor`."""
    return (uri or "").rsplit("/", 1)[-1].rsplit(":", 1)[-1]


def encode(feature: Feature, links: list[dict[str, str]], parent_href: str | None = None) -> JsonDict:
    """The SensorML-JSON document of a system, deployment, procedure or property."""
    doc: JsonDict = {k: v for k, v in feature.sml.items() if k not in _CORE}
    if isinstance(feature, Property):
        head: JsonDict = {
            "id": feature.id,
            "uniqueId": feature.uid,
            "label": feature.name,
            "description": feature.description,
        }
        doc = {**drop_none(head), "baseProperty": feature.base_property, **doc}
        doc.update(drop_none({"objectType": feature.object_type, "statistic": feature.statistic}))
        doc["links"] = links
        return doc
    head = {
        "type": "Deployment" if isinstance(feature, Deployment) else sml_type(feature),
        "id": feature.id,
        "definition": type_of(feature),
        "uniqueId": feature.uid,
        "label": feature.name,
        "description": feature.description,
        "validTime": encode_period(feature.valid_time),
    }
    doc = {**drop_none(head), **{k: v for k, v in doc.items() if k != "type"}}
    if isinstance(feature, System):
        _encode_system(feature, doc, parent_href)
    elif isinstance(feature, Deployment):
        _encode_deployment(feature, doc)
    doc["links"] = links
    return doc


def _encode_system(feature: System, doc: JsonDict, parent_href: str | None) -> None:
    classifiers = doc.get("classifiers", [])
    if feature.asset_type and not any(_is_asset_type(c) for c in classifiers):
        doc["classifiers"] = [
            {"definition": ASSET_TYPE_DEFINITION, "label": "Asset Type", "value": feature.asset_type},
            *classifiers,
        ]
    if feature.geometry is not None and feature.geometry.get("type") == "Point":
        doc["position"] = feature.geometry  # the schema's position takes a GeoJSON Point only
    if feature.system_kind:
        doc["typeOf"] = feature.system_kind.to_json()
    if parent_href:
        doc["attachedTo"] = {"href": parent_href, "rel": "parentSystem"}


def _is_asset_type(classifier: Any) -> bool:
    return isinstance(classifier, dict) and str(classifier.get("definition", "")).endswith("AssetType")


def _encode_deployment(feature: Deployment, doc: JsonDict) -> None:
    if feature.geometry is not None:
        doc["location"] = feature.geometry
    if feature.platform:
        doc["platform"] = {"system": feature.platform.to_json()}
    if feature.deployed_systems:
        doc["deployedSystems"] = [
            drop_none(
                {
                    "name": soft_name(d.name, d.system.href),
                    "description": d.description,
                    "system": d.system.to_json(),
                    "configuration": d.configuration,
                }
            )
            for d in feature.deployed_systems
        ]


def soft_name(name: str | None, href: str) -> str:
    """A SWE SoftNamedProperty name (`^[A-Za-z][A-Za-z0-9_-]*$`) for a deployed system, from its name or href."""
    if name and _SOFT_NAME.match(name):
        return name
    source = name or href.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    cleaned = re.sub(r"[^A-Za-z0-9_-]+", "_", source).strip("_")
    return cleaned if _SOFT_NAME.match(cleaned) else f"system_{cleaned}"


def definitions(components: Any) -> Iterator[str]:
    """Every `definition` URI inside a list of SWE Common components (outputs/inputs), recursively."""
    if isinstance(components, list):
        for item in components:
            yield from definitions(item)
    elif isinstance(components, dict):
        definition = components.get("definition")
        if isinstance(definition, str):
            yield definition
        for key in ("fields", "coordinates", "items", "elementType", "outputs", "inputs"):
            if key in components:
                yield from definitions(components[key])


def decode(kind: Kind, body: Any) -> Feature:
    """A resource from a SensorML-JSON request body (validated against the official schema)."""
    schema = FEATURE_KINDS[kind].schemas.get("sml")
    if schema is None:
        raise InvalidBody(f"{kind.value} cannot be written as SensorML; use application/geo+json")
    if not isinstance(body, dict):
        raise InvalidBody("the body must be a SensorML-JSON object")
    missing = [f"$.{key}" for key in _REQUIRED.get(kind, ("uniqueId", "label")) if key not in body]
    if missing:  # checked first: inside the schema's oneOf a missing member gives an obscure error
        raise InvalidBody(f"invalid SensorML {kind.value} description: {', '.join(missing)} is required")
    validate_body(PART1 + schema, body, f"SensorML {kind.value} description")
    for key in ("label", "description", "definition"):  # the schemas leave some untyped; the store needs text
        if body.get(key) is not None and not isinstance(body[key], str):
            raise InvalidBody(f"$.{key}: a string is expected, got {type(body[key]).__name__}")
    extras = {k: v for k, v in body.items() if k not in _CORE}
    feature = feature_class(kind)(
        uid=check_uid(body.get("uniqueId"), "$.uniqueId"),
        name=str(body["label"]),
        description=body.get("description"),
        feature_type=body.get("definition"),
        valid_time=decode_period(body.get("validTime"), "$.validTime"),
        sml=extras,
    )
    if isinstance(feature, System | Procedure):
        _decode_process(feature, body, extras)
    elif isinstance(feature, Deployment):
        _decode_deployment(feature, extras)
    elif isinstance(feature, Property):
        feature.base_property = str(body["baseProperty"])
        feature.object_type = extras.pop("objectType", None)
        feature.statistic = extras.pop("statistic", None)
        extras.pop("baseProperty", None)
    return feature


def _decode_process(feature: System | Procedure, body: JsonDict, extras: JsonDict) -> None:
    feature.observed_properties = sorted(set(definitions(body.get("outputs", []))))
    actuator = _local_name(feature.feature_type) in _ACTUATING_TYPES
    inputs = sorted(set(definitions(body.get("inputs", []))))
    if actuator:
        feature.controlled_properties = inputs
    else:
        feature.observed_properties = sorted(set(feature.observed_properties) | set(inputs))
    if not isinstance(feature, System):
        return
    position = extras.get("position")
    if isinstance(position, dict) and position.get("type") in GEOMETRY_TYPES:
        check_geometry(position, "$.position")
        feature.geometry = extras.pop("position")
    for classifier in extras.get("classifiers") or []:
        if _is_asset_type(classifier):
            feature.asset_type = str(classifier.get("value"))
    if "typeOf" in body:
        feature.system_kind = decode_link(body["typeOf"], "$.typeOf")


def _decode_deployment(feature: Deployment, extras: JsonDict) -> None:
    location = extras.pop("location", None)
    if isinstance(location, dict):
        check_geometry(location, "$.location")
        feature.geometry = location
    platform = extras.pop("platform", None)
    if isinstance(platform, dict) and "system" in platform:
        feature.platform = decode_link(platform["system"], "$.platform.system")
    deployed = extras.pop("deployedSystems", None) or []
    feature.deployed_systems = [
        DeployedSystem(
            system=decode_link(d.get("system"), f"$.deployedSystems[{i}].system"),
            name=d.get("name"),
            description=d.get("description"),
            configuration=d.get("configuration"),
        )
        for i, d in enumerate(deployed)
    ]
