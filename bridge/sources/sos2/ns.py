"""Namespace URIs of the SOS 2.0 family and small element helpers (matching on URI, never prefix, Q2)."""

from __future__ import annotations

from lxml import etree

from bridge.sources.gml import GML32, GML311
from bridge.sources.swe_xml import SWE20, SWE101, elements, local
from bridge.sources.xml import text

SOS20 = "http://www.opengis.net/sos/2.0"
SOS10 = "http://www.opengis.net/sos/1.0"
SWES = "http://www.opengis.net/swes/2.0"
OWS11 = "http://www.opengis.net/ows/1.1"
OWS20 = "http://www.opengis.net/ows/2.0"
OWS10 = "http://www.opengis.net/ows"
OWS_NS = (OWS11, OWS20, OWS10, "")
FES = "http://www.opengis.net/fes/2.0"
OM20 = "http://www.opengis.net/om/2.0"
OM10 = "http://www.opengis.net/om/1.0"
SAMS = "http://www.opengis.net/samplingSpatial/2.0"
SF = "http://www.opengis.net/sampling/2.0"
SA10 = "http://www.opengis.net/sampling/1.0"
WML2 = "http://www.opengis.net/waterml/2.0"
GDA10 = "http://www.opengis.net/sosgda/1.0"
GDA20 = "http://www.opengis.net/sosgda/2.0"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
XLINK = "http://www.w3.org/1999/xlink"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XS = "http://www.w3.org/2001/XMLSchema"
HREF = f"{{{XLINK}}}href"
TITLE = f"{{{XLINK}}}title"
XSI_TYPE = f"{{{XSI}}}type"
GML_ID = f"{{{GML32}}}id"

FORMAT_SML20 = "http://www.opengis.net/sensorml/2.0"
FORMAT_SML101 = "http://www.opengis.net/sensorML/1.0.1"
FORMAT_OM20 = "http://www.opengis.net/om/2.0"
FORMAT_WML2 = "http://www.opengis.net/waterml/2.0"

__all__ = ["GML32", "GML311", "SWE20", "SWE101", "elements", "local", "text"]


def q(ns: str, name: str) -> str:
    """Clark notation `{ns}name`."""
    return f"{{{ns}}}{name}" if ns else name


def ns_of(el: etree._Element) -> str:
    """Namespace URI of an element ('' when none)."""
    tag = el.tag
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


def kids(el: etree._Element, ns: str, name: str) -> list[etree._Element]:
    """Direct children `{ns}name`."""
    found: list[etree._Element] = el.findall(q(ns, name))
    return found


def kid(el: etree._Element | None, ns: str, name: str) -> etree._Element | None:
    """First direct child `{ns}name`, or None."""
    return None if el is None else el.find(q(ns, name))


def texts(el: etree._Element, ns: str, name: str) -> tuple[str, ...]:
    """Trimmed texts of the direct children `{ns}name` (blank ones dropped, Q11)."""
    return tuple(t for c in el.findall(q(ns, name)) if (t := text(c)))


def href(el: etree._Element | None) -> str | None:
    """Trimmed xlink:href, or None."""
    if el is None:
        return None
    value = el.get(HREF)
    return value.strip() or None if value is not None else None


def qname_value(el: etree._Element, value: str | None) -> tuple[str, str] | None:
    """Resolve a QName attribute value (`ns:MeasureType`) against the element's in-scope namespaces (Q6)."""
    if not value:
        return None
    prefix, _, name = value.strip().rpartition(":")
    uri = el.nsmap.get(prefix or None)
    return (uri or "", name)
