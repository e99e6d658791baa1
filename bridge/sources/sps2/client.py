"""Async SPS 2.0 client: harvest (capabilities, tasking schemas) and command forwarding.

State-changing requests (Submit, Update, Cancel, Reserve, Confirm) are never retried blindly: a
transport failure, a 5xx without an exception document or a garbled answer raises
`SpsOutcomeUnknown`, because the service may have acted. The one safe retry is a Submit carrying a
client reference in `swes:extension` to a service that advertises idempotent Submit in its
capabilities (`sps:extension/cbx:idempotentSubmit`): it answers a repeated reference with the
task it already created, which also makes `reconcile_submit` possible after a crash.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, Literal, TypeVar

from bridge.errors import UpstreamError
from bridge.model.legacy.sps2 import (
    FeasibilityResult,
    ResultAccess,
    SpsCapabilities,
    SpsException,
    SpsOutcomeUnknown,
    Task,
    TaskingDescription,
    TaskingResponse,
    TaskStatus,
)
from bridge.sources.http import HttpError, PoliteClient
from bridge.sources.sps2 import requests as rq
from bridge.sources.sps2.capabilities import parse_capabilities
from bridge.sources.sps2.common import Element, local_name, q, unwrap
from bridge.sources.sps2.parameters import encode_parameters
from bridge.sources.sps2.results import parse_describe_result_access
from bridge.sources.sps2.status import (
    parse_cancel_response,
    parse_confirm,
    parse_get_feasibility,
    parse_get_status,
    parse_get_task,
    parse_reserve,
    parse_submit_response,
    parse_update_response,
)
from bridge.sources.sps2.tasking import parse_describe_tasking

ClientBinding = Literal["pox", "soap", "auto"]
IDEMPOTENT_SUBMIT = q(rq.BRIDGE_NS, "idempotentSubmit")
TEXT_ENCODING_URI = "http://www.opengis.net/swe/2.0/TextEncoding"
XML_ENCODING_URI = "http://www.opengis.net/swe/2.0/XMLEncoding"
T = TypeVar("T")


class SpsClient:
    """One SPS 2.0 service, reached through a shared `PoliteClient`."""

    def __init__(
        self,
        endpoint: str,
        http: PoliteClient,
        binding: ClientBinding = "auto",
        *,
        use_advertised_endpoints: bool = False,
    ) -> None:
        self.endpoint = endpoint
        self.http = http
        self.binding: Literal["pox", "soap"] = "soap" if binding == "soap" else "pox"
        self._auto = binding == "auto"
        self.use_advertised_endpoints = use_advertised_endpoints
        self.capabilities: SpsCapabilities | None = None
        self._descriptions: dict[str, TaskingDescription] = {}
        self._task_procedures: dict[str, str] = {}

    # ------------------------------------------------------------------------------------ transport

    def _url(self, operation: str) -> str:
        if self.use_advertised_endpoints and self.capabilities is not None:
            posts = [ep for ep in self.capabilities.operations.get(operation, []) if ep.method == "POST"]
            exact = [ep for ep in posts if ep.binding == self.binding]
            if exact or posts:
                return (exact or posts)[0].href
        return self.endpoint

    def _body(self, element: Element, url: str) -> tuple[bytes, dict[str, str]]:
        if self.binding == "soap":
            action = rq.soap_action(element)
            content_type = f'application/soap+xml; charset=utf-8; action="{action}"'
            return rq.to_bytes(rq.soap_envelope(element, to=url)), {"Content-Type": content_type}
        return rq.to_bytes(element), {"Content-Type": "application/xml; charset=utf-8"}

    async def _exchange(self, element: Element, *, changes_state: bool, reference: str | None = None) -> Element:
        """POST a request; return the response payload or raise SpsException/SpsOutcomeUnknown."""
        operation = local_name(element)
        url = self._url(operation)
        body, headers = self._body(element, url)
        retry = not changes_state or (reference is not None and self.idempotent_submit)
        try:
            response = await self.http.post(url, content=body, headers=headers, retry=retry, raise_for_status=False)
        except HttpError as exc:
            if changes_state:
                raise SpsOutcomeUnknown(operation, str(exc), client_reference=reference) from exc
            raise
        status = response.status_code
        problem: UpstreamError | None = None
        try:
            payload = unwrap(response.content, http_status=status)
        except SpsException:
            raise
        except UpstreamError as exc:
            problem = exc
        else:
            if status < 400:
                return payload
        if changes_state:
            reason = f"HTTP {status}" + (f", unusable answer: {problem.description}" if problem else "")
            raise SpsOutcomeUnknown(operation, reason, client_reference=reference) from problem
        if status < 400 and problem is not None:
            raise problem
        raise HttpError(f"POST {url} answered HTTP {status}", url=url, status=status, body=response.content[:2000])

    async def _changing(self, element: Element, parse: Callable[[Element], T], reference: str | None = None) -> T:
        """Exchange a state-changing request; an unparseable 200 answer is an unknown outcome too."""
        payload = await self._exchange(element, changes_state=True, reference=reference)
        try:
            return parse(payload)
        except SpsException:
            raise
        except UpstreamError as exc:
            raise SpsOutcomeUnknown(local_name(element), exc.description, client_reference=reference) from exc

    # --------------------------------------------------------------------------------- capabilities

    async def get_capabilities(self) -> SpsCapabilities:
        """GetCapabilities; with binding `auto` also picks POX or SOAP from the answer."""
        attempts: list[Callable[[], Awaitable[Element]]] = [self._caps_post]
        if self._auto:
            attempts += [self._caps_soap, self._caps_kvp]
        last: Exception | None = None
        for attempt in attempts:
            try:
                payload = await attempt()
                caps = parse_capabilities(payload)
            except (SpsException, UpstreamError) as exc:
                last = exc
                continue
            self.capabilities = caps
            if self._auto:
                self._choose_binding(caps)
            return caps
        assert last is not None
        raise last

    async def _caps_post(self) -> Element:
        return await self._exchange(rq.build_get_capabilities(), changes_state=False)

    async def _caps_soap(self) -> Element:
        self.binding = "soap"
        return await self._caps_post()

    async def _caps_kvp(self) -> Element:
        self.binding = "pox"
        response = await self.http.get(self.endpoint, params=rq.kvp_params("GetCapabilities"), raise_for_status=False)
        return unwrap(response.content, http_status=response.status_code)

    def _choose_binding(self, caps: SpsCapabilities) -> None:
        encodings = {e.upper() for e in caps.post_encodings}
        if self.binding == "soap" or (encodings and encodings <= {"SOAP"}):
            self.binding = "soap"
        else:
            self.binding = "pox"

    @property
    def idempotent_submit(self) -> bool:
        """True when the capabilities advertise idempotent Submit by client reference."""
        caps = self.capabilities
        return caps is not None and caps.extensions.get(IDEMPOTENT_SUBMIT, "").lower() == "true"

    def can(self, operation: str) -> bool:
        """Whether an optional operation may be used (True while capabilities are unknown)."""
        return self.capabilities is None or self.capabilities.offers(operation)

    def _require(self, operation: str) -> None:
        if not self.can(operation):
            raise SpsException("OperationNotSupported", f"the service does not offer {operation}", locator=operation)

    # ------------------------------------------------------------------------------------- tasking

    def _encoding(self) -> dict[str, Any] | None:
        supported = self.capabilities.supported_encodings if self.capabilities else []
        if supported and TEXT_ENCODING_URI not in supported and XML_ENCODING_URI in supported:
            return {"type": "XMLEncoding"}
        return None

    async def describe_tasking(self, procedure: str) -> TaskingDescription:
        """DescribeTasking: the procedure's parameter schema (SWE Common 3 JSON), cached."""
        payload = await self._exchange(rq.build_describe_tasking(procedure), changes_state=False)
        description = parse_describe_tasking(payload, procedure, encoding=self._encoding())
        self._descriptions[procedure] = description
        return description

    async def _description(self, procedure: str) -> TaskingDescription:
        return self._descriptions.get(procedure) or await self.describe_tasking(procedure)

    def _remember(self, response: TaskingResponse) -> TaskingResponse:
        self._task_procedures[response.report.task_id] = response.report.procedure
        return response

    async def submit(
        self,
        procedure: str,
        parameters: Mapping[str, Any],
        *,
        client_reference: str | None = None,
        latest_response_time: datetime | None = None,
    ) -> TaskingResponse:
        """Submit a task; `client_reference` (e.g. the CSAPI command id) enables exactly-once retries."""
        data = encode_parameters(await self._description(procedure), parameters)
        element = rq.build_submit(
            procedure, data, latest_response_time=latest_response_time, client_reference=client_reference
        )
        return self._remember(await self._changing(element, parse_submit_response, client_reference))

    async def reconcile_submit(
        self, procedure: str, parameters: Mapping[str, Any], client_reference: str
    ) -> TaskingResponse | None:
        """After an unknown Submit outcome: resubmit with the same reference if the service dedupes by it.

        Returns the (existing or new) task's report, or None when the service cannot deduplicate, in
        which case the command must be resolved by an operator rather than resent.
        """
        if self.capabilities is None:
            await self.get_capabilities()
        if not self.idempotent_submit:
            return None
        return await self.submit(procedure, parameters, client_reference=client_reference)

    async def _procedure_of(self, task_id: str, procedure: str | None) -> str:
        if procedure is not None:
            return procedure
        if task_id not in self._task_procedures:
            task = await self.get_task(task_id)
            if task.procedure is None:
                raise UpstreamError(f"SPS task {task_id} has no procedure")
        return self._task_procedures[task_id]

    async def update(
        self,
        task_id: str,
        parameters: Mapping[str, Any],
        *,
        procedure: str | None = None,
        latest_response_time: datetime | None = None,
    ) -> TaskingResponse:
        """Update the updatable parameters of a task (TaskUpdater)."""
        self._require("Update")
        proc = await self._procedure_of(task_id, procedure)
        data = encode_parameters(await self._description(proc), parameters, update=True)
        element = rq.build_update(proc, task_id, data, latest_response_time=latest_response_time)
        return await self._changing(element, parse_update_response)

    async def cancel(self, task_id: str) -> TaskingResponse:
        """Cancel a task (TaskCanceller)."""
        self._require("Cancel")
        return await self._changing(rq.build_cancel(task_id), parse_cancel_response)

    async def get_feasibility(self, procedure: str, parameters: Mapping[str, Any]) -> FeasibilityResult:
        """GetFeasibility (FeasibilityController): no side effect, so retried like a read."""
        self._require("GetFeasibility")
        data = encode_parameters(await self._description(procedure), parameters)
        payload = await self._exchange(rq.build_get_feasibility(procedure, data), changes_state=False)
        return parse_get_feasibility(payload)

    async def reserve(
        self, procedure: str, parameters: Mapping[str, Any], *, reservation_expiration: datetime | None = None
    ) -> TaskingResponse:
        """Reserve a task (ReservationManager); confirm it before `reservation_expiration`."""
        self._require("Reserve")
        data = encode_parameters(await self._description(procedure), parameters)
        element = rq.build_reserve(procedure, data, reservation_expiration=reservation_expiration)
        return self._remember(await self._changing(element, parse_reserve))

    async def confirm(self, task_id: str) -> TaskingResponse:
        """Confirm a reserved task."""
        self._require("Confirm")
        return await self._changing(rq.build_confirm(task_id), parse_confirm)

    # -------------------------------------------------------------------------------------- status

    async def get_status(self, task_id: str, since: datetime | None = None) -> list[TaskStatus]:
        """GetStatus: the latest report, or the reports since `since` (StateLogger).

        Whether a report stamped exactly `since` comes back is up to the service: dedupe by updateTime.
        """
        payload = await self._exchange(rq.build_get_status(task_id, since), changes_state=False)
        return parse_get_status(payload)

    async def get_task(self, task_id: str) -> Task:
        """GetTask: the task with its whole status history."""
        payload = await self._exchange(rq.build_get_task(task_id), changes_state=False)
        task = next((t for t in parse_get_task(payload) if t.task_id == task_id), None)
        if task is None:
            raise UpstreamError(f"GetTask answer does not contain task {task_id}")
        if task.procedure:
            self._task_procedures[task_id] = task.procedure
        return task

    async def describe_result_access(self, task_id: str | None = None, procedure: str | None = None) -> ResultAccess:
        """DescribeResultAccess for a task or a procedure: where its data can be fetched."""
        element = rq.build_describe_result_access(task=task_id, procedure=procedure)
        payload = await self._exchange(element, changes_state=False)
        return parse_describe_result_access(payload, task_id=task_id, procedure=procedure)
