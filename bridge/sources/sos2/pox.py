"""SOS 2.0 POX (XML POST) request bodies, a SOAP 1.2 wrapper, and a POX GetObservation reader."""

from __future__ import annotations

from collections.abc import Sequence

from lxml import etree

from bridge.errors import UpstreamError
from bridge.model.legacy.sos2 import Bbox, GetObservationRequest, TimeExtent
from bridge.sources.gml import envelope_to_bbox, time_primitive
from bridge.sources.sos2.exceptions import check_exception
from bridge.sources.sos2.kvp import EPSG4326, FOI_SHAPE, Ids, TimeLike, bbox_in_crs, time_text
from bridge.sources.sos2.ns import (
    FES,
    FORMAT_OM20,
    FORMAT_SML20,
    GDA20,
    GML32,
    OM20,
    OWS11,
    SAMS,
    SOAP12,
    SOS20,
    SWES,
    XLINK,
    elements,
    kids,
    local,
    q,
    text,
)
from bridge.sources.xml import parse_xml

NSMAP = {
    "sos": SOS20,
    "swes": SWES,
    "fes": FES,
    "gml": GML32,
    "om": OM20,
    "sams": SAMS,
    "ows": OWS11,
    "xlink": XLINK,
}
ACTION_BASE = "http://www.opengis.net/def/serviceOperation/sos/"
_ACTIONS = {
    "GetCapabilities": "core/2.0/GetCapabilities",
    "DescribeSensor": "core/2.0/DescribeSensor",
    "GetObservation": "core/2.0/GetObservation",
    "GetFeatureOfInterest": "foiRetrieval/2.0/GetFeatureOfInterest",
    "GetResultTemplate": "resultRetrieval/2.0/GetResultTemplate",
    "GetResult": "resultRetrieval/2.0/GetResult",
}


def _root(ns: str, name: str) -> etree._Element:
    return etree.Element(q(ns, name), nsmap=NSMAP, service="SOS", version="2.0.0")


def _add(parent: etree._Element, ns: str, name: str, value: str | None = None) -> etree._Element:
    el = etree.SubElement(parent, q(ns, name))
    if value is not None:
        el.text = value
    return el


def _many(parent: etree._Element, ns: str, name: str, values: Ids) -> None:
    for value in [values] if isinstance(values, str) else list(values or []):
        _add(parent, ns, name, value)


def _bytes(root: etree._Element) -> bytes:
    out: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return out


def _temporal(parent: etree._Element, start: TimeLike, end: TimeLike | None, reference: str) -> None:
    instant = end is None or end == start
    op = _add(_add(parent, SOS20, "temporalFilter"), FES, "TEquals" if instant else "During")
    _add(op, FES, "ValueReference", reference)
    if instant:
        ti = _add(op, GML32, "TimeInstant")
        ti.set(q(GML32, "id"), "ti_1")
        _add(ti, GML32, "timePosition", time_text(start))
    else:
        tp = _add(op, GML32, "TimePeriod")
        tp.set(q(GML32, "id"), "tp_1")
        _add(tp, GML32, "beginPosition", time_text(start))
        _add(tp, GML32, "endPosition", time_text(end))  # type: ignore[arg-type]


def _spatial(parent: etree._Element, bbox: Bbox, reference: str, srs: str) -> None:
    op = _add(_add(parent, SOS20, "spatialFilter"), FES, "BBOX")
    _add(op, FES, "ValueReference", reference)
    env = _add(op, GML32, "Envelope")
    env.set("srsName", srs)
    x1, y1, x2, y2 = bbox_in_crs(bbox, srs)
    _add(env, GML32, "lowerCorner", f"{x1!r} {y1!r}")
    _add(env, GML32, "upperCorner", f"{x2!r} {y2!r}")


def pox_get_capabilities(sections: Sequence[str] | None = None) -> bytes:
    """GetCapabilities body negotiating version 2.0.0."""
    root = etree.Element(q(SOS20, "GetCapabilities"), nsmap=NSMAP, service="SOS")
    _add(_add(root, OWS11, "AcceptVersions"), OWS11, "Version", "2.0.0")
    if sections:
        holder = _add(root, OWS11, "Sections")
        _many(holder, OWS11, "Section", list(sections))
    return _bytes(root)


def pox_describe_sensor(procedure: str, procedure_description_format: str = FORMAT_SML20) -> bytes:
    """DescribeSensor body."""
    root = _root(SWES, "DescribeSensor")
    _add(root, SWES, "procedure", procedure)
    _add(root, SWES, "procedureDescriptionFormat", procedure_description_format)
    return _bytes(root)


def pox_get_observation(
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
) -> bytes:
    """GetObservation body with the same filters as `kvp_get_observation`."""
    root = _root(SOS20, "GetObservation")
    _many(root, SOS20, "procedure", procedure)
    _many(root, SOS20, "offering", offering)
    _many(root, SOS20, "observedProperty", observed_property)
    if temporal_filter:
        _temporal(root, *temporal_filter, value_reference)
    _many(root, SOS20, "featureOfInterest", foi)
    if spatial_filter:
        _spatial(root, spatial_filter, FOI_SHAPE, srs)
    if response_format:
        _add(root, SOS20, "responseFormat", response_format)
    return _bytes(root)


def pox_get_feature_of_interest(
    foi: Ids = None,
    procedure: Ids = None,
    observed_property: Ids = None,
    spatial_filter: Bbox | None = None,
    srs: str = EPSG4326,
) -> bytes:
    """GetFeatureOfInterest body."""
    root = _root(SOS20, "GetFeatureOfInterest")
    _many(root, SOS20, "procedure", procedure)
    _many(root, SOS20, "observedProperty", observed_property)
    _many(root, SOS20, "featureOfInterest", foi)
    if spatial_filter:
        _spatial(root, spatial_filter, "sams:shape", srs)
    return _bytes(root)


def pox_get_result_template(offering: str, observed_property: str) -> bytes:
    """GetResultTemplate body."""
    root = _root(SOS20, "GetResultTemplate")
    _add(root, SOS20, "offering", offering)
    _add(root, SOS20, "observedProperty", observed_property)
    return _bytes(root)


def pox_get_result(
    offering: str,
    observed_property: str,
    foi: Ids = None,
    temporal_filter: tuple[TimeLike, TimeLike | None] | None = None,
    spatial_filter: Bbox | None = None,
    srs: str = EPSG4326,
) -> bytes:
    """GetResult body."""
    root = _root(SOS20, "GetResult")
    _add(root, SOS20, "offering", offering)
    _add(root, SOS20, "observedProperty", observed_property)
    _many(root, SOS20, "featureOfInterest", foi)
    if temporal_filter:
        _temporal(root, *temporal_filter, "om:phenomenonTime")
    if spatial_filter:
        _spatial(root, spatial_filter, FOI_SHAPE, srs)
    return _bytes(root)


def pox_get_data_availability(
    procedure: Ids = None, observed_property: Ids = None, foi: Ids = None, offering: Ids = None
) -> bytes:
    """GetDataAvailability body (sosgda 2.0)."""
    root = etree.Element(q(GDA20, "GetDataAvailability"), nsmap={"gda": GDA20}, service="SOS", version="2.0.0")
    for name, values in (
        ("procedure", procedure),
        ("observedProperty", observed_property),
        ("featureOfInterest", foi),
        ("offering", offering),
    ):
        _many(root, GDA20, name, values)
    return _bytes(root)


def soap_envelope(body: bytes, action: str | None = None) -> bytes:
    """Wrap a POX body in a SOAP 1.2 envelope (WS-Addressing Action from the operation name)."""
    payload = parse_xml(body)
    env = etree.Element(q(SOAP12, "Envelope"), nsmap={"soap12": SOAP12, "wsa": "http://www.w3.org/2005/08/addressing"})
    header = _add(env, SOAP12, "Header")
    operation = local(payload)
    act = action or (ACTION_BASE + _ACTIONS[operation] if operation in _ACTIONS else None)
    if act:
        _add(header, "http://www.w3.org/2005/08/addressing", "Action", act)
    _add(env, SOAP12, "Body").append(payload)
    return _bytes(env)


def _time_filter(holder: etree._Element) -> tuple[str, str, TimeExtent] | None:
    op = next(elements(holder), None)
    if op is None:
        return None
    reference = text(next((c for c in elements(op) if local(c) == "ValueReference"), None)) or ""
    prim = next((c for c in elements(op) if local(c) in ("TimeInstant", "TimePeriod")), None)
    return (local(op), reference, time_primitive(prim)) if prim is not None else None


def parse_get_observation_request(data: bytes) -> GetObservationRequest:
    """Read back the filters of a POX GetObservation request (for tests and request logging)."""
    root = check_exception(data)
    if local(root) != "GetObservation":
        raise UpstreamError(f"not a GetObservation request: <{local(root)}>")

    def values(name: str) -> tuple[str, ...]:
        return tuple(t for c in kids(root, SOS20, name) if (t := text(c)))

    temporal = tuple(f for h in kids(root, SOS20, "temporalFilter") if (f := _time_filter(h)))
    spatial = None
    for holder in kids(root, SOS20, "spatialFilter"):
        op = next(elements(holder), None)
        env = next((c for c in elements(op) if local(c) == "Envelope"), None) if op is not None else None
        if op is not None and env is not None and (geo := envelope_to_bbox(env)).bbox:
            reference = text(next((c for c in elements(op) if local(c) == "ValueReference"), None)) or ""
            spatial = (reference, geo.bbox, geo.srs_name)
    formats = values("responseFormat")
    return GetObservationRequest(
        offerings=values("offering"),
        procedures=values("procedure"),
        observed_properties=values("observedProperty"),
        features=values("featureOfInterest"),
        temporal_filters=temporal,
        spatial_filter=spatial,
        response_format=formats[0] if formats else None,
    )
