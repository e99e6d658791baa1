"""What the SOS harvester hands to the mapping engine: procedures, streams and observation records.

A stream is one (offering, procedure, observed property) combination of the Capabilities; its
`hint` (the result structure seen in the data or in a result template) decides the datastream schema.
Observation records are `ObservationRecord` pairs or `CompactRow` tuples (see `bridge.model.legacy.sos2`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from bridge.model.legacy.sos2 import (
    Capabilities,
    FeatureOfInterest,
    JsonDict,
    Observation,
    Offering,
    SensorDescription,
)
from bridge.sources.sos2.ns import FORMAT_OM20, FORMAT_WML2


@dataclass(frozen=True, slots=True)
class StreamHint:
    """The result structure of a stream: a SWE Common 3 JSON component and the O&M observation type."""

    component: JsonDict | None = None
    observation_type: str | None = None
    uom: str | None = None
    source: str = "capabilities"  # capabilities | sensorml | observations | template
    compact: bool = False  # rows are `CompactRow` tuples, not `ObservationRecord`s


@dataclass(slots=True)
class ProcedureInfo:
    """A procedure of the Capabilities with its offerings and (when DescribeSensor worked) its description."""

    procedure: str
    offerings: list[Offering]
    sensor: SensorDescription | None = None
    via: str | None = None
    caps: Capabilities | None = None
    issues: list[str] = field(default_factory=list)  # decisions taken about its legacy description (provenance)

    @property
    def name(self) -> str:
        """Label of the description, else of the first named offering, else the procedure id."""
        if self.sensor is not None and self.sensor.label:
            return self.sensor.label
        return next((o.name for o in self.offerings if o.name), None) or self.procedure

    @property
    def observable_properties(self) -> list[str]:
        """Observable properties of all offerings, in order, without repeats."""
        return list(dict.fromkeys(p for o in self.offerings for p in o.observable_properties))


@dataclass(slots=True)
class StreamInfo:
    """One datastream: (offering, procedure, observed property)."""

    offering: Offering
    procedure: ProcedureInfo
    prop: str
    label: str
    response_format: str
    via: str = ""
    output: JsonDict | None = None  # the matching SensorML output component, if any
    default_foi: str | None = None  # the only feature of interest of the procedure (GetResult rows lack one)

    @property
    def legacy_id(self) -> str:
        """`offering/procedure/property`, each percent-encoded (ids may hold any character, Q3)."""
        parts = (self.offering.identifier, self.procedure.procedure, self.prop)
        return "/".join(quote(p, safe="") for p in parts)

    @property
    def cursor_key(self) -> str:
        """The key of this stream's cursor in the store."""
        return f"Datastream/{self.legacy_id}"

    @property
    def name(self) -> str:
        """The datastream's name: property label and procedure name."""
        return f"{self.label} ({self.procedure.name})"

    def fallback_hint(self) -> StreamHint:
        """The structure known before any data: the SensorML output, else the advertised observation type."""
        types = self.offering.observation_types
        if self.output is not None:
            return StreamHint(self.output, types[0] if types else None, None, "sensorml")
        return StreamHint(None, types[0] if types else None, None, "capabilities")


@dataclass(slots=True)
class FeatureSeen:
    """Features of interest already emitted in this run (key → parent procedure)."""

    parents: dict[str, str] = field(default_factory=dict)

    def new(self, records: list[Any], procedure: str) -> list[FeatureOfInterest]:
        """Features referenced by `records` not emitted yet: inline ones complete, others by id and title.

        Records are `(Observation, seq)` pairs or compact rows (`(…, foi, value, seq, title)` tuples).
        """
        found: dict[str, FeatureOfInterest] = {}
        parents = self.parents
        for record in records:
            head = record[0]
            if type(head) is int:
                key, feature, title = record[3], None, record[6]
                if not key:
                    continue
            else:
                key, feature, title = foi_key(head), head.feature, head.foi_title
            if key is None or key in parents or key in found:
                continue
            if feature is not None and feature.identifier == key:
                found[key] = feature
            else:
                found[key] = FeatureOfInterest(identifier=key, names=(title,) if title else ())
        for key in found:
            parents[key] = procedure
        return list(found.values())


def foi_key(obs: Observation) -> str | None:
    """The identity of an observation's feature of interest (None for an unresolved `#id` reference)."""
    key = obs.foi
    if not key or key.startswith("#"):
        return None
    return key


def response_format(offering: Offering) -> str:
    """O&M 2.0 when offered (or nothing is said), else WaterML 2.0 (hydrology profile servers)."""
    formats = offering.response_formats
    if not formats or FORMAT_OM20 in formats:
        return FORMAT_OM20
    return FORMAT_WML2 if FORMAT_WML2 in formats else FORMAT_OM20


def property_label(prop: str, output: JsonDict | None) -> str:
    """A human label: the SensorML output's label, else the last segment of the property id."""
    if output and output.get("label"):
        return str(output["label"])
    tail = prop.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    return tail.rsplit(":", 1)[-1] if prop.startswith("urn:") else tail or prop


def matching_output(sensor: SensorDescription | None, prop: str) -> JsonDict | None:
    """The SensorML output observing `prop` (by definition, else by name)."""
    if sensor is None:
        return None
    for output in sensor.outputs:
        if output.definition == prop or output.name == prop:
            return output.component
    return None
