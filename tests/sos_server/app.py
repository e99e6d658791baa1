"""The ASGI application of the SOS 2.0 test server: KVP (GET), POX and SOAP 1.2 (POST) bindings.

Operations: GetCapabilities, DescribeSensor, GetFeatureOfInterest, GetObservation (streamed, refused with
ResponseExceedsSizeLimit above `size_limit` observations), GetResultTemplate/GetResult and
GetDataAvailability when switched on. Exceptions are ows:ExceptionReports (HTTP 400) or SOAP faults.
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

from lxml import etree

from bridge.sources.xml import parse_xml
from tests.loopback import read_body

from . import documents as doc
from .state import ServerState

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
LISTS = (
    "procedure",
    "offering",
    "observedProperty",
    "featureOfInterest",
    "procedureDescriptionFormat",
    "responseFormat",
)


class OwsError(Exception):
    def __init__(self, code: str, locator: str | None, text: str) -> None:
        super().__init__(text)
        self.code, self.locator, self.text = code, locator, text


@dataclass
class Request:
    operation: str
    binding: str
    params: dict[str, list[str]] = field(default_factory=dict)
    period: tuple[datetime, datetime] | None = None

    def one(self, name: str) -> str:
        values = self.params.get(name) or []
        if not values:
            raise OwsError("MissingParameterValue", name, f"{name} is required")
        return values[0]


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.strip().replace("Z", "+00:00"))


def _period(value: str) -> tuple[datetime, datetime]:
    span = value.split(",", 1)[-1]
    start, _, end = span.partition("/")
    return _time(start), _time(end or start)


def parse_request(method: str, query: bytes, body: bytes) -> Request:
    """An SOS request from KVP or an XML (POX/SOAP) body."""
    if method == "GET":
        kvp = dict(parse_qsl(query.decode(), keep_blank_values=True))
        if kvp.get("service") != "SOS" or "request" not in kvp:
            raise OwsError("MissingParameterValue", "service", "KVP requests need service=SOS and request")
        params = {k: v.split(",") for k, v in kvp.items() if k in LISTS}
        period = _period(kvp["temporalFilter"]) if kvp.get("temporalFilter") else None
        return Request(kvp["request"], "kvp", params, period)
    root = parse_xml(body)
    binding = "pox"
    if root.tag == f"{{{SOAP12}}}Envelope":
        binding = "soap"
        root = next(iter(root.find(f"{{{SOAP12}}}Body")))  # type: ignore[arg-type]
    params: dict[str, list[str]] = {}
    for el in root.iter():
        name = etree.QName(el).localname if isinstance(el.tag, str) else ""
        if name in LISTS and el.text and el.text.strip() and el.getparent() is root:
            params.setdefault(name, []).append(el.text.strip())
    begin = [el.text for el in root.iter() if isinstance(el.tag, str) and etree.QName(el).localname in
             ("beginPosition", "timePosition")]  # fmt: skip
    end = [el.text for el in root.iter() if isinstance(el.tag, str) and etree.QName(el).localname == "endPosition"]
    period = (_time(begin[0] or ""), _time((end or begin)[0] or "")) if begin else None
    return Request(etree.QName(root).localname, binding, params, period)


class SosTestApp:
    """ASGI callable serving one `ServerState`."""

    def __init__(self, state: ServerState) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = await read_body(receive)
        request: Request | None = None
        try:
            request = parse_request(scope["method"], scope.get("query_string", b""), body)
            with self.state.lock:
                params = {k: ",".join(v) for k, v in request.params.items()}
                self.state.requests.append((request.operation, request.binding, params))
            chunks = self._answer(request)
            status = 200
        except OwsError as error:
            status, chunks = 400, iter([self._error(error, request)])
        except Exception:
            self.state.errors.append(traceback.format_exc())
            status, chunks = 500, iter([self._error(OwsError("NoApplicableCode", None, "server error"), request)])
        soap = request is not None and request.binding == "soap"
        content_type = b"application/soap+xml" if soap else b"application/xml"
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", content_type)]})
        observing = request is not None and request.operation == "GetObservation"
        if observing:
            with self.state.lock:
                self.state.in_flight += 1
                self.state.max_in_flight = max(self.state.max_in_flight, self.state.in_flight)
        try:
            if observing and self.state.delay:
                await asyncio.sleep(self.state.delay)
            for chunk in chunks:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            if observing:
                with self.state.lock:
                    self.state.in_flight -= 1

    def _error(self, error: OwsError, request: Request | None) -> bytes:
        if request is not None and request.binding == "soap":
            return doc.soap_fault(error.code, error.locator, error.text)
        return doc.exception_report(error.code, error.locator, error.text)

    def _answer(self, request: Request) -> Iterator[bytes]:
        handler = HANDLERS.get(request.operation)
        if handler is None:
            raise OwsError("OperationNotSupported", request.operation, f"{request.operation} is not supported")
        if request.binding != "soap" and request.operation in self.state.soap_only:
            raise OwsError("InvalidRequest", None, f"{request.operation} is served over SOAP only")
        answer = handler(self.state, request)
        if request.binding == "soap":
            return iter([doc.soap(b"".join(answer))])
        if request.operation != "GetObservation":  # errors must surface before the status line is sent
            return iter([b"".join(answer)])
        return answer


def get_capabilities(state: ServerState, request: Request) -> Iterator[bytes]:
    yield doc.capabilities(state)


def describe_sensor(state: ServerState, request: Request) -> Iterator[bytes]:
    spec = state.by_procedure(request.one("procedure"))
    if spec is None:
        raise OwsError("InvalidParameterValue", "procedure", "unknown procedure")
    fmt = request.one("procedureDescriptionFormat")
    if fmt not in spec.formats:
        raise OwsError("InvalidParameterValue", "procedureDescriptionFormat", f"{fmt} is not supported")
    yield doc.describe_sensor_sml20(spec) if fmt == doc.SML20 else doc.describe_sensor_sml101(spec)


def get_feature_of_interest(state: ServerState, request: Request) -> Iterator[bytes]:
    procedures = request.params.get("procedure")
    wanted = request.params.get("featureOfInterest")
    found = {}
    for spec in state.offerings:
        if procedures and spec.procedure not in procedures:
            continue
        for foi in spec.fois:
            if not wanted or foi.identifier in wanted:
                found[foi.identifier] = foi
    yield doc.features(found.values())


def _rows(state: ServerState, request: Request) -> list[tuple[Any, str, datetime, Any, float]]:
    offerings = request.params.get("offering") or [o.identifier for o in state.offerings]
    period = request.period
    if state.window_limit is not None and (period is None or period[1] - period[0] > state.window_limit):
        with state.lock:
            state.refused.extend(offerings)
        raise OwsError("ResponseExceedsSizeLimit", None, f"periods longer than {state.window_limit} are refused")
    props = request.params.get("observedProperty")
    rows = []
    for identifier in offerings:
        spec = state.offering(identifier)
        if spec.fail:
            raise OwsError(spec.fail, "offering", f"offering {identifier} cannot be read")
        for prop in spec.properties:
            if props and prop not in props:
                continue
            with state.lock:
                data = list(state.data[(identifier, prop)])
            for when, foi, value in data:
                if request.period is None or request.period[0] <= when <= request.period[1]:
                    rows.append((spec, prop, when, foi, value))
    if state.size_limit is not None and len(rows) > state.size_limit:
        with state.lock:
            state.refused.extend(offerings)
        raise OwsError(
            "ResponseExceedsSizeLimit", None, f"{len(rows)} observations exceed the limit {state.size_limit}"
        )
    return rows


def get_observation(state: ServerState, request: Request) -> Iterator[bytes]:
    rows = _rows(state, request)
    wanted = (request.params.get("responseFormat") or [doc.OM20])[0]
    offerings = {spec.identifier for spec, *_ in rows}
    waterml = {o.identifier for o in state.offerings if o.waterml}
    if offerings & waterml and wanted != doc.WML2:
        raise OwsError("InvalidParameterValue", "responseFormat", "this offering answers in WaterML 2.0 only")
    if wanted == doc.WML2:
        return doc.waterml(rows)
    return doc.observations(rows)


def get_result_template(state: ServerState, request: Request) -> Iterator[bytes]:
    yield doc.result_template(state.offering(request.one("offering")), request.one("observedProperty"))


def get_result(state: ServerState, request: Request) -> Iterator[bytes]:
    yield doc.result_values([(when, foi, value) for _, _, when, foi, value in _rows(state, request)])


def get_data_availability(state: ServerState, request: Request) -> Iterator[bytes]:
    members = []
    for spec in state.offerings:
        for prop in spec.properties:
            with state.lock:
                data = list(state.data[(spec.identifier, prop)])
            for foi in spec.fois:
                times = [t for t, f, _ in data if f == foi]
                if times:
                    members.append((spec, prop, foi, min(times), max(times)))
    yield doc.data_availability(members)


HANDLERS: dict[str, Callable[[ServerState, Request], Iterator[bytes]]] = {
    "GetCapabilities": get_capabilities,
    "DescribeSensor": describe_sensor,
    "GetFeatureOfInterest": get_feature_of_interest,
    "GetObservation": get_observation,
    "GetResultTemplate": get_result_template,
    "GetResult": get_result,
    "GetDataAvailability": get_data_availability,
}
