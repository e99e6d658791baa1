"""OWS exception reports and SOAP faults → `OwsException`; SOAP envelopes unwrapped (Q12)."""

from __future__ import annotations

from lxml import etree

from bridge.errors import UpstreamError
from bridge.model.legacy.sos2 import SosException
from bridge.sources.sos2.ns import OWS_NS, SOAP11, SOAP12, elements, kid, local, ns_of, q, text
from bridge.sources.xml import parse_xml


class OwsException(UpstreamError):
    """The service answered an ows:ExceptionReport or a SOAP fault.

    `exception_code`, `locator` and `text` describe the first exception; `exceptions` holds all.
    """

    def __init__(self, exceptions: tuple[SosException, ...], *, fault: str | None = None) -> None:
        first = exceptions[0] if exceptions else SosException(fault or "NoApplicableCode")
        message = f"legacy service exception {first.code}"
        if first.locator:
            message += f" (locator {first.locator})"
        if first.text:
            message += f": {first.text}"
        listed = [{"code": e.code, "locator": e.locator, "text": e.text} for e in exceptions]
        super().__init__(message, details={"exceptions": listed})
        self.exceptions = exceptions or (first,)
        self.exception_code = first.code
        self.locator = first.locator
        self.text = first.text


class Sos1OnlyError(UpstreamError):
    """The server answered an SOS 1.0 document where SOS 2.0 was required (Q1)."""

    code = "UnsupportedLegacyVersion"


def _exceptions(container: etree._Element) -> tuple[SosException, ...]:
    found = []
    for el in container.iter():
        if isinstance(el.tag, str) and local(el) == "Exception" and ns_of(el) in OWS_NS:
            texts = [t for c in elements(el) if local(c) == "ExceptionText" and (t := text(c))]
            code = (el.get("exceptionCode") or "NoApplicableCode").strip()
            locator = (el.get("locator") or "").strip() or None
            found.append(SosException(code, locator, "\n".join(texts) or None))
    return tuple(found)


def _soap_fault(fault: etree._Element) -> OwsException:
    exceptions = _exceptions(fault)
    if exceptions:
        return OwsException(exceptions)
    soap = ns_of(fault)
    code = None
    for value in fault.iter(q(soap, "Value"), "faultcode"):
        code = (text(value) or "").rpartition(":")[2] or code
    reason = next((text(t) for t in fault.iter(q(soap, "Text"), "faultstring") if text(t)), None)
    return OwsException((SosException(code or "NoApplicableCode", None, reason),))


def check_exception(root_or_bytes: etree._Element | bytes) -> etree._Element:
    """Raise `OwsException` for an exception report or SOAP fault; return the payload root otherwise.

    SOAP 1.1/1.2 envelopes are unwrapped generically (the first element of the Body is returned).
    """
    root = parse_xml(root_or_bytes) if isinstance(root_or_bytes, bytes) else root_or_bytes
    if local(root) == "Envelope" and ns_of(root) in (SOAP12, SOAP11):
        body = kid(root, ns_of(root), "Body")
        payload = next(elements(body), None) if body is not None else None
        if payload is None:
            raise UpstreamError("SOAP envelope without a body element")
        if local(payload) == "Fault" and ns_of(payload) in (SOAP12, SOAP11):
            raise _soap_fault(payload)
        root = payload
    if local(root) == "ExceptionReport" and ns_of(root) in OWS_NS:
        raise OwsException(_exceptions(root) or (SosException("NoApplicableCode"),))
    return root
