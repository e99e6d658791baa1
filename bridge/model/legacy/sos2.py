"""Typed records of SOS 2.0 (and SWES/O&M/WaterML) responses, as the SOS parsers produce them.

These are legacy words on purpose (offering, procedure, featureOfInterest): the mapping engine turns
them into CSAPI resources. Records are frozen; the JSON dicts they carry (`sml_json`, `result_component`,
template `structure`) are shared between records and must not be mutated by callers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Literal, TypeVar

_T = TypeVar("_T")

JsonDict = dict[str, Any]
Bbox = tuple[float, float, float, float]  # min lon, min lat, max lon, max lat (CRS84 order)
ResultValue = float | int | bool | str | JsonDict | None

OM_TYPE = "http://www.opengis.net/def/observationType/OGC-OM/2.0/"
OM_MEASUREMENT = OM_TYPE + "OM_Measurement"
OM_CATEGORY = OM_TYPE + "OM_CategoryObservation"
OM_COUNT = OM_TYPE + "OM_CountObservation"
OM_TRUTH = OM_TYPE + "OM_TruthObservation"
OM_TEXT = OM_TYPE + "OM_TextObservation"
OM_GEOMETRY = OM_TYPE + "OM_GeometryObservation"
OM_SWE_ARRAY = OM_TYPE + "OM_SWEArrayObservation"
OM_COMPLEX = OM_TYPE + "OM_ComplexObservation"
OM_OBSERVATION = OM_TYPE + "OM_Observation"
OM_SWE = OM_TYPE + "OM_SWEObservation"
NIL_UNKNOWN = "http://www.opengis.net/def/nil/OGC/0/unknown"  # OGC nil reason: a required value nobody gave


@dataclass(frozen=True, slots=True)
class TimeExtent:
    """A gml:TimeInstant or gml:TimePeriod; an instant has `start == end`.

    A bound is None when indeterminate (`indeterminatePosition`) or absent; reduced-precision values
    (`1999-01`) become the covered interval. `assumed_utc` flags values that had no zone designator.
    """

    start: datetime | None
    end: datetime | None
    start_indeterminate: str | None = None
    end_indeterminate: str | None = None
    assumed_utc: bool = False
    gml_id: str | None = None

    @property
    def is_instant(self) -> bool:
        """True for a time instant (same start and end)."""
        return self.start is not None and self.start == self.end


@dataclass(frozen=True, slots=True)
class SosException:
    """One ows:Exception (code, locator, texts)."""

    code: str
    locator: str | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One DCP endpoint of an operation: method, binding and accepted Content-Types."""

    method: Literal["GET", "POST"]
    href: str
    content_types: tuple[str, ...] = ()

    @property
    def bindings(self) -> tuple[str, ...]:
        """Bindings this endpoint accepts: 'kvp', 'pox', 'soap', 'json' (unconstrained POST → pox+soap)."""
        if self.method == "GET":
            return ("kvp",)
        if not self.content_types:
            return ("pox", "soap")
        found: list[str] = []
        for ctype in self.content_types:
            low = ctype.lower()
            kind = "soap" if "soap" in low else "json" if "json" in low else "pox" if "xml" in low else None
            if kind and kind not in found:
                found.append(kind)
        return tuple(found)


@dataclass(frozen=True, slots=True)
class Operation:
    """An ows:Operation: endpoints and parameter AllowedValues (empty tuple = any/unknown)."""

    name: str
    endpoints: tuple[Endpoint, ...] = ()
    parameters: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def endpoint(self, binding: str) -> str | None:
        """First endpoint URL serving `binding` ('kvp', 'pox', 'soap', 'json'), or None."""
        for ep in self.endpoints:
            if binding in ep.bindings:
                return ep.href
        return None


@dataclass(frozen=True, slots=True)
class ServiceProvider:
    """The service provider section of SOS capabilities."""

    name: str | None = None
    site: str | None = None
    individual_name: str | None = None
    position_name: str | None = None
    email: str | None = None
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class ContentsDefaults:
    """Service-wide lists in sos:Contents that offerings inherit when they omit them (Q10)."""

    procedure_description_formats: tuple[str, ...] = ()
    observable_properties: tuple[str, ...] = ()
    response_formats: tuple[str, ...] = ()
    observation_types: tuple[str, ...] = ()
    foi_types: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Offering:
    """A sos:ObservationOffering with Contents/OperationsMetadata fallbacks already applied."""

    identifier: str
    procedure: str | None
    name: str | None = None
    description: str | None = None
    procedure_description_formats: tuple[str, ...] = ()
    observable_properties: tuple[str, ...] = ()
    related_features: tuple[tuple[str | None, str], ...] = ()  # (role, target href)
    observed_area: Bbox | None = None
    observed_area_srs: str | None = None
    observed_area_ambiguous: bool = False  # both axis orders plausible: the srsName's was taken (Q4)
    phenomenon_time: TimeExtent | None = None
    result_time: TimeExtent | None = None
    response_formats: tuple[str, ...] = ()
    observation_types: tuple[str, ...] = ()
    foi_types: tuple[str, ...] = ()
    inherited: frozenset[str] = frozenset()  # names of fields filled from fallbacks


@dataclass(frozen=True, slots=True)
class Capabilities:
    """A parsed SOS 2.0 Capabilities document."""

    version: str
    title: str | None = None
    abstract: str | None = None
    keywords: tuple[str, ...] = ()
    provider: ServiceProvider | None = None
    service_type_versions: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    operations: dict[str, Operation] = field(default_factory=dict)
    defaults: ContentsDefaults = field(default_factory=ContentsDefaults)
    offerings: tuple[Offering, ...] = ()
    temporal_operators: tuple[str, ...] = ()
    spatial_operators: tuple[str, ...] = ()
    update_sequence: str | None = None

    def has_profile(self, suffix: str) -> bool:
        """True if a conformance URI ends with `suffix` (e.g. 'resultRetrieval', 'kvp-core')."""
        return any(p.rstrip("/").endswith(suffix) for p in self.profiles)

    def endpoint(self, operation: str, binding: str) -> str | None:
        """URL of `operation` for a binding ('kvp', 'pox', 'soap'), or None when not advertised."""
        op = self.operations.get(operation)
        return op.endpoint(binding) if op else None


@dataclass(frozen=True, slots=True)
class Term:
    """A SensorML identifier/classifier term."""

    label: str
    value: str
    definition: str | None = None
    code_space: str | None = None


@dataclass(frozen=True, slots=True)
class SensorOutput:
    """One output of a SensorML description: its name and SWE type."""

    name: str
    swe_type: str
    definition: str | None = None
    label: str | None = None
    uom: str | None = None
    component: JsonDict = field(default_factory=dict)  # SWE Common 3 JSON


@dataclass(frozen=True, slots=True)
class SensorDescription:
    """One procedure description (SensorML 1.0.1 or 2.0) from DescribeSensor."""

    format: str
    uid: str | None
    kind: Literal["system", "component", "process"]
    label: str | None = None
    description: str | None = None
    valid_time: TimeExtent | None = None
    position: JsonDict | None = None  # GeoJSON Point, lon/lat
    outputs: tuple[SensorOutput, ...] = ()
    keywords: tuple[str, ...] = ()
    identifiers: tuple[Term, ...] = ()
    classifiers: tuple[Term, ...] = ()
    contacts: tuple[JsonDict, ...] = ()
    characteristics: tuple[JsonDict, ...] = ()
    capabilities: tuple[JsonDict, ...] = ()
    components: tuple[str, ...] = ()  # component uids (or names when no uid)
    sml_json: JsonDict = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class FeatureOfInterest:
    """A sampling feature (sams:SF_SpatialSamplingFeature, wml2:MonitoringPoint...)."""

    identifier: str | None
    gml_id: str | None = None
    names: tuple[str, ...] = ()
    description: str | None = None
    feature_type: str | None = None
    sampled_features: tuple[str, ...] = ()
    geometry: JsonDict | None = None  # GeoJSON; lon/lat when `geometry_crs84`
    srs_name: str | None = None
    geometry_crs84: bool = True
    issues: tuple[str, ...] = ()

    @property
    def name(self) -> str | None:
        """First gml:name, if any."""
        return self.names[0] if self.names else None


@dataclass(frozen=True, slots=True)
class Observation:
    """One observed value; array/time-series results are already expanded to one record per value."""

    gml_id: str | None
    declared_type: str | None  # om:type as written (may lie, Q6)
    detected_type: str  # from the result element / xsi:type
    procedure: str | None
    observed_property: str | None
    phenomenon_time: TimeExtent
    result_time: datetime | None
    result: ResultValue
    offering: str | None = None
    foi: str | None = None  # href/identifier of the feature of interest
    foi_title: str | None = None
    feature: FeatureOfInterest | None = None  # when given inline (or resolved by #ref)
    uom: str | None = None
    result_component: JsonDict | None = None  # SWE Common 3 JSON hint for datastream schemas
    parameters: dict[str, Any] = field(default_factory=dict)
    quality: tuple[str, ...] = ()
    issues: tuple[str, ...] = ()


def _positional_builder(cls: type[_T]) -> Callable[..., _T]:
    """A constructor taking every field positionally that skips the frozen `__init__`.

    Frozen dataclasses assign each field through `object.__setattr__`, which costs ~6 µs for an
    Observation; streaming parsers create hundreds of thousands, so they use this (same result).
    """
    setters = tuple(getattr(cls, f.name).__set__ for f in fields(cls))  # type: ignore[arg-type]
    new = object.__new__

    def build(*values: Any) -> _T:
        if len(values) != len(setters):
            raise TypeError(f"{cls.__name__} needs {len(setters)} values, got {len(values)}")
        obj = new(cls)
        for setter, value in zip(setters, values, strict=False):
            setter(obj, value)
        return obj

    return build


ObservationRecord = tuple[Observation, int]
"""A decoded observation and its `seq`: its position among the observations of one identity (feature,
phenomenon time) in one response, e.g. the levels of a profile, so each keeps its own legacy key."""
CompactRow = tuple[int, int, int, str | None, Any, int, str | None]
"""An observation of the bulk paths, no objects: `(phenomenon_us, end_us, result_us, foi, value, seq, foi_title)`
(an interval for reduced-precision times; `seq` as in `ObservationRecord`; the feature's title when given)."""

build_observation = _positional_builder(Observation)
"""Observation(*all 17 fields in declaration order), fast (see `_positional_builder`)."""
build_time_extent = _positional_builder(TimeExtent)
"""TimeExtent(*all 6 fields in declaration order), fast (see `_positional_builder`)."""


@dataclass(frozen=True, slots=True)
class ResultTemplate:
    """GetResultTemplate: record structure + encoding (SWE Common 3 JSON)."""

    structure: JsonDict
    encoding: JsonDict


@dataclass(frozen=True, slots=True)
class DataAvailability:
    """One gda:dataAvailabilityMember."""

    procedure: str | None
    observed_property: str | None
    feature_of_interest: str | None
    phenomenon_time: TimeExtent | None
    offering: str | None = None
    count: int | None = None


@dataclass(frozen=True, slots=True)
class GetObservationRequest:
    """The filters of a GetObservation request (as built or as read back from POX)."""

    offerings: tuple[str, ...] = ()
    procedures: tuple[str, ...] = ()
    observed_properties: tuple[str, ...] = ()
    features: tuple[str, ...] = ()
    temporal_filters: tuple[tuple[str, str, TimeExtent], ...] = ()  # (operator, valueReference, time)
    spatial_filter: tuple[str, Bbox, str | None] | None = None  # (valueReference, bbox, srsName)
    response_format: str | None = None
