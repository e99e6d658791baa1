"""SOS 2.0 mapping: transforms named in `mappings/sos2/entities.yaml` and the compiled observation row mapper.

Identifiers are opaque strings (Q3): ones that already are URIs stay the UID of their resource, others
become `urn:x-sos:<source>:<kind>:<percent-encoded id>`. Property ids become definitions through the
`definitions` lookup, stay as given when they are URIs, and otherwise use the Property's own UID, so a
property has one definition everywhere (Property.baseProperty, datastream observedProperties, schema).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import orjson

from bridge.mapping.sos2_rows import compact_mapper, observation_mapper
from bridge.mapping.transforms import REGISTRY, transform, uri_segment
from bridge.model.csapi import Command, CommandResult, CommandStatus, Link, TimeExtent
from bridge.model.csapi import Datastream as CsDatastream
from bridge.model.harvest import LegacyObservations, Unit
from bridge.model.legacy.sos2 import NIL_UNKNOWN
from bridge.model.observations import ObsRow
from bridge.model.stream_schema import cached_schema

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+$")
_NAME = re.compile(r"[^A-Za-z0-9_\-]+")
_VALID_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*$")
_OFFERING_KEYS = ("offering", "http://www.opengis.net/def/param-name/OGC-OM/2.0/offering")
SML_CORE = ("id", "uniqueId", "label", "description", "definition", "validTime", "links")


def is_uri(value: str) -> bool:
    """True for an absolute URI without spaces or characters URIs cannot hold."""
    return bool(_URI.match(value))


def legacy_uid(source: str, kind: str, value: Any) -> str:
    """The value when it is a URI, else a URN minted from the source, kind and percent-encoded id."""
    text = str(value).strip()
    return text if is_uri(text) else f"urn:x-sos:{uri_segment(source)}:{kind}:{uri_segment(text)}"


@transform("procedure_uid")
def _procedure_uid(value: Any, ctx: Mapping[str, Any]) -> str:
    return legacy_uid(ctx["source"], "procedure", value)


@transform("feature_uid")
def _feature_uid(value: Any, ctx: Mapping[str, Any]) -> str:
    return legacy_uid(ctx["source"], "feature", value)


def property_definition(prop: str, ctx: Mapping[str, Any]) -> str:
    """The definition URI of an observed property (well-known lookup, the id itself, or its Property UID)."""
    known = ctx["lookups"].get("definitions", {}).get(prop)
    if known:
        return str(known)
    if is_uri(prop):
        return prop
    return str(REGISTRY["uuid"](f"{ctx['source']}/ObservableProperty/{prop}", ctx))


@transform("sos_property_definition")
def _sos_property_definition(value: Any, ctx: Mapping[str, Any]) -> str:
    return property_definition(str(value), ctx)


@transform("sos_description")
def _sos_description(proc: Any, ctx: Mapping[str, Any]) -> str | None:
    """The SensorML description, else the offering descriptions, else a sentence naming the offerings."""
    if proc.sensor is not None and proc.sensor.description:
        return str(proc.sensor.description)
    described = [o.description for o in proc.offerings if o.description]
    if described:
        return str(described[0])
    offerings = ", ".join(o.identifier for o in proc.offerings)
    return f"SOS procedure {proc.procedure}" + (f" (offerings: {offerings})" if offerings else "")


@transform("sos_period")
def _sos_period(value: Any, ctx: Mapping[str, Any]) -> TimeExtent | None:
    """A legacy time extent as a CSAPI period; an indeterminate end ("now", unknown) stays open."""
    if value is None or getattr(value, "start", None) is None:
        return None
    return TimeExtent(value.start, value.end)


@transform("sos_system_geometry")
def _sos_system_geometry(proc: Any, ctx: Mapping[str, Any]) -> dict[str, Any] | None:
    """The SensorML position; else the observed area when it is a single point."""
    if proc.sensor is not None and proc.sensor.position:
        return dict(proc.sensor.position)
    for offering in proc.offerings:
        box = offering.observed_area
        if box is not None and box[0] == box[2] and box[1] == box[3]:
            return {"type": "Point", "coordinates": [box[0], box[1]]}
    return None


@transform("sos_sml")
def _sos_sml(proc: Any, ctx: Mapping[str, Any]) -> dict[str, Any]:
    """SensorML-JSON members of the description (identifiers, classifiers, characteristics, capabilities,
    contacts, position, outputs...) kept verbatim; the core members come from the resource fields."""
    if proc.sensor is None:
        return {}
    doc = {k: v for k, v in proc.sensor.sml_json.items() if k not in SML_CORE}
    if isinstance(doc.get("outputs"), list):
        doc["outputs"] = [_uri_definitions(o, ctx) for o in doc["outputs"]]
    return doc


def _uri_definitions(comp: Any, ctx: Mapping[str, Any]) -> Any:
    """A SWE component whose non-URI definitions (SOS property names, Q3) are replaced by property definitions."""
    if not isinstance(comp, dict):
        return comp
    out = dict(comp)
    definition = out.get("definition")
    if isinstance(definition, str) and not is_uri(definition):
        out["definition"] = property_definition(definition, ctx)
    for key in ("fields", "coordinates", "items"):
        if isinstance(out.get(key), list):
            out[key] = [_uri_definitions(c, ctx) for c in out[key]]
    return out


@transform("sos_system_properties")
def _sos_system_properties(proc: Any, ctx: Mapping[str, Any]) -> list[str]:
    """observedProperties of a system: its SensorML output definitions and its offerings' properties."""
    found: list[str] = []
    if proc.sensor is not None:
        found += [o.definition for o in proc.sensor.outputs if o.definition and is_uri(o.definition)]
    found += [property_definition(p, ctx) for p in proc.observable_properties]
    return list(dict.fromkeys(found))


@transform("sos_system_kind")
def _sos_system_kind(proc: Any, ctx: Mapping[str, Any]) -> Link | None:
    """The datasheet procedure of a system described by a type (SensorML typeOf or a process)."""
    sensor = proc.sensor
    if sensor is None:
        return None
    type_of = sensor.sml_json.get("typeOf")
    if isinstance(type_of, dict) and type_of.get("href"):
        return Link(href=str(type_of["href"]), rel="systemKind", title=type_of.get("title"))
    if sensor.kind == "process":
        return Link(href=str(REGISTRY["uuid"](f"{ctx['source']}/ProcedureType/{proc.procedure}", ctx)))
    return None


@transform("sos_offerings")
def _sos_offerings(proc: Any, ctx: Mapping[str, Any]) -> dict[str, Any]:
    """What the Capabilities say about the procedure's offerings (kept as extra properties), and the decisions
    taken reading them (`provenanceIssues`, e.g. an observedArea whose axis order its features showed wrong)."""
    offerings = []
    for o in proc.offerings:
        item: dict[str, Any] = {"identifier": o.identifier}
        if o.name:
            item["name"] = o.name
        if o.observed_area is not None:
            item["observedArea"] = list(o.observed_area)
        offerings.append(item)
    out: dict[str, Any] = {"sosOfferings": offerings}
    if getattr(proc, "issues", None):
        out["provenanceIssues"] = list(proc.issues)  # decisions taken reading the legacy description
    return out


@transform("sos_feature_name")
def _sos_feature_name(foi: Any, ctx: Mapping[str, Any]) -> str:
    return str(foi.name or foi.identifier or foi.gml_id or "Feature of interest")


@transform("sos_feature_geometry")
def _sos_feature_geometry(foi: Any, ctx: Mapping[str, Any]) -> dict[str, Any] | None:
    """The GeoJSON shape when it is in lon/lat (other CRSs cannot be reprojected here: kept in properties)."""
    return foi.geometry if foi.geometry and foi.geometry_crs84 else None


@transform("sos_feature_properties")
def _sos_feature_properties(foi: Any, ctx: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if foi.geometry and not foi.geometry_crs84:
        out["sourceGeometry"] = {"geometry": foi.geometry, "srsName": foi.srs_name}
    if len(foi.names) > 1:
        out["names"] = list(foi.names)
    return out


@transform("sos_sampling_type")
def _sos_sampling_type(foi: Any, ctx: Mapping[str, Any]) -> str:
    """The SF type of the feature, else one from its geometry type."""
    if foi.feature_type:
        return str(foi.feature_type)
    kind = (foi.geometry or {}).get("type", "")
    table: Mapping[str, Any] = ctx["lookups"].get("sampling_types", {})
    return str(table.get(kind) or table.get("*"))


@transform("sos_sampled_feature")
def _sos_sampled_feature(values: Any, ctx: Mapping[str, Any]) -> Link:
    """The first sampled feature (the nil URI `unknown` when none is given: the link is required)."""
    href = next((v for v in values or () if v), NIL_UNKNOWN)
    return Link(href=str(href), title="sampled feature" if href != NIL_UNKNOWN else "unknown")


@transform("sos_datastream_properties")
def _sos_datastream_properties(stream: Any, ctx: Mapping[str, Any]) -> list[dict[str, str]]:
    return [{"definition": property_definition(stream.prop, ctx), "label": stream.label}]


def _name(text: str | None, fallback: str) -> str:
    name = _NAME.sub("_", (text or "").strip()).strip("_")
    return name if name and name[0].isalpha() else fallback


def unit_json(uom: Any, ctx: Mapping[str, Any]) -> dict[str, str]:
    """A SWE `uom` through the unit table: UCUM codes as `code`, URIs as `href`, anything else kept (Q7)."""
    units: Mapping[str, Any] = ctx["lookups"].get("units", {})
    raw = uom.get("code") or uom.get("href") if isinstance(uom, dict) else uom
    text = str(raw or "").strip()
    if text in units:
        mapped = str(units[text])
        return {"href": mapped} if is_uri(mapped) and "/" in mapped else {"code": mapped}
    if not text:
        return {"href": NIL_UNKNOWN}
    if text.startswith(("http://", "https://", "urn:")):
        return {"href": text}
    return {"code": text.replace(" ", "_")}


def _clean(comp: dict[str, Any], ctx: Mapping[str, Any], index: int) -> dict[str, Any]:
    """A component made valid for a datastream schema: URI definitions, named fields, mapped units."""
    out = {k: v for k, v in comp.items() if k not in ("value", "values")}
    name = out.get("name")
    if not (isinstance(name, str) and _VALID_NAME.match(name)):  # record values are keyed by the parser's names
        out["name"] = _name(name, f"field{index + 1}")
    definition = out.get("definition")
    if isinstance(definition, str) and not is_uri(definition):
        out["definition"] = property_definition(definition, ctx)
    if out.get("type") in ("Quantity", "QuantityRange"):
        out["uom"] = unit_json(out.get("uom"), ctx)
    for key in ("fields", "coordinates", "items"):
        if isinstance(out.get(key), list):
            out[key] = [_clean(c, ctx, i) for i, c in enumerate(out[key]) if isinstance(c, dict)]
    return out


@transform("sos_datastream_schema")
def _sos_datastream_schema(hint: Any, ctx: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON schema of a stream from its hint (data, result template, SensorML output or observation type)."""
    stream = ctx["ns"]["stream"]
    label = stream.label
    definition = property_definition(stream.prop, ctx)
    comp = dict(hint.component) if hint is not None and hint.component else None
    if comp is None:
        types: Mapping[str, Any] = ctx["lookups"].get("observation_types", {})
        key = (hint.observation_type if hint is not None else None) or ""
        kind = str(types.get(key) or types.get(key.rsplit("/", 1)[-1]) or types.get("*", "Quantity"))
        comp = {"type": kind}
        if kind == "Quantity":
            comp["uom"] = {"code": hint.uom} if hint is not None and hint.uom else {"href": NIL_UNKNOWN}
    comp = _clean(comp, ctx, 0)
    if comp.get("type") not in ("DataRecord", "DataArray", "Vector", "DataChoice"):
        comp.update(name=_name(label, "result"), label=label, definition=definition)
    else:
        comp.setdefault("label", label)
        comp["name"] = _name(label, "result")
    return {"obsFormat": "application/json", "resultSchema": comp}


class SosRules:
    """SOS parts of batch mapping (see `bridge.mapping.batch.ProtocolRules`)."""

    def __init__(self, source: str) -> None:
        self.source = source

    def row_mapper(self, page: LegacyObservations, stream: CsDatastream) -> Callable[[Any], ObsRow]:
        """The row mapper of one stream: compact rows (text blocks, arrays) and decoded O&M records alike."""
        kind = cached_schema(orjson.dumps(stream.schema)).result_kind
        info = page.stream_ns["stream"]
        compact = compact_mapper(self.source, kind, info.procedure.procedure, info.prop)
        if page.stream_ns.get("compact"):
            return compact
        general = observation_mapper(self.source, kind)
        return lambda record: compact(record) if type(record[0]) is int else general(record)

    def command_results(self, unit: Unit, command: Command) -> list[CommandResult]:
        """SOS has no command results."""
        return []

    def command_history(self, unit: Unit, command: Command) -> list[CommandStatus]:
        """SOS has no commands."""
        return []
