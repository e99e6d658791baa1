"""Conversion between Part 1 resources and table rows (+ the association refs used by filters)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

import orjson
from shapely.geometry import shape

from bridge.model.csapi import (
    FEATURE_CLASSES,
    DeployedSystem,
    Deployment,
    Feature,
    Kind,
    Link,
    Procedure,
    Property,
    Provenance,
    SamplingFeature,
    System,
    TimeExtent,
)
from bridge.model.time import from_us, to_us

_WORD = re.compile(r"[\W_]+", re.UNICODE)
_COLUMN_FIELDS = {
    "id",
    "uid",
    "name",
    "description",
    "feature_type",
    "valid_time",
    "geometry",
    "parent_id",
    "provenance",
    "asset_type",
    "base_property",
    "object_type",
}
_CANONICAL = re.compile(
    r"/(systems|deployments|procedures|samplingFeatures|properties)/([^/?#]+)/?(?:[?#].*)?$"
)


def search_text(name: str, description: str | None) -> str:
    """Lower-cased, punctuation-free text with a leading space so `LIKE '% kw%'` is a word-prefix match."""
    return " " + _WORD.sub(" ", f"{name} {description or ''}".lower()).strip() + " "


def envelope(geometry: Mapping[str, Any] | None) -> tuple[float, float, float, float] | None:
    """Bounding box of a GeoJSON geometry, or None."""
    if not geometry:
        return None
    minx, miny, maxx, maxy = shape(geometry).bounds
    return float(minx), float(miny), float(maxx), float(maxy)


def ref_target(href: str) -> str:
    """The value stored for an association: the local id for our own canonical URLs, else the href/UID."""
    match = _CANONICAL.search(href) if href.startswith(("http://", "https://", "/")) else None
    return match.group(2) if match else href


def _encode(value: Any) -> Any:
    if isinstance(value, Link):
        return value.to_json()
    if isinstance(value, DeployedSystem):
        out = {"system": value.system.to_json()}
        for key in ("name", "description", "configuration"):
            if getattr(value, key) is not None:
                out[key] = getattr(value, key)
        return out
    if isinstance(value, list):
        return [_encode(v) for v in value]
    return value


def feature_to_row(feature: Feature, now_us: int) -> dict[str, Any]:
    """Row values of a feature (without pk)."""
    env = envelope(feature.geometry)
    doc = {
        f.name: _encode(getattr(feature, f.name))
        for f in fields(feature)
        if f.name not in _COLUMN_FIELDS and getattr(feature, f.name) not in (None, [], {})
    }
    prov = feature.provenance
    row: dict[str, Any] = {
        "id": feature.id,
        "uid": feature.uid,
        "name": feature.name,
        "description": feature.description,
        "feature_type": feature.feature_type,
        "valid_start": to_us(feature.valid_time.start)
        if feature.valid_time and feature.valid_time.start
        else None,
        "valid_end": to_us(feature.valid_time.end) if feature.valid_time and feature.valid_time.end else None,
        "minx": env[0] if env else None,
        "miny": env[1] if env else None,
        "maxx": env[2] if env else None,
        "maxy": env[3] if env else None,
        "geometry": orjson.dumps(feature.geometry).decode() if feature.geometry else None,
        "parent_id": feature.parent_id,
        "search": search_text(feature.name, feature.description),
        "doc": orjson.dumps(doc).decode(),
        "updated": now_us,
        "source": prov.source if prov else None,
        "legacy_type": prov.legacy_type if prov else None,
        "legacy_id": prov.legacy_id if prov else None,
        "via": prov.via if prov else None,
        "run_id": prov.run_id if prov else None,
    }
    if isinstance(feature, System):
        row["asset_type"] = feature.asset_type
        row["procedure_ref"] = ref_target(feature.system_kind.href) if feature.system_kind else None
    if isinstance(feature, Property):
        row["base_property"] = feature.base_property
        row["object_type"] = feature.object_type
    return row


def feature_refs(feature: Feature) -> list[tuple[str, str]]:
    """(rel, target) associations of a feature for the filter index."""
    out: list[tuple[str, str]] = []
    if isinstance(feature, System | Procedure):
        out += [("observedProperty", p) for p in feature.observed_properties]
        out += [("controlledProperty", p) for p in feature.controlled_properties]
    if isinstance(feature, Deployment):
        out += [("deployedSystem", ref_target(d.system.href)) for d in feature.deployed_systems]
        out += [("deployedSystem", d.system.uid) for d in feature.deployed_systems if d.system.uid]
        if feature.platform:
            out.append(("platform", ref_target(feature.platform.href)))
    if isinstance(feature, SamplingFeature):
        if feature.sampled_feature:
            out.append(("sampledFeature", ref_target(feature.sampled_feature.href)))
            if feature.sampled_feature.uid:
                out.append(("sampledFeature", feature.sampled_feature.uid))
        out += [("sampleOf", ref_target(link.href)) for link in feature.sample_of]
    return sorted(set(out))


def _decode_field(name: str, value: Any) -> Any:
    if name in ("system_kind", "platform", "sampled_feature"):
        return Link.from_json(value)
    if name in ("links", "sample_of"):
        return [Link.from_json(v) for v in value]
    if name == "deployed_systems":
        return [
            DeployedSystem(
                system=Link.from_json(v["system"]),
                name=v.get("name"),
                description=v.get("description"),
                configuration=v.get("configuration"),
            )
            for v in value
        ]
    return value


def row_to_feature(kind: Kind, row: Mapping[str, Any]) -> Feature:
    """Rebuild a feature from its row."""
    cls = FEATURE_CLASSES[kind]
    doc = orjson.loads(row["doc"])
    kwargs: dict[str, Any] = {name: _decode_field(name, value) for name, value in doc.items()}
    valid = None
    if row["valid_start"] is not None:
        valid = TimeExtent(
            from_us(row["valid_start"]), from_us(row["valid_end"]) if row["valid_end"] else None
        )
    prov = None
    if row["source"]:
        prov = Provenance(
            source=row["source"],
            legacy_type=row["legacy_type"] or "",
            legacy_id=row["legacy_id"] or "",
            via=row["via"],
            run_id=row["run_id"],
        )
    kwargs.update(
        id=row["id"],
        uid=row["uid"],
        name=row["name"],
        description=row["description"],
        feature_type=row["feature_type"],
        valid_time=valid,
        geometry=orjson.loads(row["geometry"]) if row["geometry"] else None,
        parent_id=row["parent_id"],
        provenance=prov,
    )
    if kind is Kind.SYSTEM:
        kwargs["asset_type"] = row["asset_type"]
    if kind is Kind.PROPERTY:
        kwargs["base_property"] = row["base_property"] or ""
        kwargs["object_type"] = row["object_type"]
    return cls(**kwargs)
