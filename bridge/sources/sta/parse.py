"""Pure parsing of SensorThings JSON documents into `bridge.model.legacy.sta` records.

Tolerant of the quirks in the legacy digest: explicit nulls (Q17), ids of any JSON type kept as
strings, navigation links used verbatim (Q13/Q15), Feature-wrapped geometries with `crs` (Q16),
numeric strings as results (Q8), Examind's singular `unitOfMeasurement` array on MultiDatastreams.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bridge.errors import UpstreamError
from bridge.model.legacy.sta import (
    Actuator,
    Datastream,
    FeatureOfInterest,
    HistoricalLocation,
    JsonObject,
    Location,
    MultiDatastream,
    ObservedProperty,
    Sensor,
    Task,
    TaskingCapability,
    Thing,
    UnitOfMeasurement,
)
from bridge.sources.sta.tasking import normalise_tasking_parameters
from bridge.sources.sta.times import parse_extent, parse_optional_instant

T = TypeVar("T")

NAV_SUFFIX = "@iot.navigationLink"
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_GEOMETRY_TYPES = frozenset(
    {"Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection"}
)


@dataclass(slots=True)
class CollectionPage:
    """One page of an STA collection: raw entity objects, `@iot.nextLink`, `@iot.count`."""

    items: list[JsonObject]
    next_link: str | None = None
    count: int | None = None
    extra: JsonObject = field(default_factory=dict)


def parse_collection(doc: Any) -> CollectionPage:
    """Split an STA collection response (`value`, `@iot.nextLink`, `@iot.count`) wherever they appear."""
    if not isinstance(doc, dict) or not isinstance(doc.get("value"), list):
        raise UpstreamError("SensorThings collection response has no 'value' array")
    items = [item for item in doc["value"] if isinstance(item, dict)]
    next_link = doc.get("@iot.nextLink")
    count = doc.get("@iot.count")
    return CollectionPage(
        items=items,
        next_link=next_link if isinstance(next_link, str) and next_link else None,
        count=count if isinstance(count, int) else None,
    )


def nested_collection(doc: JsonObject, nav: str) -> CollectionPage | None:
    """An $expand-ed collection inside an entity (`Nav`, `Nav@iot.nextLink`, `Nav@iot.count`)."""
    value = doc.get(nav)
    if not isinstance(value, list):
        return None
    next_link = doc.get(f"{nav}@iot.nextLink")
    count = doc.get(f"{nav}@iot.count")
    return CollectionPage(
        items=[v for v in value if isinstance(v, dict)],
        next_link=next_link if isinstance(next_link, str) and next_link else None,
        count=count if isinstance(count, int) else None,
    )


def id_string(value: Any) -> str | None:
    """Normalise an `@iot.id` (int, str, UUID string, URN) to a string; None when absent."""
    if value is None or isinstance(value, (dict, list)):
        return None
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def entity_id(doc: JsonObject) -> str:
    """The entity's `@iot.id` as a string; a missing id is an upstream error."""
    value = id_string(doc.get("@iot.id", doc.get("id")))
    if value is None:
        raise UpstreamError(f"SensorThings entity without @iot.id: {sorted(doc)[:8]}")
    return value


def nav_links(doc: JsonObject) -> dict[str, str]:
    """Navigation links of an entity keyed by navigation name (`Datastreams`, `Thing`...)."""
    return {
        key[: -len(NAV_SUFFIX)]: value
        for key, value in doc.items()
        if key.endswith(NAV_SUFFIX) and isinstance(value, str)
    }


def expanded_id(doc: JsonObject, *names: str) -> str | None:
    """The `@iot.id` of a single-valued $expand-ed relation under any of `names`."""
    for name in names:
        value = doc.get(name)
        if isinstance(value, dict):
            return id_string(value.get("@iot.id", value.get("id")))
        if isinstance(value, list) and len(value) == 1 and isinstance(value[0], dict):
            return id_string(value[0].get("@iot.id"))  # Examind's plural navigation (Q15)
    return None


def expanded_ids(doc: JsonObject, name: str) -> list[str]:
    """The `@iot.id`s of a multi-valued $expand-ed relation, in server order."""
    value = doc.get(name)
    if not isinstance(value, list):
        return []
    return [i for v in value if isinstance(v, dict) and (i := id_string(v.get("@iot.id"))) is not None]


def text(doc: JsonObject, key: str) -> str | None:
    """A string member; null/absent -> None, other scalars stringified."""
    value = doc.get(key)
    if value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def obj(doc: JsonObject, key: str) -> JsonObject | None:
    """A JSON object member; anything else -> None."""
    value = doc.get(key)
    return value if isinstance(value, dict) else None


def parse_result(raw: Any) -> Any:
    """Interpret a result: numeric strings become int/float (Q8), arrays element-wise, the rest as is."""
    if isinstance(raw, str) and _NUMBER.fullmatch(raw.strip()):
        stripped = raw.strip()
        if any(c in stripped for c in ".eE"):
            return float(stripped)
        return int(stripped)
    if isinstance(raw, list):
        return [parse_result(item) for item in raw]
    return raw


def geometry_of(value: Any) -> JsonObject | None:
    """A bare GeoJSON geometry from a geometry or Feature, without the legacy `crs` member (Q16)."""
    if not isinstance(value, dict):
        return None
    if value.get("type") == "Feature":
        return geometry_of(value.get("geometry"))
    if value.get("type") in _GEOMETRY_TYPES:
        return {k: v for k, v in value.items() if k != "crs"}
    return None


def parse_unit(value: Any) -> UnitOfMeasurement | None:
    """STA `unitOfMeasurement` object -> UnitOfMeasurement (empty strings -> None)."""
    if not isinstance(value, dict):
        return None
    return UnitOfMeasurement(
        name=text(value, "name") or None,
        symbol=text(value, "symbol") or None,
        definition=text(value, "definition") or None,
    )


def parse_thing(doc: JsonObject) -> Thing:
    """Parse a Thing (Locations ids kept when $expand-ed)."""
    return Thing(
        id=entity_id(doc),
        self_link=text(doc, "@iot.selfLink"),
        name=text(doc, "name") or "",
        description=text(doc, "description"),
        properties=obj(doc, "properties"),
        links=nav_links(doc),
        location_ids=expanded_ids(doc, "Locations"),
    )


def parse_location(doc: JsonObject) -> Location:
    """Parse a Location; `geometry` is the unwrapped GeoJSON geometry."""
    return Location(
        id=entity_id(doc),
        self_link=text(doc, "@iot.selfLink"),
        name=text(doc, "name") or "",
        description=text(doc, "description"),
        encoding_type=text(doc, "encodingType"),
        geometry=geometry_of(doc.get("location")),
        location=doc.get("location"),
        properties=obj(doc, "properties"),
        links=nav_links(doc),
    )


def parse_historical_location(doc: JsonObject) -> HistoricalLocation:
    """Parse a HistoricalLocation."""
    return HistoricalLocation(
        id=entity_id(doc),
        self_link=text(doc, "@iot.selfLink"),
        time=parse_optional_instant(doc.get("time")),
        thing_id=expanded_id(doc, "Thing", "Things"),
        location_ids=expanded_ids(doc, "Locations"),
        links=nav_links(doc),
    )


def parse_sensor(doc: JsonObject) -> Sensor:
    """Parse a Sensor (metadata kept verbatim: URL, SensorML text or object)."""
    return Sensor(
        id=entity_id(doc),
        self_link=text(doc, "@iot.selfLink"),
        name=text(doc, "name") or "",
        description=text(doc, "description"),
        encoding_type=text(doc, "encodingType"),
        metadata=doc.get("metadata"),
        properties=obj(doc, "properties"),
        links=nav_links(doc),
    )


def parse_actuator(doc: JsonObject) -> Actuator:
    """Parse a Tasking Core Actuator."""
    return Actuator(
        id=entity_id(doc),
        self_link=text(doc, "@iot.selfLink"),
        name=text(doc, "name") or "",
        description=text(doc, "description"),
        encoding_type=text(doc, "encodingType"),
        metadata=doc.get("metadata"),
        properties=obj(doc, "properties"),
        links=nav_links(doc),
    )


def parse_observed_property(doc: JsonObject) -> ObservedProperty:
    """Parse an ObservedProperty."""
    return ObservedProperty(
        id=entity_id(doc),
        self_link=text(doc, "@iot.selfLink"),
        name=text(doc, "name") or "",
        definition=text(doc, "definition"),
        description=text(doc, "description"),
        properties=obj(doc, "properties"),
        links=nav_links(doc),
    )


def parse_datastream(doc: JsonObject) -> Datastream:
    """Parse a Datastream; related ids are filled only from $expand-ed relations."""
    return Datastream(
        id=entity_id(doc),
        self_link=text(doc, "@iot.selfLink"),
        name=text(doc, "name") or "",
        description=text(doc, "description"),
        unit_of_measurement=parse_unit(doc.get("unitOfMeasurement")),
        observation_type=text(doc, "observationType"),
        observed_area=obj(doc, "observedArea"),
        phenomenon_time=parse_extent(doc.get("phenomenonTime")),
        result_time=parse_extent(doc.get("resultTime")),
        properties=obj(doc, "properties"),
        thing_id=expanded_id(doc, "Thing", "Things"),
        sensor_id=expanded_id(doc, "Sensor", "Sensors"),
        observed_property_id=expanded_id(doc, "ObservedProperty", "ObservedProperties"),
        links=nav_links(doc),
    )


def parse_multi_datastream(doc: JsonObject) -> MultiDatastream:
    """Parse a MultiDatastream; accepts `unitOfMeasurements` and Examind's singular key."""
    units_raw = doc.get("unitOfMeasurements", doc.get("unitOfMeasurement"))
    units = [u for u in (parse_unit(v) for v in units_raw or []) if u] if isinstance(units_raw, list) else []
    types = doc.get("multiObservationDataTypes")
    return MultiDatastream(
        id=entity_id(doc),
        self_link=text(doc, "@iot.selfLink"),
        name=text(doc, "name"),
        description=text(doc, "description"),
        unit_of_measurements=units,
        multi_observation_data_types=[str(t) for t in types] if isinstance(types, list) else [],
        observation_type=text(doc, "observationType"),
        observed_area=obj(doc, "observedArea"),
        phenomenon_time=parse_extent(doc.get("phenomenonTime")),
        result_time=parse_extent(doc.get("resultTime")),
        properties=obj(doc, "properties"),
        thing_id=expanded_id(doc, "Thing", "Things"),
        sensor_id=expanded_id(doc, "Sensor", "Sensors"),
        observed_property_ids=expanded_ids(doc, "ObservedProperties"),
        links=nav_links(doc),
    )


def parse_feature_of_interest(doc: JsonObject) -> FeatureOfInterest:
    """Parse a FeatureOfInterest; `geometry` is the unwrapped GeoJSON geometry."""
    return FeatureOfInterest(
        id=entity_id(doc),
        self_link=text(doc, "@iot.selfLink"),
        name=text(doc, "name"),
        description=text(doc, "description"),
        encoding_type=text(doc, "encodingType"),
        geometry=geometry_of(doc.get("feature")),
        feature=doc.get("feature"),
        properties=obj(doc, "properties"),
        links=nav_links(doc),
    )


def parse_tasking_capability(doc: JsonObject) -> TaskingCapability:
    """Parse a TaskingCapability, normalising `taskingParameters` to SWE Common JSON."""
    raw = doc.get("taskingParameters")
    parameters, shape = normalise_tasking_parameters(raw)
    return TaskingCapability(
        id=entity_id(doc),
        self_link=text(doc, "@iot.selfLink"),
        name=text(doc, "name") or "",
        description=text(doc, "description"),
        properties=obj(doc, "properties"),
        tasking_parameters=parameters,
        tasking_parameters_raw=raw,
        tasking_shape=shape,
        thing_id=expanded_id(doc, "Thing", "Things"),
        actuator_id=expanded_id(doc, "Actuator", "Actuators"),
        links=nav_links(doc),
    )


def parse_task(doc: JsonObject) -> Task:
    """Parse a Tasking Core Task."""
    return Task(
        id=entity_id(doc),
        self_link=text(doc, "@iot.selfLink"),
        creation_time=parse_optional_instant(doc.get("creationTime")),
        tasking_parameters=obj(doc, "taskingParameters"),
        tasking_capability_id=expanded_id(doc, "TaskingCapability", "TaskingCapabilities"),
        links=nav_links(doc),
    )


def parse_all(items: Iterable[JsonObject], parse: Callable[[JsonObject], T]) -> list[T]:
    """Parse every item of a page with `parse`."""
    return [parse(item) for item in items]
