"""SensorThings-specific transforms (schemas from observationType/unitOfMeasurement, tasking parameters)
and the compiled observation mapper (hot path: one STA observation → one store row)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from bridge.mapping.keys import observation_keys
from bridge.mapping.transforms import REGISTRY, numeric_result, stable_id, stable_key, transform
from bridge.model.csapi import Command, CommandResult, CommandStatus, Link, StatusCode
from bridge.model.csapi import Datastream as CsDatastream
from bridge.model.harvest import LegacyObservations, Unit
from bridge.model.legacy.sta import Datastream as StaDatastream
from bridge.model.legacy.sta import MultiDatastream, UnitOfMeasurement
from bridge.model.legacy.sta import Observation as StaObservation
from bridge.model.observations import ObsRow
from bridge.model.stream_schema import StreamSchema, cached_schema
from bridge.model.time import to_us

SAMPLING_TYPES = {
    "Point": "http://www.opengis.net/def/samplingFeatureType/OGC-OM/2.0/SF_SamplingPoint",
    "MultiPoint": "http://www.opengis.net/def/samplingFeatureType/OGC-OM/2.0/SF_SamplingPoint",
    "LineString": "http://www.opengis.net/def/samplingFeatureType/OGC-OM/2.0/SF_SamplingCurve",
    "MultiLineString": "http://www.opengis.net/def/samplingFeatureType/OGC-OM/2.0/SF_SamplingCurve",
    "Polygon": "http://www.opengis.net/def/samplingFeatureType/OGC-OM/2.0/SF_SamplingSurface",
    "MultiPolygon": "http://www.opengis.net/def/samplingFeatureType/OGC-OM/2.0/SF_SamplingSurface",
}
GENERIC_SF = "http://www.opengis.net/def/samplingFeatureType/OGC-OM/2.0/SF_SamplingFeature"
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")
_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


def _component_name(text: str | None, fallback: str) -> str:
    name = _NAME.sub("_", (text or "").strip()).strip("_")
    return name if name and name[0].isalpha() else fallback


def _unit(unit: UnitOfMeasurement | None, units: Mapping[str, Any]) -> dict[str, str] | None:
    """A SWE `uom`: UCUM code through the unit table, else the symbol as given (never rejected, Q7)."""
    if unit is None:
        return None
    definition = (unit.definition or "").strip()
    symbol = (unit.symbol or unit.name or "").strip()
    for key in (symbol, definition, unit.name or ""):
        if key and key in units:
            return {"code": str(units[key])}
    if symbol:
        return {"code": symbol}
    return {"href": definition} if _URI.match(definition) else None


def _definition(op: Any) -> str | None:
    definition = getattr(op, "definition", None)
    return definition if definition and _URI.match(definition) else None


def _uid(key: str, ctx: Mapping[str, Any]) -> str:
    return str(REGISTRY["uuid"](f"{ctx['source']}/{key}", ctx))


def _scalar(kind: str, name: str, label: str | None, definition: str, uom: dict[str, str] | None) -> dict[str, Any]:
    """A SWE Common 3 scalar; `definition` is required by SWE Common 3, so callers always give one."""
    comp: dict[str, Any] = {"type": kind, "name": name, "definition": definition, "label": label or name}
    if kind == "Quantity":
        comp["uom"] = uom or {"code": "1"}
    return comp


def _kind(observation_type: str | None, ctx: Mapping[str, Any]) -> str:
    table: Mapping[str, Any] = ctx["lookups"].get("observation_types", {})
    key = (observation_type or "").strip()
    return str(table.get(key) or table.get(key.rsplit("/", 1)[-1]) or table.get("*", "Text"))


@transform("datastream_schema")
def _datastream_schema(ds: StaDatastream, ctx: Mapping[str, Any]) -> dict[str, Any]:
    """observationType + unitOfMeasurement (+ the ObservedProperty definition) → JSON result schema."""
    op = ctx["ns"].get("op")
    label = getattr(op, "name", None) or ds.name
    units = ctx["lookups"].get("units", {})
    definition = _definition(op) or (_property_uid(op, ctx) if op else _uid(f"Datastream/{ds.id}/result", ctx))
    result = _scalar(_kind(ds.observation_type, ctx), _component_name(label, "result"), label, definition,
                     _unit(ds.unit_of_measurement, units))  # fmt: skip
    return {"obsFormat": "application/json", "resultSchema": result}


@transform("multi_datastream_schema")
def _multi_schema(ds: MultiDatastream, ctx: Mapping[str, Any]) -> dict[str, Any]:
    """A MultiDatastream → one DataRecord result with a component per observed property, in order."""
    ops = ctx["ns"].get("ops") or []
    units = ctx["lookups"].get("units", {})
    fields, used = [], set()
    for i, data_type in enumerate(ds.multi_observation_data_types or [None] * len(ds.unit_of_measurements)):
        op = ops[i] if i < len(ops) else None
        label = getattr(op, "name", None) or f"component {i + 1}"
        name = _component_name(label, f"c{i + 1}")
        name = name if name not in used else f"{name}_{i + 1}"
        used.add(name)
        unit = ds.unit_of_measurements[i] if i < len(ds.unit_of_measurements) else None
        definition = _definition(op) or (_property_uid(op, ctx) if op else _uid(f"MultiDatastream/{ds.id}/{name}", ctx))
        fields.append(_scalar(_kind(data_type, ctx), name, label, definition, _unit(unit, units)))
    return {"obsFormat": "application/json", "resultSchema": {"type": "DataRecord", "name": "result", "fields": fields}}


@transform("datastream_properties")
def _datastream_properties(ds: Any, ctx: Mapping[str, Any]) -> list[dict[str, str]]:
    """observedProperties: the definitions of the ObservedProperties (their canonical URI if none)."""
    ops = ctx["ns"].get("ops") or ([ctx["ns"]["op"]] if ctx["ns"].get("op") is not None else [])
    out = []
    for op in ops:
        definition = _definition(op) or _property_uid(op, ctx)
        out.append({"definition": definition, "label": op.name} if op.name else {"definition": definition})
    return out


def _property_uid(op: Any, ctx: Mapping[str, Any]) -> str:
    return _uid(f"ObservedProperty/{op.id}", ctx)


@transform("property_definition")
def _property_definition(op: Any, ctx: Mapping[str, Any]) -> str:
    """baseProperty of a Property: the ObservedProperty definition (its own UID when it has no URI)."""
    return _definition(op) or _property_uid(op, ctx)


@transform("location_schema")
def _location_schema(thing: Any, ctx: Mapping[str, Any]) -> dict[str, Any]:
    coords = [
        {"name": "lon", "type": "Quantity", "label": "Longitude", "axisID": "Lon",
         "definition": "http://sensorml.com/ont/swe/property/Longitude", "uom": {"code": "deg"}},
        {"name": "lat", "type": "Quantity", "label": "Latitude", "axisID": "Lat",
         "definition": "http://sensorml.com/ont/swe/property/GeodeticLatitude", "uom": {"code": "deg"}},
    ]  # fmt: skip
    vector = {
        "type": "Vector",
        "name": "location",
        "label": "Location",
        "definition": "http://sensorml.com/ont/swe/property/Location",
        "referenceFrame": "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        "coordinates": coords,
    }
    return {"obsFormat": "application/json", "resultSchema": vector}


@transform("location_properties")
def _location_properties(thing: Any, ctx: Mapping[str, Any]) -> list[dict[str, str]]:
    return [{"definition": "http://sensorml.com/ont/swe/property/Location", "label": "Location"}]


@transform("sensor_metadata")
def _sensor_metadata(sensor: Any, ctx: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if getattr(sensor, "encoding_type", None):
        out["encodingType"] = sensor.encoding_type
    if getattr(sensor, "metadata", None) is not None:
        out["metadata"] = sensor.metadata
    if getattr(sensor, "properties", None):
        out["legacyProperties"] = sensor.properties
    return out


@transform("sampling_type")
def _sampling_type(geometry: Any, ctx: Mapping[str, Any]) -> str:
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    return SAMPLING_TYPES.get(str(kind), GENERIC_SF)


@transform("sampled_feature")
def _sampled_feature(foi: Any, ctx: Mapping[str, Any]) -> Link:
    """The ultimate feature of interest: the STA FeatureOfInterest itself (the sampling feature is its proxy)."""
    href = getattr(foi, "self_link", None) or f"urn:x-sta:{ctx['source']}:FeatureOfInterest:{foi.id}"
    return Link(href=href, title=getattr(foi, "name", None), type="application/json")


def swe3_field(item: Mapping[str, Any], index: int, fallback: Callable[[str], str]) -> dict[str, Any]:
    """One SWE Common JSON (STA Tasking) field → SWE Common 3 JSON (a missing definition gets `fallback(name)`)."""
    kind = str(item.get("type") or "Text")
    name = _component_name(str(item.get("name") or ""), f"p{index + 1}")
    definition = item.get("definition")
    comp: dict[str, Any] = {"type": kind, "name": name}
    comp["definition"] = definition if isinstance(definition, str) and _URI.match(definition) else fallback(name)
    comp["label"] = str(item.get("label") or name)
    for key in ("description", "optional", "updatable"):
        if item.get(key) is not None:
            comp[key] = item[key]
    uom = item.get("uom")
    if kind == "Quantity":
        comp["uom"] = {"code": str(uom)} if isinstance(uom, str) else (uom or {"code": "1"})
    constraint = item.get("constraint")
    if isinstance(constraint, dict):
        values = constraint.get("value") or constraint.get("values")
        intervals = constraint.get("interval") or constraint.get("intervals")
        if kind in ("Category", "Text") and values:
            comp["constraint"] = {"type": "AllowedTokens", "values": [str(v) for v in values]}
        elif kind in ("Quantity", "Count") and (values or intervals):
            comp["constraint"] = {"type": "AllowedValues", **({"values": values} if values else {}),
                                  **({"intervals": intervals} if intervals else {})}  # fmt: skip
    return comp


@transform("tasking_schema")
def _tasking_schema(tc: Any, ctx: Mapping[str, Any]) -> dict[str, Any]:
    """taskingParameters (SWE Common JSON DataRecord) → the control stream's JSON command schema."""
    params = tc.tasking_parameters or {}
    items = params.get("field") or params.get("fields") or []

    def fallback(name: str) -> str:
        return _uid(f"TaskingCapability/{tc.id}/{name}", ctx)

    fields = [swe3_field(item, i, fallback) for i, item in enumerate(items) if isinstance(item, dict)]
    if not fields:  # opaque or absent: accept any text parameters (STA servers do not validate either, Q18)
        fields = [{"type": "Text", "name": "parameters", "label": "Tasking parameters (unstructured)",
                   "definition": fallback("parameters")}]  # fmt: skip
    return {"commandFormat": "application/json",
            "parametersSchema": {"type": "DataRecord", "name": "params", "fields": fields}}  # fmt: skip


@transform("tasking_properties")
def _tasking_properties(tc: Any, ctx: Mapping[str, Any]) -> list[dict[str, str]]:
    params = tc.tasking_parameters or {}
    items = params.get("field") or params.get("fields") or []
    return [{"definition": str(i["definition"])} for i in items if isinstance(i, dict) and i.get("definition")]


ObservationMapper = Callable[[StaObservation], ObsRow]


def observation_mapper(source: str, schema: StreamSchema, multi: bool = False) -> ObservationMapper:
    """A compiled per-datastream function: STA observation → store row.

    Numeric strings become numbers (Q8); interval phenomenon times keep their start as the instant and the
    interval in `parameters`; resultQuality and parameters are kept.
    """
    kind = schema.result_kind
    fields = schema.result_fields
    foi_ids: dict[str, str] = {}
    legacy_key = observation_keys(source)  # of the observation id

    def columns(value: Any) -> tuple[float | None, str | None]:
        if value is None:
            return None, None
        if kind in ("num", "int", "bool"):
            number = numeric_result(value)
            return (number, None) if number is not None else (None, None)
        if kind == "text":
            return None, str(value)
        if multi and isinstance(value, list):
            value = dict(zip(fields, value, strict=False))
        return None, orjson.dumps(value).decode()

    def mapper(obs: StaObservation) -> ObsRow:
        extent = obs.phenomenon_time
        start = extent.start if extent is not None else obs.result_time
        if start is None:
            raise ValueError(f"observation {obs.id} has neither phenomenonTime nor resultTime")
        phenomenon = to_us(start)
        result_time = to_us(obs.result_time) if obs.result_time is not None else phenomenon
        foi = None
        if obs.foi_id is not None:
            foi = foi_ids.get(obs.foi_id)
            if foi is None:
                foi = foi_ids[obs.foi_id] = stable_id(f"{source}/FeatureOfInterest/{obs.foi_id}")
        num, txt = columns(obs.result)
        extra = _extra(obs)
        return ObsRow(phenomenon, result_time, foi, num, txt, extra, legacy_key(obs.id.encode()))

    return mapper


def _extra(obs: StaObservation) -> str | None:
    extra: dict[str, Any] = {}
    if obs.result_quality is not None:
        extra["resultQuality"] = obs.result_quality
    params = dict(obs.parameters or {})
    if obs.phenomenon_time is not None and obs.phenomenon_time.end is not None:
        params["phenomenonTimeInterval"] = [obs.phenomenon_time.start.isoformat(), obs.phenomenon_time.end.isoformat()]
    if obs.valid_time is not None:
        end = obs.valid_time.end.isoformat() if obs.valid_time.end else None
        params["validTime"] = [obs.valid_time.start.isoformat(), end]
    if params:
        extra["parameters"] = params
    return orjson.dumps(extra).decode() if extra else None


class StaRules:
    """SensorThings parts of batch mapping (see `bridge.mapping.batch.ProtocolRules`)."""

    def __init__(self, source: str) -> None:
        self.source = source

    def row_mapper(self, page: LegacyObservations, stream: CsDatastream) -> Callable[[Any], ObsRow]:
        """The row mapper of one stream: Thing locations, MultiDatastream records or plain observations."""
        schema = cached_schema(orjson.dumps(stream.schema))
        if page.stream_entity == "LocationHistory":
            return self._location_row
        return observation_mapper(self.source, schema, multi=page.stream_entity == "MultiDatastream")

    def _location_row(self, record: tuple[Any, dict[str, Any], str]) -> ObsRow:
        when, geometry, hid = record
        lon, lat = geometry["coordinates"][:2]
        time = to_us(when)
        value = orjson.dumps({"lon": lon, "lat": lat}).decode()
        return ObsRow(time, time, None, None, value, None, stable_key(f"{self.source}/HistoricalLocation/{hid}"))

    def command_results(self, unit: Unit, command: Command) -> list[CommandResult]:
        """STA 1.1 tasks carry no results."""
        return []

    def command_history(self, unit: Unit, command: Command) -> list[CommandStatus]:
        """STA 1.1 tasks carry no status: one ACCEPTED report at creation, saying so."""
        when = command.issue_time
        report = CommandStatus(
            id=stable_id(f"{self.source}/TaskStatus/{unit.legacy_id}"),
            command_id=command.id,
            report_time=when,
            status_code=StatusCode.ACCEPTED,
            message="accepted by the SensorThings service; STA 1.1 tasks carry no status, so no later state is known",
        )
        command.current_status = StatusCode.ACCEPTED
        return [report]
