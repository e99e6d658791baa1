"""Encoding-neutral CSAPI resources (Parts 1 and 2) as the store and mapping see them.

Encoders in `bridge.api.encodings` turn these into GeoJSON, SensorML-JSON, JSON and SWE Common;
decoders turn request bodies back into them. Members that one encoding carries and the
neutral model does not (SensorML identifiers, characteristics, extra GeoJSON properties...)
are kept verbatim in `sml` / `properties` so a resource round-trips in the encoding it came in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

JsonDict = dict[str, Any]

_CANONICAL = re.compile(r"/(systems|deployments|procedures|samplingFeatures|properties)/([^/?#]+)/?(?:[?#].*)?$")


def ref_target(href: str) -> str:
    """The value kept for an association: the local id for a canonical URL of ours, else the href/UID."""
    match = _CANONICAL.search(href) if href.startswith(("http://", "https://", "/")) else None
    return match.group(2) if match else href


class Kind(StrEnum):
    """Resource families; the value is the canonical endpoint path segment."""

    SYSTEM = "systems"
    DEPLOYMENT = "deployments"
    PROCEDURE = "procedures"
    SAMPLING_FEATURE = "samplingFeatures"
    PROPERTY = "properties"
    DATASTREAM = "datastreams"
    OBSERVATION = "observations"
    CONTROL_STREAM = "controlstreams"
    COMMAND = "commands"
    SYSTEM_EVENT = "systemEvents"


@dataclass(slots=True)
class Link:
    """A link as CSAPI members carry it (`common/link.json`): href, and optional rel, media type, title and UID."""

    href: str
    rel: str | None = None
    type: str | None = None
    title: str | None = None
    uid: str | None = None

    def to_json(self) -> JsonDict:
        """The link as a `common/link.json` object, without empty members."""
        out: JsonDict = {"href": self.href}
        for key in ("rel", "type", "title", "uid"):
            value = getattr(self, key)
            if value:
                out[key] = value
        return out

    @classmethod
    def from_json(cls, data: JsonDict) -> Link:
        """Build a link from a JSON link object (unknown members are dropped)."""
        return cls(
            href=str(data["href"]),
            rel=data.get("rel"),
            type=data.get("type"),
            title=data.get("title"),
            uid=data.get("uid"),
        )


@dataclass(slots=True)
class TimeExtent:
    """A closed or open period; `end=None` is open ("now"), `start=None` unbounded."""

    start: datetime | None
    end: datetime | None

    @property
    def is_instant(self) -> bool:
        """Whether the period is a single instant (a start equal to its end)."""
        return self.start is not None and self.start == self.end


@dataclass(slots=True)
class Provenance:
    """Where a harvested resource came from and which run last changed it."""

    source: str
    legacy_type: str
    legacy_id: str
    via: str | None = None
    run_id: str | None = None


@dataclass(kw_only=True, slots=True)
class Feature:
    """Common part of the Part 1 resources (systems, deployments, procedures, sampling features, properties)."""

    kind: ClassVar[Kind]

    id: str = ""
    uid: str
    name: str
    description: str | None = None
    feature_type: str | None = None
    valid_time: TimeExtent | None = None
    geometry: JsonDict | None = None
    parent_id: str | None = None
    sml: JsonDict = field(default_factory=dict)
    properties: JsonDict = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    provenance: Provenance | None = None


@dataclass(kw_only=True, slots=True)
class System(Feature):
    """A System (`/systems`): a sensor, actuator, platform or process; `parent_id` is its parent system."""

    kind: ClassVar[Kind] = Kind.SYSTEM
    asset_type: str | None = None
    system_kind: Link | None = None
    observed_properties: list[str] = field(default_factory=list)
    controlled_properties: list[str] = field(default_factory=list)


@dataclass(kw_only=True, slots=True)
class DeployedSystem:
    """One entry of a deployment's `deployedSystems`: a link to the system with its name and configuration there."""

    system: Link
    name: str | None = None
    description: str | None = None
    configuration: JsonDict | None = None


@dataclass(kw_only=True, slots=True)
class Deployment(Feature):
    """A Deployment (`/deployments`): the platform and the systems deployed; `parent_id` is the parent deployment."""

    kind: ClassVar[Kind] = Kind.DEPLOYMENT
    platform: Link | None = None
    deployed_systems: list[DeployedSystem] = field(default_factory=list)


@dataclass(kw_only=True, slots=True)
class Procedure(Feature):
    """A Procedure (`/procedures`): a datasheet or method that systems implement, with the properties it covers."""

    kind: ClassVar[Kind] = Kind.PROCEDURE
    observed_properties: list[str] = field(default_factory=list)
    controlled_properties: list[str] = field(default_factory=list)


@dataclass(kw_only=True, slots=True)
class SamplingFeature(Feature):
    """`parent_id` is the parent *system* (a sampling feature is created under a system)."""

    kind: ClassVar[Kind] = Kind.SAMPLING_FEATURE
    sampled_feature: Link | None = None
    sample_of: list[Link] = field(default_factory=list)


@dataclass(kw_only=True, slots=True)
class Property(Feature):
    """A derived Property (`/properties`): a base property narrowed by object type and/or statistic."""

    kind: ClassVar[Kind] = Kind.PROPERTY
    base_property: str = ""
    object_type: str | None = None
    statistic: str | None = None


# --------------------------------------------------------------------------------------------
# Part 2
# --------------------------------------------------------------------------------------------


@dataclass(kw_only=True, slots=True)
class Datastream:
    """A DataStream; `schema` is the observation schema as given at creation (JSON form)."""

    id: str = ""
    system_id: str
    name: str
    description: str | None = None
    output_name: str | None = None
    valid_time: TimeExtent | None = None
    stream_type: str | None = None  # "status" | "observation"
    live: bool = False
    schema: JsonDict = field(default_factory=dict)
    observed_properties: list[JsonDict] = field(default_factory=list)
    phenomenon_time: TimeExtent | None = None
    result_time: TimeExtent | None = None
    result_type: str | None = None
    sampling_feature_id: str | None = None
    feature_of_interest: Link | None = None
    procedure: Link | None = None
    deployment: Link | None = None
    links: list[Link] = field(default_factory=list)
    provenance: Provenance | None = None


@dataclass(kw_only=True, slots=True)
class Observation:
    """An observation resource (`/observations`); store and encoders use rows instead (`bridge.model.observations`)."""

    id: str = ""
    datastream_id: str
    phenomenon_time: datetime
    result_time: datetime
    result: Any = None
    result_link: JsonDict | None = None
    sampling_feature_id: str | None = None
    parameters: JsonDict | None = None
    quality: Any = None


@dataclass(kw_only=True, slots=True)
class ControlStream:
    """A ControlStream; `schema` is the command schema as given at creation (JSON form), `is_async` its `async`."""

    id: str = ""
    system_id: str
    name: str
    description: str | None = None
    input_name: str | None = None
    valid_time: TimeExtent | None = None
    stream_type: str | None = None  # "self" | "external"
    live: bool = True
    is_async: bool = True
    schema: JsonDict = field(default_factory=dict)
    controlled_properties: list[JsonDict] = field(default_factory=list)
    issue_time: TimeExtent | None = None
    execution_time: TimeExtent | None = None
    sampling_feature_id: str | None = None
    feature_of_interest: Link | None = None
    procedure: Link | None = None
    deployment: Link | None = None
    links: list[Link] = field(default_factory=list)
    provenance: Provenance | None = None


class StatusCode(StrEnum):
    """Command status codes (Part 2 `commandStatus.json`); the lifecycle is checked in `bridge.model.commands`."""

    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"
    SCHEDULED = "SCHEDULED"
    UPDATED = "UPDATED"
    CANCELED = "CANCELED"
    EXECUTING = "EXECUTING"
    FAILED = "FAILED"
    COMPLETED = "COMPLETED"

    @property
    def is_final(self) -> bool:
        """Whether no further report may follow: REJECTED, CANCELED, FAILED or COMPLETED."""
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset({StatusCode.REJECTED, StatusCode.CANCELED, StatusCode.FAILED, StatusCode.COMPLETED})


@dataclass(kw_only=True, slots=True)
class Command:
    """A command (with `feasibility`: a feasibility request) sent to a control stream; parameters follow its schema."""

    id: str = ""
    controlstream_id: str
    issue_time: datetime | None = None
    execution_time: TimeExtent | None = None
    sender: str | None = None
    current_status: StatusCode = StatusCode.PENDING
    parameters: Any = None
    sampling_feature_id: str | None = None
    procedure: Link | None = None
    feasibility: bool = False
    provenance: Provenance | None = None


@dataclass(kw_only=True, slots=True)
class CommandStatus:
    """A status report of a command (`/commands/{id}/status`); the latest one gives the command's currentStatus."""

    id: str = ""
    command_id: str
    report_time: datetime | None = None
    status_code: StatusCode
    percent_completion: float | None = None
    execution_time: TimeExtent | None = None
    message: str | None = None
    results: list[JsonDict] = field(default_factory=list)


@dataclass(kw_only=True, slots=True)
class CommandResult:
    """Exactly one of `data` or `link_member` (e.g. `datastream@link`) with `link` is set."""

    id: str = ""
    command_id: str
    data: Any = None
    link_member: str | None = None
    link: JsonDict | None = None


@dataclass(kw_only=True, slots=True)
class SystemEvent:
    """A system event (`/systemEvents`): SensorML Event label, definition (its type) and time; `extra` kept verbatim."""

    id: str = ""
    system_id: str
    label: str
    definition: str
    time: TimeExtent
    description: str | None = None
    extra: JsonDict = field(default_factory=dict)
