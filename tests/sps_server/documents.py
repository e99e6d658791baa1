"""Response documents of the SPS test server, built from the OGC SPS 2.0 examples in fixtures/sps2/.

Each response keeps the root element, namespace declarations and child order of the fixture it is
derived from; ids, times, states and parameters are filled in from the server state.
"""

from __future__ import annotations

import copy
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TypeAlias

from lxml import etree

from bridge.model.legacy.sps2 import TaskStatus
from bridge.sources.sps2.common import GML, OWS, SOAP12, SPS, SWES, WSA, XLINK, q
from bridge.sources.sps2.requests import BRIDGE_NS, parameter_data_element
from bridge.sources.xml import parse_xml

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sps2"
Element: TypeAlias = etree._Element


@cache
def _fixture(name: str) -> Element:
    return parse_xml((FIXTURES / name).read_bytes())


def fixture(name: str) -> Element:
    """A fresh copy of a fixture's payload element (SOAP Body unwrapped, comments dropped)."""
    root = copy.deepcopy(_fixture(name))
    if root.tag == q(SOAP12, "Envelope"):
        root = copy.deepcopy(next(c for c in root.find(q(SOAP12, "Body")) if isinstance(c.tag, str)))
    for comment in root.xpath("//comment()"):
        comment.getparent().remove(comment)
    return root


def shell(name: str) -> Element:
    """The fixture's root element (tag, namespaces, attributes) with no children."""
    root = fixture(name)
    for c in list(root):
        root.remove(c)
    return root


def _text(parent: Element, ns: str, local: str, value: str | None) -> None:
    if value is not None:
        etree.SubElement(parent, q(ns, local)).text = value


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def status_report(report: TaskStatus) -> Element:
    """sps:StatusReport (sps:ReservationReport when it has an expiration), elements in sps.xsd order."""
    name = "ReservationReport" if report.reservation_expiration and report.task_status == "Reserved" else "StatusReport"
    el = etree.Element(q(SPS, name))
    _text(el, SPS, "task", report.task_id)
    _text(el, SPS, "estimatedToC", _time(report.estimated_toc))
    _text(el, SPS, "event", report.event)
    if report.percent_completion is not None:
        _text(el, SPS, "percentCompletion", f"{report.percent_completion:g}")
    _text(el, SPS, "procedure", report.procedure)
    _text(el, SPS, "requestStatus", report.request_status)
    for message in report.status_messages:
        msg = etree.SubElement(el, q(SPS, "statusMessage"))
        msg.text = message.text
        if message.lang:
            msg.set("{http://www.w3.org/XML/1998/namespace}lang", message.lang)
    _text(el, SPS, "taskStatus", report.task_status)
    _text(el, SPS, "updateTime", _time(report.update_time))
    for alternative in report.alternatives:
        holder = etree.SubElement(etree.SubElement(el, q(SPS, "alternative")), q(SPS, "Alternative"))
        if alternative.parameters is not None:
            holder.append(parameter_data_element(alternative.parameters))
    if report.parameters is not None:
        el.append(parameter_data_element(report.parameters))
    if name == "ReservationReport":
        _text(el, SPS, "reservationExpiration", _time(report.reservation_expiration))
    return el


def tasking_response(
    root: Element, report: TaskStatus, *, target_task: str | None = None, latest: datetime | None = None
) -> Element:
    """Submit/Update/Cancel/GetFeasibility/Reserve/Confirm answer: `sps:result` with one report."""
    _text(root, SPS, "latestResponseTime", _time(latest))
    etree.SubElement(root, q(SPS, "result")).append(status_report(report))
    _text(root, SPS, "targetTask", target_task)
    return root


def response_root(local: str, like: str) -> Element:
    """An sps:<local> root with the namespaces and schemaLocation of another fixture."""
    template = shell(like)
    root = etree.Element(q(SPS, local), nsmap=template.nsmap)
    root.attrib.update(template.attrib)
    return root


def get_status_response(reports: list[TaskStatus]) -> Element:
    root = shell("ogc-sps-getstatus-response-since-history.xml")
    for report in reports:
        etree.SubElement(root, q(SPS, "status")).append(status_report(report))
    return root


def get_task_response(tasks: list[tuple[str, list[TaskStatus]]]) -> Element:
    root = shell("ogc-sps-gettask-response-completed.xml")
    for task_id, reports in tasks:
        task = etree.SubElement(etree.SubElement(root, q(SPS, "task")), q(SPS, "Task"))
        _text(task, SWES, "identifier", task_id)
        for report in reports:
            etree.SubElement(task, q(SPS, "status")).append(status_report(report))
    return root


def result_access(base: str | None, sos_url: str) -> Element:
    """DescribeResultAccessResponse: the fixture's two reference groups re-based on `base`, or unavailable."""
    root = fixture("ogc-sps-describeresultaccess-response-procedure.xml")
    if base is None:
        availability = root.find(q(SPS, "availability"))
        for c in list(availability):
            availability.remove(c)
        missing = etree.SubElement(etree.SubElement(availability, q(SPS, "unavailable")), q(SPS, "DataNotAvailable"))
        _text(missing, SPS, "unavailableCode", "DataNotAvailable")
        return root
    for ident in root.iter(q(OWS, "Identifier")):
        ident.text = (ident.text or "").replace("http://www.ogc.org/procedure/camera/1", base)
    refs = list(root.iter(q(OWS, "Reference")))
    refs[0].set(q(XLINK, "href"), sos_url)
    refs[1].set(q(XLINK, "href"), base + "/videos")
    return root


def describe_tasking(procedure_template: str, name: str) -> Element:
    """DescribeTaskingResponse: the OGC example as is, or a bare 52N DataRecord wrapped like it."""
    if procedure_template == "ogc-sps-describetasking-response.xml":
        return fixture(procedure_template)
    root = shell("ogc-sps-describetasking-response.xml")
    holder = etree.SubElement(root, q(SPS, "taskingParameters"), name=name)
    holder.append(fixture(procedure_template))
    return root


def exception_report(code: str, locator: str | None, text: str) -> Element:
    report = etree.Element(q(OWS, "ExceptionReport"), nsmap={"ows": OWS}, version="2.0.0")
    exc = etree.SubElement(report, q(OWS, "Exception"), exceptionCode=code)
    if locator:
        exc.set("locator", locator)
    _text(exc, OWS, "ExceptionText", text)
    return report


def soap_fault(code: str, locator: str | None, text: str, status: int) -> Element:
    """A SOAP 1.2 Fault shaped like the OGC InvalidParameterValue example (returned inside an envelope)."""
    envelope = copy.deepcopy(_fixture("ogc-sps-exception-invalidparametervalue-soap12.xml"))
    fault = envelope.find(f"{q(SOAP12, 'Body')}/{q(SOAP12, 'Fault')}")
    fault.find(f"{q(SOAP12, 'Code')}/{q(SOAP12, 'Value')}").text = (
        "soap12:Sender" if status < 500 else "soap12:Receiver"
    )
    fault.find(f".//{q(SOAP12, 'Subcode')}/{q(SOAP12, 'Value')}").text = f"ows:{code}"
    fault.find(f".//{q(SOAP12, 'Text')}").text = text
    exc = fault.find(f".//{q(OWS, 'Exception')}")
    exc.set("exceptionCode", code)
    if locator:
        exc.set("locator", locator)
    else:
        exc.attrib.pop("locator", None)
    exc.find(q(OWS, "ExceptionText")).text = text
    return envelope


def soap_wrap(payload: Element, action: str, relates_to: str | None) -> Element:
    """A SOAP 1.2 envelope around a response, with WS-Addressing Action/RelatesTo."""
    envelope = etree.Element(q(SOAP12, "Envelope"), nsmap={"soap12": SOAP12, "wsa": WSA})
    header = etree.SubElement(envelope, q(SOAP12, "Header"))
    _text(header, WSA, "Action", action)
    _text(header, WSA, "RelatesTo", relates_to)
    etree.SubElement(envelope, q(SOAP12, "Body")).append(payload)
    return envelope


def _area(kind: str, positions: list[tuple[float, float]], gid: str) -> Element:
    area = etree.Element(q(SPS, "observableArea"))
    srs = "http://www.opengis.net/def/crs/EPSG/0/4326"
    if kind == "point":
        point = etree.SubElement(etree.SubElement(area, q(SPS, "byPoint")), q(GML, "Point"))
        point.set(q(GML, "id"), gid)
        point.set("srsName", srs)
        _text(point, GML, "pos", " ".join(f"{v:g}" for v in positions[0]))
        return area
    polygon = etree.SubElement(etree.SubElement(area, q(SPS, "byPolygon")), q(GML, "Polygon"))
    polygon.set(q(GML, "id"), gid)
    ring = etree.SubElement(etree.SubElement(polygon, q(GML, "exterior")), q(GML, "LinearRing"))
    for lat, lon in positions:  # one srsName per pos and an unclosed ring, like the OGC example (Q19)
        etree.SubElement(ring, q(GML, "pos"), srsName=srs).text = f"{lat:g} {lon:g}"
    return area


def offering(identifier: str, procedure: str, area: tuple[str, list[tuple[float, float]]], gid: str) -> Element:
    """An sps:SensorOffering shaped like the capabilities example's."""
    template = fixture("ogc-sps-getcapabilities-response-soap.xml").find(f".//{q(SPS, 'SensorOffering')}")
    template.find(q(SWES, "identifier")).text = identifier
    template.find(q(SWES, "procedure")).text = procedure
    template.replace(template.find(q(SPS, "observableArea")), _area(area[0], area[1], gid))
    return template


def capabilities(
    url: str,
    offerings: list[Element],
    post_encodings: tuple[str, ...],
    encodings: tuple[str, ...],
    idempotent: bool,
    without: tuple[str, ...] = (),
) -> Element:
    """The capabilities example with this server's URL, encodings, offerings and extension, less the
    conformance classes (ows:Profile) and operations named in `without`."""
    root = fixture("ogc-sps-getcapabilities-response-soap.xml")
    for el in [*root.iter(q(OWS, "Profile")), *root.iter(q(OWS, "Operation"))]:
        name = el.get("name") or (el.text or "").rsplit("/", 1)[-1]
        if name in without:
            el.getparent().remove(el)
    for method in root.iter(q(OWS, "Post")):
        method.set(q(XLINK, "href"), url)
    first_dcp = root.find(f".//{q(OWS, 'Operation')}/{q(OWS, 'DCP')}/{q(OWS, 'HTTP')}")
    etree.SubElement(first_dcp, q(OWS, "Get")).set(q(XLINK, "href"), url)  # KVP GetCapabilities
    first_dcp.insert(0, first_dcp[-1])
    allowed = root.find(f"{q(OWS, 'OperationsMetadata')}/{q(OWS, 'Constraint')}/{q(OWS, 'AllowedValues')}")
    for c in list(allowed):
        allowed.remove(c)
    for value in post_encodings:
        _text(allowed, OWS, "Value", value)
    contents = root.find(f"{q(SPS, 'contents')}/{q(SPS, 'SPSContents')}")
    old = contents.findall(q(SWES, "offering"))
    anchor = contents.index(old[0])
    for el in old:
        contents.remove(el)
    for i, off in enumerate(offerings):
        holder = etree.Element(q(SWES, "offering"))
        holder.append(off)
        contents.insert(anchor + i, holder)
    supported = contents.findall(q(SPS, "supportedEncoding"))
    for el in supported[1:]:
        contents.remove(el)
    for value in reversed(encodings):
        supported[0].addnext(etree.Element(q(SPS, "supportedEncoding")))
        supported[0].getnext().text = value
    contents.remove(supported[0])
    if idempotent:
        ext = etree.SubElement(root, q(SPS, "extension"))
        etree.SubElement(ext, q(BRIDGE_NS, "idempotentSubmit"), nsmap={"cbx": BRIDGE_NS}).text = "true"
    etree.cleanup_namespaces(root)  # drop the SOAP/WS-Addressing declarations of the SOAP example
    return root
