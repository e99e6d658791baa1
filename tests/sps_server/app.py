"""The ASGI application of the SPS 2.0 test server (POX, SOAP 1.2 and KVP bindings).

A POST whose body is a SOAP 1.2 envelope is answered in SOAP (faults for exceptions); any other
POST is POX (ows:ExceptionReport for exceptions); GET is KVP. Failures injected with
`ServerState.fail_next` are applied here, around the operation.
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from lxml import etree

from bridge.errors import UpstreamError
from bridge.sources.sps2.common import SOAP12, SPS, WSA, child, child_text, element_children
from bridge.sources.xml import parse_xml
from tests.loopback import read_body

from . import documents as doc
from .operations import OPERATIONS, Request
from .state import OwsError, ServerState

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
POX_TYPE = "application/xml; charset=utf-8"
SOAP_TYPE = "application/soap+xml; charset=utf-8"


class ServerCrash(Exception):
    """Raised after a partial answer: uvicorn then drops the connection, as a crashing server would."""


def parse_request(method: str, query: bytes, body: bytes) -> Request:
    """Turn an HTTP request into a `Request`; `OwsError` when it is not an SPS 2.0 request."""
    if method == "GET":
        kvp = {k.lower(): v for k, v in parse_qsl(query.decode(), keep_blank_values=True)}
        if kvp.get("service", "SPS") != "SPS" or "request" not in kvp:
            raise OwsError("MissingParameterValue", "request", "KVP requests need service=SPS and request")
        return Request(kvp["request"], "kvp", kvp=kvp)
    try:
        root = parse_xml(body)
    except UpstreamError as exc:
        raise OwsError("InvalidRequest", None, f"the request is not well-formed XML: {exc.description}") from exc
    binding, message_id = "pox", None
    if root.tag == f"{{{SOAP12}}}Envelope":
        binding = "soap"
        message_id = child_text(child(root, SOAP12, "Header"), WSA, "MessageID")
        payload = element_children(child(root, SOAP12, "Body"))
        if not payload:
            raise OwsError("InvalidRequest", None, "SOAP envelope without a request in its Body")
        root = payload[0]
    request = Request(etree.QName(root).localname, binding, element=root, message_id=message_id)
    if etree.QName(root).namespace != SPS:
        raise OwsError("InvalidRequest", None, f"not an SPS 2.0 request: {root.tag}")
    return request


def _check_common(request: Request, state: ServerState) -> None:
    wanted = "SOAP" if request.binding == "soap" else "XML"
    if request.binding != "kvp" and wanted not in state.post_encodings:
        raise OwsError("InvalidRequest", None, f"this service does not accept {wanted} POST requests")
    if request.operation not in OPERATIONS:
        raise OwsError("OperationNotSupported", request.operation, f"{request.operation} is not supported")
    attrs = request.element.attrib if request.element is not None else request.kvp
    if attrs.get("service", "SPS") != "SPS":
        raise OwsError("InvalidParameterValue", "service", "service must be SPS")
    if request.operation != "GetCapabilities":
        if attrs.get("version") is None:
            raise OwsError("MissingParameterValue", "version", "the request has no version")
        if attrs.get("version") != "2.0.0":
            raise OwsError("InvalidParameterValue", "version", "this service speaks SPS 2.0.0 only")


def render(payload: etree._Element, request: Request | None) -> tuple[bytes, str]:
    """Serialize an answer in the binding of the request."""
    if request is not None and request.binding == "soap":
        action = "http://www.opengis.net/sps/2.0/" + etree.QName(payload).localname
        payload = doc.soap_wrap(payload, action, request.message_id)
        return etree.tostring(payload, xml_declaration=True, encoding="UTF-8"), SOAP_TYPE
    return etree.tostring(payload, xml_declaration=True, encoding="UTF-8"), POX_TYPE


def render_error(error: OwsError, request: Request | None) -> tuple[bytes, str]:
    if request is not None and request.binding == "soap":
        envelope = doc.soap_fault(error.code, error.locator, error.text, error.status)
        return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8"), SOAP_TYPE
    return render(doc.exception_report(error.code, error.locator, error.text), None)


class SpsTestApp:
    """ASGI callable serving one `ServerState`."""

    def __init__(self, state: ServerState) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = await read_body(receive)
        status, content, content_type, crash = await self._answer(scope, body)
        headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(content)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        if crash:
            await send({"type": "http.response.body", "body": content[: len(content) // 3], "more_body": True})
            raise ServerCrash("test server crashed after processing the request")
        await send({"type": "http.response.body", "body": content})

    async def _held_status(self, request: Request) -> None:
        """Hold a GetStatus for `status_delay` seconds, counting the GetStatus of the same task meanwhile."""
        task = request.value("task", required=False) or ""
        state = self.state
        with state.lock:
            state.status_inflight[task] += 1
            state.status_overlap = max(state.status_overlap, state.status_inflight[task])
        try:
            await asyncio.sleep(state.status_delay)
        finally:
            with state.lock:
                state.status_inflight[task] -= 1

    async def _answer(self, scope: Scope, body: bytes) -> tuple[int, bytes, str, bool]:
        request: Request | None = None
        try:
            request = parse_request(scope["method"], scope.get("query_string", b""), body)
            self.state.requests.append((request.operation, request.binding))
            mode = self.state.take_failure(request.operation)
            if mode == "http500":
                return 500, b"<html><body>Internal Server Error</body></html>", "text/html", False
            if mode == "exception":
                raise OwsError("NoApplicableCode", None, "injected failure", status=500)
            if mode == "timeout":
                generation = self.state.generation
                await asyncio.sleep(self.state.timeout_delay)
                if generation != self.state.generation:  # the test that asked for the delay is over
                    return 503, b"", "text/plain", False
            if request.operation == "GetStatus" and self.state.status_delay:
                await self._held_status(request)
            _check_common(request, self.state)
            payload = OPERATIONS[request.operation](self.state, request)
            content, content_type = render(payload, request)
            return 200, content, content_type, mode == "crash"
        except OwsError as error:
            content, content_type = render_error(error, request)
            return error.status, content, content_type, False
        except Exception:  # a bug in the test server: answer 500 and let the test see it
            self.state.errors.append(traceback.format_exc())
            content, content_type = render_error(OwsError("NoApplicableCode", None, "server error", 500), request)
            return 500, content, content_type, False
