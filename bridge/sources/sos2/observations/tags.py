"""The elements the observation readers look for, and the upkeep of a streamed lxml tree."""

from __future__ import annotations

from typing import Any

from lxml import etree

from bridge.model.legacy.sos2 import OM_CATEGORY, OM_MEASUREMENT
from bridge.sources.sos2.ns import GML32, OM20, OWS_NS, SOAP11, SOAP12, WML2, local, q

OBS = q(OM20, "OM_Observation")
TVPS = {q(WML2, "MeasurementTVP"): OM_MEASUREMENT, q(WML2, "CategoryTVP"): OM_CATEGORY}  # WaterML point → kind
STOP = [q(ns, "ExceptionReport") for ns in OWS_NS] + [q(SOAP12, "Fault"), q(SOAP11, "Fault")]
TAGS = [OBS, *TVPS, *STOP]  # what a streamed document is read for
PHEN, RTIME, TYPE, PROC = q(OM20, "phenomenonTime"), q(OM20, "resultTime"), q(OM20, "type"), q(OM20, "procedure")
PROP, FOI, PARAM = q(OM20, "observedProperty"), q(OM20, "featureOfInterest"), q(OM20, "parameter")
RESULT = q(OM20, "result")
INSTANT, POSITION = q(GML32, "TimeInstant"), q(GML32, "timePosition")


def release(elem: etree._Element) -> None:
    """Free a processed element and everything before it in the tree."""
    elem.clear(keep_tail=True)
    node: Any = elem
    while (parent := node.getparent()) is not None:
        while node.getprevious() is not None:
            del parent[0]
        node = parent


def envelope_of(elem: etree._Element) -> etree._Element:
    """The element to check: the SOAP envelope around a fault, or the exception report itself."""
    node = elem
    while node.getparent() is not None and local(node) != "Envelope":
        node = node.getparent()
    return node if local(node) == "Envelope" else elem
