"""SPS 2.0 request documents: POX bodies, SOAP 1.2 envelopes and KVP parameters.

Element order follows sps.xsd (swes:extension first, then the operation's elements). A client
reference for exactly-once Submit travels in `swes:extension`, the SWES 2.0 extension point every
request has; a service that does not know it ignores it (see `SpsClient.submit`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from lxml import etree

from bridge.model.legacy.sps2 import ParameterData
from bridge.sources.sps2.common import OWS, SOAP12, SPS, SWE, SWES, WSA, Element, format_time, q
from bridge.sources.xml import parse_xml

VERSION = "2.0.0"
ACTION_BASE = "http://www.opengis.net/sps/2.0/"
BRIDGE_NS = "urn:x-csapi-bridge:sps:extension:1.0"  # swes:extension content understood by our test server
CLIENT_REFERENCE = q(BRIDGE_NS, "clientReference")
NSMAP: dict[str | None, str] = {"sps": SPS, "swes": SWES, "swe": SWE}


def _root(name: str, *, client_reference: str | None = None, extra_ns: dict[str, str] | None = None) -> Element:
    nsmap = dict(NSMAP)
    nsmap.update(extra_ns or {})
    root = etree.Element(q(SPS, name), nsmap=nsmap)
    root.set("service", "SPS")
    if name != "GetCapabilities":
        root.set("version", VERSION)
    if client_reference is not None:
        ext = etree.SubElement(root, q(SWES, "extension"))
        ref = etree.SubElement(ext, CLIENT_REFERENCE, nsmap={"cbx": BRIDGE_NS})
        ref.text = client_reference
    return root


def _add(parent: Element, local: str, value: str | datetime | None) -> None:
    if value is None:
        return
    el = etree.SubElement(parent, q(SPS, local))
    el.text = format_time(value) if isinstance(value, datetime) else value


def encoding_element(encoding: dict[str, Any]) -> Element:
    """SWE Common 3 JSON TextEncoding/XMLEncoding → the `swe:` 2.0 element for `sps:encoding`."""
    kind = encoding.get("type")
    if kind == "TextEncoding":
        el = etree.Element(q(SWE, "TextEncoding"))
        for attr in ("collapseWhiteSpaces", "decimalSeparator", "tokenSeparator", "blockSeparator"):
            if attr in encoding:
                value = encoding[attr]
                el.set(attr, str(value).lower() if isinstance(value, bool) else str(value))
        return el
    if kind == "XMLEncoding":
        return etree.Element(q(SWE, "XMLEncoding"))
    raise ValueError(f"SPS parameters cannot use a {kind!r}")


def parameter_data_element(data: ParameterData) -> Element:
    """`sps:taskingParameters/sps:ParameterData` for a request."""
    holder = etree.Element(q(SPS, "taskingParameters"))
    pd = etree.SubElement(holder, q(SPS, "ParameterData"))
    etree.SubElement(pd, q(SPS, "encoding")).append(encoding_element(data.encoding))
    values = etree.SubElement(pd, q(SPS, "values"))
    if data.encoding.get("type") == "XMLEncoding":
        wrapper = parse_xml(b"<v>" + data.values.encode() + b"</v>")
        for el in list(wrapper):
            values.append(el)
    else:
        values.text = data.values
    return holder


def build_get_capabilities(sections: Sequence[str] = ()) -> Element:
    """`sps:GetCapabilities` accepting version 2.0.0 (Q1: always negotiate the version)."""
    root = _root("GetCapabilities", extra_ns={"ows": OWS})
    versions = etree.SubElement(root, q(OWS, "AcceptVersions"))
    etree.SubElement(versions, q(OWS, "Version")).text = VERSION
    if sections:
        holder = etree.SubElement(root, q(OWS, "Sections"))
        for section in sections:
            etree.SubElement(holder, q(OWS, "Section")).text = section
    return root


def build_describe_tasking(procedure: str) -> Element:
    """`sps:DescribeTasking` for one procedure."""
    root = _root("DescribeTasking")
    _add(root, "procedure", procedure)
    return root


def build_tasking_request(
    operation: str,
    procedure: str,
    data: ParameterData,
    *,
    latest_response_time: datetime | None = None,
    client_reference: str | None = None,
) -> Element:
    """Any sps:TaskingRequest (Submit, GetFeasibility, Reserve, Update) up to `latestResponseTime`."""
    root = _root(operation, client_reference=client_reference)
    _add(root, "procedure", procedure)
    root.append(parameter_data_element(data))
    _add(root, "latestResponseTime", latest_response_time)
    return root


def build_submit(
    procedure: str,
    data: ParameterData,
    *,
    latest_response_time: datetime | None = None,
    client_reference: str | None = None,
) -> Element:
    """`sps:Submit` (optionally carrying a client reference in `swes:extension`)."""
    return build_tasking_request(
        "Submit", procedure, data, latest_response_time=latest_response_time, client_reference=client_reference
    )


def build_get_feasibility(
    procedure: str, data: ParameterData, *, latest_response_time: datetime | None = None
) -> Element:
    """`sps:GetFeasibility`."""
    return build_tasking_request("GetFeasibility", procedure, data, latest_response_time=latest_response_time)


def build_reserve(
    procedure: str,
    data: ParameterData,
    *,
    latest_response_time: datetime | None = None,
    reservation_expiration: datetime | None = None,
    client_reference: str | None = None,
) -> Element:
    """`sps:Reserve` (ReservationManager class)."""
    root = build_tasking_request(
        "Reserve", procedure, data, latest_response_time=latest_response_time, client_reference=client_reference
    )
    _add(root, "reservationExpiration", reservation_expiration)
    return root


def build_update(
    procedure: str, target_task: str, data: ParameterData, *, latest_response_time: datetime | None = None
) -> Element:
    """`sps:Update` of the updatable parameters of `target_task` (TaskUpdater class)."""
    root = build_tasking_request("Update", procedure, data, latest_response_time=latest_response_time)
    _add(root, "targetTask", target_task)
    return root


def _task_request(operation: str, task: str) -> Element:
    root = _root(operation)
    _add(root, "task", task)
    return root


def build_cancel(task: str) -> Element:
    """`sps:Cancel` (TaskCanceller class)."""
    return _task_request("Cancel", task)


def build_confirm(task: str) -> Element:
    """`sps:Confirm` of a reserved task."""
    return _task_request("Confirm", task)


def build_get_status(task: str, since: datetime | None = None) -> Element:
    """`sps:GetStatus`, with `since` for the report history (StateLogger class)."""
    root = _task_request("GetStatus", task)
    _add(root, "since", since)
    return root


def build_get_task(tasks: str | Sequence[str]) -> Element:
    """`sps:GetTask` for one or more task ids."""
    root = _root("GetTask")
    for task in [tasks] if isinstance(tasks, str) else tasks:
        _add(root, "task", task)
    return root


def build_describe_result_access(*, task: str | None = None, procedure: str | None = None) -> Element:
    """`sps:DescribeResultAccess` for a task or a procedure (exactly one)."""
    if (task is None) == (procedure is None):
        raise ValueError("DescribeResultAccess targets exactly one of task or procedure")
    root = _root("DescribeResultAccess")
    target = etree.SubElement(root, q(SPS, "target"))
    _add(target, "task" if task is not None else "procedure", task or procedure)
    return root


def soap_envelope(body: Element, *, to: str | None = None, message_id: str | None = None) -> Element:
    """Wrap a request in a SOAP 1.2 envelope with WS-Addressing To/Action/MessageID headers."""
    envelope = etree.Element(q(SOAP12, "Envelope"), nsmap={"soap12": SOAP12, "wsa": WSA})
    header = etree.SubElement(envelope, q(SOAP12, "Header"))
    if to:
        etree.SubElement(header, q(WSA, "To")).text = to
    etree.SubElement(header, q(WSA, "Action")).text = soap_action(body)
    etree.SubElement(header, q(WSA, "MessageID")).text = message_id or f"urn:uuid:{uuid.uuid4()}"
    etree.SubElement(envelope, q(SOAP12, "Body")).append(body)
    return envelope


def soap_action(body: Element) -> str:
    """The action URI of a request element (`http://www.opengis.net/sps/2.0/Submit`)."""
    return ACTION_BASE + str(etree.QName(body).localname)


def to_bytes(el: Element) -> bytes:
    """Serialize a request document (UTF-8 with XML declaration)."""
    return bytes(etree.tostring(el, xml_declaration=True, encoding="UTF-8"))


def kvp_params(operation: str, **params: str | None) -> dict[str, str]:
    """KVP parameters for the read operations (GetCapabilities, DescribeTasking, GetStatus, GetTask, …).

    Identifiers are passed as opaque values (Q3); httpx percent-encodes them.
    """
    out = {"service": "SPS", "request": operation}
    if operation == "GetCapabilities":
        out["AcceptVersions"] = VERSION
    else:
        out["version"] = VERSION
    out.update({k: v for k, v in params.items() if v is not None})
    return out
