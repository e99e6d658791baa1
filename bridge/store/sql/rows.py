"""Conversion between Part 1 resources and table rows (+ the association refs used by filters)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

import orjson
from shapely.geometry import shape

from bridge.model.csapi import (
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
    ref_target,
)
from bridge.model.kinds import FEATURE_KINDS
from bridge.model.time import from_us, to_us

_WORD = re.compile(r"[\W_]+", re.UNICODE)
# Model fields kept in columns of every Part 1 table (each kind adds those of its descriptor's columns).
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
}


def search_text(name: str, description: str | None) -> str:
    """Lower-cased, punctuation-free text with a leading space so `LIKE '% kw%'` is a word-prefix match."""
    return " " + _WORD.sub(" ", f"{name} {description or ''}".lower()).strip() + " "


def envelope(geometry: Mapping[str, Any] | None) -> tuple[float, float, float, float] | None:
    """Bounding box of a GeoJSON geometry, or None."""
    if not geometry:
        return None
    minx, miny, maxx, maxy = shape(geometry).bounds
    return float(minx), float(miny), float(maxx), float(maxy)


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
    columns = FEATURE_KINDS[feature.kind].columns
    in_columns = _COLUMN_FIELDS | {c.field for c in columns if c.field}
    doc = {
        f.name: _encode(getattr(feature, f.name))
        for f in fields(feature)
        if f.name not in in_columns and getattr(feature, f.name) not in (None, [], {})
    }
    prov = feature.provenance
    row: dict[str, Any] = {
        "id": feature.id,
        "uid": feature.uid,
        "name": feature.name,
        "description": feature.description,
        "feature_type": feature.feature_type,
        "valid_start": to_us(feature.valid_time.start) if feature.valid_time and feature.valid_time.start else None,
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
    for column in columns:
        row[column.name] = column.value(feature)
    return row


# Association rels written from the resource document itself, replaced on every write of the resource.
# Other rels in `refs` (`observedProperty`, `controlledProperty`, `foi` of systems and sampling
# features) are recorded by Part 2 streams and survive a PUT/PATCH of the resource.
REL_OBSERVES = "sml:observes"  # SensorML outputs (and sensor inputs) of a system or procedure
REL_CONTROLS = "sml:controls"  # SensorML inputs of an actuator or actuating procedure
REL_FOI = "sml:foi"  # SensorML featuresOfInterest of a system
REL_PROCEDURE = "procedure"  # systemKind@link / typeOf of a system
REL_DEPLOYED = "deployedSystem"
REL_PLATFORM = "platform"
REL_SAMPLED = "sampledFeature"
REL_SAMPLE_OF = "sampleOf"
REL_BASE = "baseProperty"
DOCUMENT_RELS = (
    REL_OBSERVES,
    REL_CONTROLS,
    REL_FOI,
    REL_PROCEDURE,
    REL_DEPLOYED,
    REL_PLATFORM,
    REL_SAMPLED,
    REL_SAMPLE_OF,
    REL_BASE,
)


def link_targets(link: Link | None) -> set[str]:
    """Values a filter may match a link by: its href as given, our local id for it, and its uid."""
    if link is None:
        return set()
    return {v for v in (link.href, ref_target(link.href), link.uid) if v}


def uri_targets(uri: str) -> set[str]:
    """A URI as given and, for our own canonical URLs, the local id."""
    return {uri, ref_target(uri)}


def feature_refs(feature: Feature) -> list[tuple[str, str]]:
    """(rel, target) associations the feature's document defines, for the filter index."""
    out: set[tuple[str, str]] = set()
    if isinstance(feature, System | Procedure):
        out |= {(REL_OBSERVES, t) for p in feature.observed_properties for t in uri_targets(p)}
        out |= {(REL_CONTROLS, t) for p in feature.controlled_properties for t in uri_targets(p)}
    if isinstance(feature, System):
        out |= {(REL_PROCEDURE, t) for t in link_targets(feature.system_kind)}
        fois = feature.sml.get("featuresOfInterest")
        for foi in fois if isinstance(fois, list) else []:
            if isinstance(foi, dict) and isinstance(foi.get("href"), str):
                out |= {(REL_FOI, t) for t in link_targets(Link.from_json(foi))}
    if isinstance(feature, Deployment):
        out |= {(REL_DEPLOYED, t) for d in feature.deployed_systems for t in link_targets(d.system)}
        out |= {(REL_PLATFORM, t) for t in link_targets(feature.platform)}
    if isinstance(feature, SamplingFeature):
        out |= {(REL_SAMPLED, t) for t in link_targets(feature.sampled_feature)}
        out |= {(REL_SAMPLE_OF, t) for lnk in feature.sample_of for t in link_targets(lnk)}
    if isinstance(feature, Property) and feature.base_property:
        out |= {(REL_BASE, t) for t in uri_targets(feature.base_property)}
    return sorted(out)


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


def row_to_feature(kind: Kind, row: Mapping[Any, Any]) -> Feature:
    """Rebuild a feature from its row."""
    desc = FEATURE_KINDS[kind]
    doc = orjson.loads(row["doc"])
    kwargs: dict[str, Any] = {name: _decode_field(name, value) for name, value in doc.items()}
    valid = None
    if row["valid_start"] is not None:
        valid = TimeExtent(from_us(row["valid_start"]), from_us(row["valid_end"]) if row["valid_end"] else None)
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
    for column in desc.columns:
        if column.field is not None and row[column.name] is not None:
            kwargs[column.field] = row[column.name]
    feature: Feature = desc.model(**kwargs)
    return feature
