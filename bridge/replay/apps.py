"""The replay apps: ASGI callables answering SOS 2.0, SensorThings 1.1 and SPS 2.0 requests from recordings.

A request is matched against the service's answers (SOS/SPS: the operation and the parameters an answer
names; STA: the resource path, query options ignored); the first match is sent with the recorded server's base
URL rewritten to the replay's. Each app keeps the list of requests it received and the file that answered each.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote
from xml.sax.saxutils import escape

import orjson

from bridge.errors import BridgeError
from bridge.replay.recordings import Answer, ServiceRecording, rewrite
from bridge.sources.xml import parse_xml

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
log = logging.getLogger("bridge.replay")
XML = "application/xml; charset=utf-8"
JSON = "application/json"
SOAP12 = "{http://www.w3.org/2003/05/soap-envelope}"
EMPTY_OBSERVATIONS = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<sos:GetObservationResponse xmlns:sos="http://www.opengis.net/sos/2.0"/>'
)
SOS_PARAMS = ("procedure", "offering", "observedProperty", "featureOfInterest", "task")


@dataclass(slots=True)
class Received:
    """A request a replay received: what was asked, and the recording that answered it (None: none did)."""

    request: str
    answered_by: str | None


def exception_report(code: str, locator: str, text: str) -> bytes:
    """An OWS 1.1 ExceptionReport."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<ows:ExceptionReport xmlns:ows="http://www.opengis.net/ows/1.1" '
        f'version="1.0.0"><ows:Exception exceptionCode="{escape(code)}" locator="{escape(locator)}">'
        f"<ows:ExceptionText>{escape(text)}</ows:ExceptionText></ows:Exception></ows:ExceptionReport>"
    ).encode()


@dataclass
class ReplayApp:
    """Base of the three replays: the recorded service, the replay's own URL once served, what it received."""

    service: ServiceRecording
    url: str = ""  # the replay endpoint's URL (set when the server is bound)
    received: list[Received] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI: answer one HTTP request from the recordings."""
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        try:
            status, content_type, content = self.answer(scope, body)
        except BridgeError as exc:  # a request the replay cannot even read (e.g. malformed XML)
            status, content_type = 400, XML
            content = exception_report("InvalidRequest", "request", exc.description)
        headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(content)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    def answer(self, scope: Scope, body: bytes) -> tuple[int, str, bytes]:
        """Status, content type and body of the answer to a request."""
        raise NotImplementedError

    def recorded(self, answer: Answer, request: str) -> bytes:
        """The body of a recorded answer (base URL rewritten), noting the request it answered."""
        self.received.append(Received(request, answer.file))
        log.info("%s replay: %s answered with %s", self.service.name, request, answer.file)
        return rewrite(answer.body, self.service.recorded_url, self.url)

    def unrecorded(self, request: str) -> None:
        """Note a request that no recording answers."""
        self.received.append(Received(request, None))
        log.info("%s replay: %s has no recording", self.service.name, request)


def _ows_params(method: str, query: bytes, body: bytes) -> dict[str, str]:
    """Operation and parameters of an OWS request: KVP (GET, keys case-insensitive) or XML (POX or SOAP)."""
    if method == "GET":
        lowered = {k.lower(): v for k, v in parse_qsl(query.decode("latin-1"), keep_blank_values=True)}
        params = {name: lowered[name.lower()] for name in SOS_PARAMS if name.lower() in lowered}
        return params | {"operation": lowered.get("request", "")}
    root = parse_xml(body)
    if root.tag == f"{SOAP12}Envelope":
        payload = next(iter(root.iter(f"{SOAP12}Body")))
        root = next(el for el in payload if isinstance(el.tag, str))
    params = {"operation": root.tag.rsplit("}", 1)[-1]}
    for element in root.iter():
        name = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
        if name in SOS_PARAMS and element.text and element.text.strip() and name not in params:
            params[name] = element.text.strip()
    return params


class OwsReplay(ReplayApp):
    """SOS 2.0 and SPS 2.0: the answer naming the request's operation and (some of) its parameters.

    SPS: the recorded answers are about one task (`recorded_task`). A Submit creates a task, so each Submit is
    answered with a task identifier of its own (the recorded one with `-1`, `-2`… appended) and answers about
    such a task name it instead of the recorded one; nothing else in them changes.
    """

    issued: int = 0

    def answer(self, scope: Scope, body: bytes) -> tuple[int, str, bytes]:
        """The recorded answer; else an empty GetObservationResponse (SOS) or an exception report."""
        params = _ows_params(scope["method"], scope.get("query_string", b""), body)
        operation = params["operation"]
        request = " ".join([operation, *(f"{k}={v}" for k, v in params.items() if k != "operation")])
        recorded_task = self.service.recorded_task
        task = params.get("task")
        if recorded_task and operation == "Submit":
            self.issued += 1
            task = f"{recorded_task}-{self.issued}"
        for answer in self.service.answers:
            if all(params.get(k) == v for k, v in answer.match.items()):
                content = self.recorded(answer, request)
                if recorded_task and task and task != recorded_task:
                    content = content.replace(recorded_task.encode(), task.encode())
                return 200, XML, content
        self.unrecorded(request)
        if self.service.type == "sos" and operation == "GetObservation":
            return 200, XML, EMPTY_OBSERVATIONS
        text = f"this replay of {self.service.title} holds no recorded answer to this {operation or 'request'}"
        return 400, XML, exception_report("NoApplicableCode", operation or "request", text)


class StaReplay(ReplayApp):
    """SensorThings 1.1: the answer recorded for the request's resource path (query options ignored)."""

    def answer(self, scope: Scope, body: bytes) -> tuple[int, str, bytes]:
        """The recorded answer; else an empty collection (entity sets) or a 404 (single entities)."""
        path = unquote(scope.get("path", ""))
        local = path[len(self.service.path) :].strip("/") if path.startswith(self.service.path) else path.strip("/")
        request = f"{scope['method']} /{local}"
        for answer in self.service.answers:
            if answer.match.get("path", "").strip("/") == local and scope["method"] == "GET":
                content = self.recorded(answer, request)
                if answer.envelope:
                    content = b'{"value": [' + content + b"]}"
                return 200, JSON, content
        self.unrecorded(request)
        if scope["method"] == "GET" and not local.endswith(")"):
            counted = ("$count", "true") in parse_qsl(scope.get("query_string", b"").decode("latin-1"))
            return 200, JSON, orjson.dumps({"@iot.count": 0, "value": []} if counted else {"value": []})
        error = {"code": 404, "type": "error", "message": f"nothing recorded for {request}"}
        return 404, JSON, orjson.dumps(error)


def make_app(service: ServiceRecording) -> ReplayApp:
    """The replay app of a recorded service."""
    return StaReplay(service) if service.type == "sta" else OwsReplay(service)
