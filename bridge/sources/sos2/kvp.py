"""SOS 2.0 KVP (HTTP GET) request builders returning percent-encoded query strings.

Every value is percent-encoded on its own (spaces, commas, colons, parentheses inside ids, `+` of
time offsets → `%2B`, Q3); lists are joined with a literal comma. Bounding boxes are given lon/lat
and written in the axis order of the CRS (EPSG:4326 is lat/lon).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from urllib.parse import quote

from bridge.model.legacy.sos2 import Bbox
from bridge.sources.gml import to_rfc3339
from bridge.sources.sos2.ns import FORMAT_OM20, FORMAT_SML20, OM20, SAMS

TimeLike = datetime | str
Ids = str | Sequence[str] | None
EPSG4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
FOI_SHAPE = "om:featureOfInterest/*/sams:shape"


def _enc(value: str) -> str:
    return quote(value, safe="")


def _ids(value: Ids) -> str | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else list(value)
    items = [v for v in items if v]
    return ",".join(_enc(v) for v in items) or None


def time_text(value: TimeLike) -> str:
    """An ISO 8601 time for a request (datetimes as RFC 3339, strings verbatim)."""
    return to_rfc3339(value) if isinstance(value, datetime) else value.strip()


def temporal_value(start: TimeLike, end: TimeLike | None) -> str:
    """`start/end` for a period, a single time for an instant."""
    if end is None or end == start:
        return time_text(start)
    return f"{time_text(start)}/{time_text(end)}"


def bbox_in_crs(bbox: Bbox, srs: str = EPSG4326) -> tuple[float, float, float, float]:
    """A lon/lat bbox in the axis order of `srs` (lat/lon for EPSG geographic CRSs)."""
    min_lon, min_lat, max_lon, max_lat = bbox
    if "CRS84" in srs.upper():
        return bbox
    return (min_lat, min_lon, max_lat, max_lon)


def _query(pairs: list[tuple[str, str | None]]) -> str:
    return "&".join(f"{k}={v}" for k, v in pairs if v)


def _base(request: str) -> list[tuple[str, str | None]]:
    return [("service", "SOS"), ("version", "2.0.0"), ("request", request)]


def _spatial(bbox: Bbox | None, reference: str, srs: str) -> str | None:
    if bbox is None:
        return None
    coords = ",".join(repr(float(c)) for c in bbox_in_crs(bbox, srs))
    return f"{_enc(reference)},{coords},{_enc(srs)}"


def _namespaces() -> str:
    return _enc(f"xmlns(om,{OM20}),xmlns(sams,{SAMS})")


def kvp_get_capabilities(sections: Sequence[str] | None = None, accept_versions: str = "2.0.0") -> str:
    """GetCapabilities (always negotiating 2.0.0, Q1; no `version` parameter)."""
    return _query(
        [
            ("service", "SOS"),
            ("request", "GetCapabilities"),
            ("AcceptVersions", _enc(accept_versions)),
            ("Sections", _ids(sections)),
        ]
    )


def kvp_describe_sensor(
    procedure: str,
    procedure_description_format: str = FORMAT_SML20,
    valid_time: tuple[TimeLike, TimeLike | None] | None = None,
) -> str:
    """DescribeSensor for one procedure."""
    pairs = [
        *_base("DescribeSensor"),
        ("procedure", _enc(procedure)),
        ("procedureDescriptionFormat", _enc(procedure_description_format)),
    ]
    if valid_time:
        pairs.append(("validTime", _enc(temporal_value(*valid_time))))
    return _query(pairs)


def kvp_get_observation(
    offering: Ids = None,
    procedure: Ids = None,
    observed_property: Ids = None,
    foi: Ids = None,
    temporal_filter: tuple[TimeLike, TimeLike | None] | None = None,
    response_format: str | None = FORMAT_OM20,
    *,
    spatial_filter: Bbox | None = None,
    srs: str = EPSG4326,
    value_reference: str = "om:phenomenonTime",
) -> str:
    """GetObservation; `temporal_filter=(start, end)` (end None → instant), `spatial_filter` lon/lat."""
    pairs = [
        *_base("GetObservation"),
        ("offering", _ids(offering)),
        ("procedure", _ids(procedure)),
        ("observedProperty", _ids(observed_property)),
        ("featureOfInterest", _ids(foi)),
    ]
    if temporal_filter:
        pairs.append(("temporalFilter", _enc(f"{value_reference},{temporal_value(*temporal_filter)}")))
    pairs.append(("spatialFilter", _spatial(spatial_filter, FOI_SHAPE, srs)))
    if temporal_filter or spatial_filter:
        pairs.append(("namespaces", _namespaces()))
    pairs.append(("responseFormat", _enc(response_format) if response_format else None))
    return _query(pairs)


def kvp_get_observation_by_id(observation: Ids) -> str:
    """GetObservationById."""
    return _query([*_base("GetObservationById"), ("observation", _ids(observation))])


def kvp_get_feature_of_interest(
    foi: Ids = None,
    procedure: Ids = None,
    observed_property: Ids = None,
    spatial_filter: Bbox | None = None,
    srs: str = EPSG4326,
) -> str:
    """GetFeatureOfInterest by ids, procedure, property and/or bbox (lon/lat)."""
    pairs = [
        *_base("GetFeatureOfInterest"),
        ("featureOfInterest", _ids(foi)),
        ("procedure", _ids(procedure)),
        ("observedProperty", _ids(observed_property)),
        ("spatialFilter", _spatial(spatial_filter, "sams:shape", srs)),
    ]
    if spatial_filter:
        pairs.append(("namespaces", _namespaces()))
    return _query(pairs)


def kvp_get_result_template(offering: str, observed_property: str) -> str:
    """GetResultTemplate for one offering and property."""
    return _query(
        [
            *_base("GetResultTemplate"),
            ("offering", _enc(offering)),
            ("observedProperty", _enc(observed_property)),
        ]
    )


def kvp_get_result(
    offering: str,
    observed_property: str,
    foi: Ids = None,
    temporal_filter: tuple[TimeLike, TimeLike | None] | None = None,
    spatial_filter: Bbox | None = None,
    srs: str = EPSG4326,
) -> str:
    """GetResult with optional FOI, time and bbox filters."""
    pairs = [
        *_base("GetResult"),
        ("offering", _enc(offering)),
        ("observedProperty", _enc(observed_property)),
        ("featureOfInterest", _ids(foi)),
    ]
    if temporal_filter:
        pairs.append(("temporalFilter", _enc(f"om:phenomenonTime,{temporal_value(*temporal_filter)}")))
    pairs.append(("spatialFilter", _spatial(spatial_filter, FOI_SHAPE, srs)))
    if temporal_filter or spatial_filter:
        pairs.append(("namespaces", _namespaces()))
    return _query(pairs)


def kvp_get_data_availability(
    procedure: Ids = None, observed_property: Ids = None, foi: Ids = None, offering: Ids = None
) -> str:
    """GetDataAvailability (52°North extension)."""
    return _query(
        [
            *_base("GetDataAvailability"),
            ("procedure", _ids(procedure)),
            ("observedProperty", _ids(observed_property)),
            ("featureOfInterest", _ids(foi)),
            ("offering", _ids(offering)),
        ]
    )
