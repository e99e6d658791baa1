"""Shared SPS 2.0 XML plumbing: namespaces, SOAP unwrapping, exception detection, time values.

Every lookup goes by namespace URI, never by prefix (servers vary prefixes, and some use
default namespaces). Exceptions may come as a POX `ows:ExceptionReport` (OWS 1.1 or 2.0) or as a
SOAP 1.2 Fault whose Detail carries `ows:Exception` elements.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TypeAlias

from lxml import etree

from bridge.errors import UpstreamError
from bridge.model.legacy.sps2 import SpsException, StatusMessage
from bridge.sources.xml import parse_xml, text

SPS = "http://www.opengis.net/sps/2.0"
SWES = "http://www.opengis.net/swes/2.0"
SWE = "http://www.opengis.net/swe/2.0"
SWE101 = "http://www.opengis.net/swe/1.0.1"
OWS = "http://www.opengis.net/ows/1.1"
OWS2 = "http://www.opengis.net/ows/2.0"
GML = "http://www.opengis.net/gml/3.2"
XLINK = "http://www.w3.org/1999/xlink"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
WSA = "http://www.w3.org/2005/08/addressing"
XML_NS = "http://www.w3.org/XML/1998/namespace"

OWS_NAMESPACES = (OWS, OWS2)
SOAP_NAMESPACES = (SOAP12, SOAP11)

Element: TypeAlias = etree._Element


def q(ns: str, local: str) -> str:
    """Clark-notation name `{ns}local`."""
    return f"{{{ns}}}{local}"


def local_name(el: Element) -> str:
    """Local part of an element's tag."""
    return str(etree.QName(el).localname)


def namespace(el: Element) -> str | None:
    """Namespace URI of an element's tag."""
    ns = etree.QName(el).namespace
    return None if ns is None else str(ns)


def children(el: Element | None, ns: str | tuple[str, ...], local: str) -> Iterator[Element]:
    """Child elements with the given namespace(s) and local name."""
    if el is None:
        return
    spaces = (ns,) if isinstance(ns, str) else ns
    for child in el:
        if isinstance(child.tag, str) and local_name(child) == local and namespace(child) in spaces:
            yield child


def child(el: Element | None, ns: str | tuple[str, ...], local: str) -> Element | None:
    """First child element with the given name, or None."""
    return next(children(el, ns, local), None)


def child_text(el: Element | None, ns: str | tuple[str, ...], local: str) -> str | None:
    """Stripped text of the first matching child, or None."""
    return text(child(el, ns, local))


def children_text(el: Element | None, ns: str | tuple[str, ...], local: str) -> list[str]:
    """Stripped, non-empty texts of all matching children."""
    return [t for t in (text(c) for c in children(el, ns, local)) if t]


def element_children(el: Element | None) -> list[Element]:
    """Element children only (comments and processing instructions skipped)."""
    return [] if el is None else [c for c in el if isinstance(c.tag, str)]


def language_strings(el: Element | None, ns: str | tuple[str, ...], local: str) -> list[StatusMessage]:
    """`ows:LanguageStringType` children as messages with their xml:lang."""
    return [
        StatusMessage(value, c.get(q(XML_NS, "lang")))
        for c in children(el, ns, local)
        if (value := text(c)) is not None
    ]


def unwrap(data: bytes | Element, *, http_status: int | None = None) -> Element:
    """Parse a response, raise `SpsException` for exception reports/faults, return the payload element.

    SOAP 1.2 (and 1.1) envelopes are opened generically (Q12): the first element child of Body.
    """
    root = parse_xml(data) if isinstance(data, bytes) else data
    if local_name(root) == "Envelope" and namespace(root) in SOAP_NAMESPACES:
        body = child(root, SOAP_NAMESPACES, "Body")
        payload = element_children(body)
        if not payload:
            raise UpstreamError("SOAP response without a Body payload")
        root = payload[0]
    if local_name(root) == "Fault" and namespace(root) in SOAP_NAMESPACES:
        raise soap_fault(root, http_status)
    if local_name(root) == "ExceptionReport" and namespace(root) in OWS_NAMESPACES:
        raise exception_report(root, http_status)
    return root


def expect(root: Element, local: str) -> Element:
    """Check the payload is `sps:<local>`; anything else is an unusable answer."""
    if local_name(root) != local or namespace(root) != SPS:
        raise UpstreamError(f"expected sps:{local}, got {{{namespace(root)}}}{local_name(root)}")
    return root


def _ows_exceptions(parent: Element | None, http_status: int | None, soap: str | None) -> list[SpsException]:
    found = []
    for exc in children(parent, OWS_NAMESPACES, "Exception"):
        texts = tuple(children_text(exc, OWS_NAMESPACES, "ExceptionText"))
        found.append(
            SpsException(
                exc.get("exceptionCode") or "NoApplicableCode",
                " ".join(texts),
                locator=exc.get("locator"),
                texts=texts,
                soap_code=soap,
                http_status=http_status,
            )
        )
    return found


def _first_with_more(found: list[SpsException]) -> SpsException:
    first = found[0]
    first.more = tuple(found[1:])
    return first


def exception_report(root: Element, http_status: int | None = None) -> SpsException:
    """An `ows:ExceptionReport` as `SpsException` (first exception; the others in `.more`)."""
    found = _ows_exceptions(root, http_status, None)
    if not found:
        return SpsException("NoApplicableCode", "empty exception report", http_status=http_status)
    return _first_with_more(found)


def soap_fault(fault: Element, http_status: int | None = None) -> SpsException:
    """A SOAP 1.2 Fault as `SpsException`; the ows:Exception in Detail wins over the subcode."""
    code = child(fault, SOAP12, "Code")
    value = child_text(code, SOAP12, "Value")
    subcode = child_text(child(code, SOAP12, "Subcode"), SOAP12, "Value")
    reason = " ".join(children_text(child(fault, SOAP12, "Reason"), SOAP12, "Text"))
    if namespace(fault) == SOAP11:
        value = text(fault.find("faultcode"))
        reason = text(fault.find("faultstring")) or ""
    detail = child(fault, SOAP_NAMESPACES, "Detail")
    if detail is None:
        detail = fault.find("detail")
    found = _ows_exceptions(detail, http_status, value)
    for report in children(detail, OWS_NAMESPACES, "ExceptionReport"):
        found.extend(_ows_exceptions(report, http_status, value))
    if found:
        return _first_with_more(found)
    exc_code = (subcode or value or "NoApplicableCode").rpartition(":")[2]
    return SpsException(exc_code, reason, soap_code=value, http_status=http_status)


_FRACTION = re.compile(r"(\.\d{6})\d+")


def parse_time(value: str | None) -> datetime | None:
    """xs:dateTime → aware datetime; no offset is read as UTC; None stays None."""
    if value is None:
        return None
    raw = _FRACTION.sub(r"\1", value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise UpstreamError(f"unreadable SPS time value {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_time(value: datetime) -> str:
    """Aware datetime → xs:dateTime (naive is taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


_DURATION = re.compile(
    r"^(?P<sign>-)?P(?:(?P<y>\d+(?:\.\d+)?)Y)?(?:(?P<mo>\d+(?:\.\d+)?)M)?(?:(?P<w>\d+(?:\.\d+)?)W)?"
    r"(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<mi>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)
_SECONDS = {"y": 365 * 86400, "mo": 30 * 86400, "w": 7 * 86400, "d": 86400, "h": 3600, "mi": 60, "s": 1}


def duration_seconds(value: str | None) -> float | None:
    """xs:duration (`PT12H`) → seconds (years/months approximated); None when absent or unreadable."""
    if not value:
        return None
    match = _DURATION.match(value.strip())
    if not match or value.strip() in ("P", "PT"):
        return None
    total = sum(float(match.group(k)) * f for k, f in _SECONDS.items() if match.group(k))
    return -total if match.group("sign") else total
