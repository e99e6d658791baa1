"""One descriptor per resource kind: what the store, the filters, the routes, the encodings, the collections,
the landing page and `/conformance` iterate instead of keeping their own table per kind.

Adding a Part 1 kind takes its model class (`csapi.py`), a `ResourceKind` here, its encoding (the
branches of `bridge.api.encodings.geojson` / `sensorml` for its own members) and, when it has
association filters of its own, their SQL (`bridge.store.sql.filters`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bridge.model.csapi import (
    Command,
    ControlStream,
    Datastream,
    Deployment,
    Feature,
    Kind,
    Observation,
    Procedure,
    Property,
    SamplingFeature,
    System,
    SystemEvent,
    ref_target,
)

SOSA = "http://www.w3.org/ns/sosa/"


@dataclass(frozen=True, slots=True)
class Column:
    """A member of a Part 1 resource kept in an indexed column of its table (for filters), not in its document.

    `field`: the model field restored from the column when read back (None: the column is derived, e.g.
    a system's procedure reference, and the field stays in the document). `value`: what to store.
    """

    name: str
    uri: bool  # a URI-sized column (else a short code)
    value: Callable[[Any], Any]
    field: str | None = None
    index: bool = False


@dataclass(frozen=True, slots=True)
class ResourceKind:
    """Everything the bridge needs to know about one resource kind, in one place."""

    kind: Kind
    model: type[Any]
    title: str  # "Systems": route tags and summaries
    item: str  # "system": messages
    part: int  # the CSAPI part that defines it (1, 2)
    table: str  # its SQL table
    formats: tuple[str, ...] = ()  # encodings of its resources endpoint by `f` name (geojson, sml, json)
    item_type: str = "feature"  # `itemType` of its collections
    feature_type: str | None = None  # `featureType` of its collections (compact form)
    default_type: str | None = None  # featureType / definition written when a stored resource has none
    schemas: dict[str, str] = field(default_factory=dict)  # request-body schema per format (under Part 1's)
    filters: tuple[str, ...] = ()  # association query parameters of its resources endpoint (Part 1 §9)
    spatial: bool = False  # accepts `geom` (has geometries)
    hierarchical: bool = False  # has children of its own kind: `parent`, `recursive`, top-level lists
    creatable: bool = True  # POST on its canonical endpoint
    columns: tuple[Column, ...] = ()  # members kept in indexed columns (Part 1 tables)
    conformance: tuple[str, ...] = ()  # conformance classes of its own (name under its part's `conf/`)
    collection: tuple[str, str, str] = ("", "", "")  # built-in collection: id, title, description
    landing: str | None = None  # title of its link on the landing page (None: not linked there)

    @property
    def path(self) -> str:
        """The canonical endpoint's path segment (`systems`)."""
        return self.kind.value


def _procedure_ref(system: System) -> str | None:
    return ref_target(system.system_kind.href) if system.system_kind else None


PART1_KINDS: tuple[ResourceKind, ...] = (
    ResourceKind(
        Kind.SYSTEM, System, "Systems", "system", 1, "systems",
        formats=("geojson", "sml"), feature_type="sosa:System", default_type=SOSA + "System",
        schemas={"geojson": "geojson/system.json", "sml": "sensorml/system.json"},
        filters=("parent", "procedure", "foi", "observedProperty", "controlledProperty"),
        spatial=True, hierarchical=True,
        columns=(
            Column("procedure_ref", uri=True, value=_procedure_ref, index=True),
            Column("asset_type", uri=False, value=lambda s: s.asset_type, field="asset_type"),
        ),
        conformance=("system", "subsystem"),
        collection=("all_systems", "All systems", "Every system of this server"), landing="Systems",
    ),
    ResourceKind(
        Kind.DEPLOYMENT, Deployment, "Deployments", "deployment", 1, "deployments",
        formats=("geojson", "sml"), feature_type="sosa:Deployment", default_type=SOSA + "Deployment",
        schemas={"geojson": "geojson/deployment.json", "sml": "sensorml/deployment.json"},
        filters=("parent", "system", "foi", "observedProperty", "controlledProperty"),
        spatial=True, hierarchical=True,
        conformance=("deployment", "subdeployment"),
        collection=("all_deployments", "All deployments", "Every deployment"), landing="Deployments",
    ),
    ResourceKind(
        Kind.PROCEDURE, Procedure, "Procedures", "procedure", 1, "procedures",
        formats=("geojson", "sml"), feature_type="sosa:Procedure", default_type=SOSA + "Procedure",
        schemas={"geojson": "geojson/procedure.json", "sml": "sensorml/procedure.json"},
        filters=("observedProperty", "controlledProperty"),
        conformance=("procedure",),
        collection=("all_procedures", "All procedures", "Every procedure and datasheet"), landing="Procedures",
    ),
    ResourceKind(
        Kind.SAMPLING_FEATURE, SamplingFeature, "Sampling features", "sampling feature", 1, "sampling_features",
        formats=("geojson",), feature_type="sosa:Sample", default_type=SOSA + "Sample",
        schemas={"geojson": "geojson/samplingFeature.json"},
        filters=("foi", "observedProperty", "controlledProperty"),
        spatial=True, creatable=False,  # created under their system (Req 32)
        conformance=("sf",),
        collection=("all_sampling_features", "All sampling features", "Every sampling feature"),
        landing="Sampling features",
    ),
    ResourceKind(
        Kind.PROPERTY, Property, "Properties", "property", 1, "properties",
        formats=("sml",), item_type="sosa:Property",
        schemas={"sml": "sensorml/property.json"},
        filters=("baseProperty", "objectType"),
        columns=(
            Column("base_property", uri=True, value=lambda p: p.base_property, field="base_property", index=True),
            Column("object_type", uri=True, value=lambda p: p.object_type, field="object_type", index=True),
        ),
        conformance=("property",),
        collection=("all_properties", "All properties", "Every property definition"),
        landing="Property definitions",
    ),
)  # fmt: skip

PART2_KINDS: tuple[ResourceKind, ...] = (
    ResourceKind(
        Kind.DATASTREAM, Datastream, "Datastreams", "datastream", 2, "datastreams",
        formats=("json",), item_type="DataStream", creatable=False, conformance=("datastream",),
        collection=("all_datastreams", "All datastreams", "Every datastream"),
    ),
    ResourceKind(
        Kind.OBSERVATION, Observation, "Observations", "observation", 2, "observations",
        formats=("json",), item_type="Observation", creatable=False,
        collection=("all_observations", "All observations", "Every observation"),
    ),
    ResourceKind(
        Kind.CONTROL_STREAM, ControlStream, "Control streams", "control stream", 2, "controlstreams",
        formats=("json",), item_type="ControlStream", creatable=False, conformance=("controlstream",),
        collection=("all_controlstreams", "All control streams", "Every control stream"),
    ),
    ResourceKind(
        Kind.COMMAND, Command, "Commands", "command", 2, "commands",
        formats=("json",), item_type="Command", creatable=False,
        collection=("all_commands", "All commands", "Every command"),
    ),
    ResourceKind(
        Kind.SYSTEM_EVENT, SystemEvent, "System events", "system event", 2, "system_events",
        formats=("json",), item_type="SystemEvent", creatable=False, conformance=("system-event",),
        collection=("all_system_events", "All system events", "Every system event"),
    ),
)  # fmt: skip

KINDS: dict[Kind, ResourceKind] = {d.kind: d for d in (*PART1_KINDS, *PART2_KINDS)}
FEATURE_KINDS: dict[Kind, ResourceKind] = {d.kind: d for d in PART1_KINDS}


def describe(kind: Kind) -> ResourceKind:
    """The descriptor of a kind."""
    return KINDS[kind]


def feature_class(kind: Kind) -> type[Feature]:
    """The model class of a Part 1 kind."""
    cls: type[Feature] = FEATURE_KINDS[kind].model
    return cls


def _check() -> None:
    """Every Kind has exactly one descriptor, and each Part 1 model class names its kind."""
    missing = set(Kind) - set(KINDS)
    if missing:
        raise RuntimeError(f"resource kinds without a descriptor: {sorted(missing)}")
    for desc in PART1_KINDS:
        if getattr(desc.model, "kind", None) is not desc.kind:
            raise RuntimeError(f"{desc.model.__name__}.kind is not {desc.kind}")


_check()
