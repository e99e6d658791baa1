"""Typed SensorThings API 1.0/1.1 records (+ MultiDatastream, Tasking Core) as read from a legacy server.

Every record keeps the server's `@iot.id` as a string (`id`; integers, UUIDs and URNs all occur), its
`@iot.selfLink` (`self_link`) and its navigation links (`links`, navigation name -> URL, e.g.
`"Observations"`), so callers follow the server's own URLs instead of formatting ids (quirk Q13).
Explicit JSON `null` and an absent member are the same thing here (Q17). Records are built by
`bridge.sources.sta.parse`; the server's JSON is kept verbatim where the bridge does not interpret it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

JsonObject = dict[str, Any]

TaskingShape = Literal["swe", "sensorup", "opaque", "absent"]


@dataclass(slots=True, frozen=True)
class TimeExtent:
    """A time instant (`end is None`) or interval `start/end`, as STA writes `a/b`."""

    start: datetime
    end: datetime | None = None

    @property
    def is_interval(self) -> bool:
        """True for an interval `a/b`, False for an instant."""
        return self.end is not None


@dataclass(slots=True)
class UnitOfMeasurement:
    """STA `unitOfMeasurement`: name, symbol and definition (any of them may be empty, Q7)."""

    name: str | None = None
    symbol: str | None = None
    definition: str | None = None


@dataclass(slots=True)
class Thing:
    """STA Thing: becomes a platform system placed at its current Location; `location_ids` only when $expanded."""

    id: str
    self_link: str | None
    name: str
    description: str | None = None
    properties: JsonObject | None = None
    links: dict[str, str] = field(default_factory=dict)
    location_ids: list[str] = field(default_factory=list)  # only when Locations were $expanded


@dataclass(slots=True)
class Location:
    """STA Location: `geometry` is the bare GeoJSON geometry (Feature unwrapped, `crs` dropped), `location` verbatim."""

    id: str
    self_link: str | None
    name: str
    description: str | None = None
    encoding_type: str | None = None
    geometry: JsonObject | None = None  # bare GeoJSON geometry: a Feature is unwrapped, `crs` dropped (Q16)
    location: Any = None  # the `location` member verbatim
    properties: JsonObject | None = None
    links: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class HistoricalLocation:
    """STA HistoricalLocation: where a Thing was from `time`; harvested as observations of its location datastream."""

    id: str
    self_link: str | None
    time: datetime | None
    thing_id: str | None = None
    location_ids: list[str] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Sensor:
    """STA Sensor: its metadata becomes a datasheet procedure; each Thing using it gets a subsystem."""

    id: str
    self_link: str | None
    name: str
    description: str | None = None
    encoding_type: str | None = None
    metadata: Any = None
    properties: JsonObject | None = None
    links: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class ObservedProperty:
    """STA ObservedProperty: becomes a property (its `definition` gives the base property)."""

    id: str
    self_link: str | None
    name: str
    definition: str | None = None
    description: str | None = None
    properties: JsonObject | None = None
    links: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Datastream:
    """STA Datastream: one observed property of a Thing's Sensor; becomes a datastream of the sensor's subsystem."""

    id: str
    self_link: str | None
    name: str
    description: str | None = None
    unit_of_measurement: UnitOfMeasurement | None = None
    observation_type: str | None = None
    observed_area: JsonObject | None = None
    phenomenon_time: TimeExtent | None = None
    result_time: TimeExtent | None = None
    properties: JsonObject | None = None
    thing_id: str | None = None
    sensor_id: str | None = None
    observed_property_id: str | None = None
    links: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class MultiDatastream:
    """STA MultiDatastream: `unit_of_measurements[i]` <-> `data_types[i]` <-> `observed_property_ids[i]`."""

    id: str
    self_link: str | None
    name: str | None
    description: str | None = None
    unit_of_measurements: list[UnitOfMeasurement] = field(default_factory=list)
    multi_observation_data_types: list[str] = field(default_factory=list)
    observation_type: str | None = None
    observed_area: JsonObject | None = None
    phenomenon_time: TimeExtent | None = None
    result_time: TimeExtent | None = None
    properties: JsonObject | None = None
    thing_id: str | None = None
    sensor_id: str | None = None
    observed_property_ids: list[str] = field(default_factory=list)  # ordered; only when known
    links: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class FeatureOfInterest:
    """STA FeatureOfInterest: becomes a proxy sampling feature; `geometry` unwrapped, `feature` verbatim."""

    id: str
    self_link: str | None
    name: str | None
    description: str | None = None
    encoding_type: str | None = None
    geometry: JsonObject | None = None  # unwrapped like Location.geometry
    feature: Any = None  # the `feature` member verbatim
    properties: JsonObject | None = None
    links: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Observation:
    """One STA observation; `result` is parsed (numeric strings -> numbers, Q8), `result_raw` as sent."""

    id: str
    self_link: str | None
    phenomenon_time: TimeExtent | None
    result_time: datetime | None = None
    result: Any = None
    result_raw: Any = None
    result_quality: Any = None
    valid_time: TimeExtent | None = None
    parameters: JsonObject | None = None
    datastream_id: str | None = None
    multi_datastream_id: str | None = None
    foi_id: str | None = None
    links: dict[str, str] = field(default_factory=dict)

    @property
    def phenomenon_start(self) -> datetime | None:
        """Start of the phenomenon time (the instant itself for instants)."""
        return self.phenomenon_time.start if self.phenomenon_time else None

    @property
    def phenomenon_end(self) -> datetime | None:
        """End of the phenomenon time (the instant itself for instants)."""
        if self.phenomenon_time is None:
            return None
        return self.phenomenon_time.end or self.phenomenon_time.start


@dataclass(slots=True)
class Actuator:
    """STA Actuator (Tasking Core): each Thing's actuator becomes a subsystem carrying its control streams."""

    id: str
    self_link: str | None
    name: str
    description: str | None = None
    encoding_type: str | None = None
    metadata: Any = None
    properties: JsonObject | None = None
    links: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class TaskingCapability:
    """Tasking Core capability; `tasking_parameters` is a SWE Common JSON DataRecord (`field` list).

    `tasking_shape` says what the server sent: "swe" (standard), "sensorup" (pre-standard draft,
    converted), "opaque" (not a DataRecord, e.g. `{"todo": "yes"}`: `tasking_parameters` is None)
    or "absent".
    """

    id: str
    self_link: str | None
    name: str
    description: str | None = None
    properties: JsonObject | None = None
    tasking_parameters: JsonObject | None = None
    tasking_parameters_raw: Any = None
    tasking_shape: TaskingShape = "absent"
    thing_id: str | None = None
    actuator_id: str | None = None
    links: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Task:
    """Tasking Core task: `tasking_parameters` is a plain name -> value object; STA tasks carry no status."""

    id: str
    self_link: str | None
    creation_time: datetime | None = None
    tasking_parameters: JsonObject | None = None
    tasking_capability_id: str | None = None
    links: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class ServiceRoot:
    """The STA service root: entity sets, 1.1 conformance classes and what the bridge may use.

    `capabilities` holds names from `STA_CAPABILITIES`; a 1.0 server lists no conformance, so its
    optional features are inferred from the entity sets only (dataArray then stays unknown: None).
    """

    url: str
    version: str | None
    entity_sets: dict[str, str] = field(default_factory=dict)
    conformance: list[str] = field(default_factory=list)
    capabilities: frozenset[str] = frozenset()
    data_array: bool | None = None

    def has(self, capability: str) -> bool:
        """True when the server advertises `capability` (see `STA_CAPABILITIES`)."""
        return capability in self.capabilities


STA_CAPABILITIES = frozenset({"multi_datastream", "data_array", "tasking", "csv", "geojson", "create_update_delete"})
