"""DescribeSensor responses (swes wrapper, InsertSensor body, bare SensorML 1.0.1) → `SensorDescription`."""

from __future__ import annotations

from typing import Any, Literal

from lxml import etree

from bridge.errors import UpstreamError
from bridge.model.legacy.sos2 import SensorDescription, SensorOutput, Term, TimeExtent
from bridge.sources import sml_xml
from bridge.sources.gml import time_property
from bridge.sources.sos2.exceptions import check_exception
from bridge.sources.sos2.ns import FORMAT_SML20, FORMAT_SML101, SWES, elements, kid, kids, local, ns_of, text

_KIND: dict[str, Literal["system", "component", "process"]] = {
    "PhysicalSystem": "system",
    "PhysicalComponent": "component",
    "SimpleProcess": "process",
    "AggregateProcess": "process",
}


def parse_describe_sensor(data: bytes, *, procedure: str | None = None) -> list[SensorDescription]:
    """All descriptions in a DescribeSensor response (one per swes:description / validTime version).

    Args:
        procedure: the requested procedure id, used as uid when the description carries none.
    """
    root = check_exception(data)
    name = local(root)
    if ns_of(root) == SWES and name in ("DescribeSensorResponse", "InsertSensor", "UpdateSensorDescription"):
        fmt = text(kid(root, SWES, "procedureDescriptionFormat"))
        found: list[SensorDescription] = []
        for holder in kids(root, SWES, "description") + kids(root, SWES, "procedureDescription"):
            wrapper = kid(holder, SWES, "SensorDescription")
            valid = time_property(kid(wrapper, SWES, "validTime")) if wrapper is not None else None
            data_el = kid(wrapper, SWES, "data") if wrapper is not None else holder
            for payload in elements(data_el) if data_el is not None else []:
                found.extend(_from_payload(payload, fmt, valid, procedure))
        return found
    descriptions = _from_payload(root, None, None, procedure)
    if not descriptions:
        raise UpstreamError(f"not a DescribeSensor response: <{name}>")
    return descriptions


def _from_payload(
    el: etree._Element, fmt: str | None, valid: TimeExtent | None, procedure: str | None
) -> list[SensorDescription]:
    if local(el) == "SensorML":  # SensorML 1.0.1 document: members hold the processes
        members = [p for m in elements(el) if local(m) == "member" for p in elements(m) if sml_xml.is_process(p)]
        return [_describe(p, fmt, valid, procedure) for p in members]
    return [_describe(el, fmt, valid, procedure)] if sml_xml.is_process(el) else []


def _terms(items: Any) -> tuple[Term, ...]:
    return tuple(Term(t["label"], t["value"], t.get("definition"), t.get("codeSpace")) for t in items or [])


def _output(comp: dict[str, Any]) -> SensorOutput:
    uom = comp.get("uom") or {}
    return SensorOutput(
        name=comp.get("name", ""),
        swe_type=comp.get("type", ""),
        definition=comp.get("definition"),
        label=comp.get("label"),
        uom=uom.get("code") or uom.get("href"),
        component=comp,
    )


def _describe(
    el: etree._Element, fmt: str | None, valid: TimeExtent | None, procedure: str | None
) -> SensorDescription:
    sml = sml_xml.process_to_json(el, uid=procedure)
    version_fmt = FORMAT_SML20 if ns_of(el) == sml_xml.SML20 else FORMAT_SML101
    own_valid = next((time_property(v) for v in elements(el) if local(v) == "validTime"), None)
    point, _ = sml_xml.position(el) if sml["type"].startswith("Physical") else (None, None)
    return SensorDescription(
        format=fmt or version_fmt,
        uid=sml.get("uniqueId"),
        kind=_KIND[sml["type"]],
        label=sml.get("label"),
        description=sml.get("description"),
        valid_time=valid or own_valid,
        position=point,
        outputs=tuple(_output(c) for c in sml.get("outputs", [])),
        keywords=tuple(sml.get("keywords", [])),
        identifiers=_terms(sml.get("identifiers")),
        classifiers=_terms(sml.get("classifiers")),
        contacts=tuple(sml_xml.contact_records(el)),
        characteristics=tuple(sml.get("characteristics", [])),
        capabilities=tuple(sml.get("capabilities", [])),
        components=tuple(sml_xml.component_uids(el)),
        sml_json=sml,
    )
