"""SPS 2.0 operations of the test server: validate like a real service, mutate state, build answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeAlias

from lxml import etree

from bridge.errors import UpstreamError
from bridge.model.legacy.sps2 import Alternative, ParameterData, StatusMessage, TaskStatus
from bridge.sources.sps2.common import SPS, SWES, child, child_text, children_text, parse_time
from bridge.sources.sps2.parameters import decode_parameters, encode_parameters
from bridge.sources.sps2.requests import CLIENT_REFERENCE
from bridge.sources.sps2.status import parse_parameter_data
from bridge.sources.sps2.values import TaskingParameterError

from . import documents as doc
from .state import OwsError, Procedure, ServerState, TaskRecord

Element: TypeAlias = etree._Element


@dataclass
class Request:
    """One parsed request, whatever the binding."""

    operation: str
    binding: str  # pox | soap | kvp
    element: Element | None = None
    kvp: dict[str, str] = field(default_factory=dict)
    message_id: str | None = None

    def values(self, local: str) -> list[str]:
        if self.element is not None:
            return children_text(self.element, SPS, local)
        raw = self.kvp.get(local.lower())
        return [raw] if raw else []

    def value(self, local: str, required: bool = True) -> str | None:
        found = self.values(local)
        if not found and required:
            raise OwsError("MissingParameterValue", local, f"the request has no {local}")
        return found[0] if found else None

    def required(self, local: str) -> str:
        value = self.value(local)
        assert value is not None
        return value


def _procedure(state: ServerState, request: Request) -> Procedure:
    name = request.required("procedure")
    proc = state.procedures.get(name)
    if proc is None:
        raise OwsError("InvalidParameterValue", "procedure", f"unknown procedure {name}")
    return proc


def _parameters(proc: Procedure, request: Request, *, update: bool = False) -> tuple[ParameterData, Any]:
    """Decode and validate sps:taskingParameters like a real SPS (InvalidParameterValue on any problem)."""
    assert request.element is not None
    try:
        data = parse_parameter_data(child(request.element, SPS, "taskingParameters"))
        if data is None:
            raise OwsError("MissingParameterValue", "taskingParameters", "the request has no tasking parameters")
        return data, decode_parameters(proc.description, data, update=update)
    except TaskingParameterError as exc:
        raise OwsError("InvalidParameterValue", "taskingParameters", "; ".join(exc.problems)) from exc
    except UpstreamError as exc:
        raise OwsError("InvalidParameterValue", "taskingParameters", exc.description) from exc


def _client_reference(request: Request) -> str | None:
    if request.element is None:
        return None
    for ext in request.element.findall(f"{{{SWES}}}extension"):
        ref = ext.find(CLIENT_REFERENCE)
        if ref is not None and (ref.text or "").strip():
            return (ref.text or "").strip()
    return None


def get_capabilities(state: ServerState, request: Request) -> Element:
    versions = [v.strip() for v in request.kvp.get("acceptversions", "").split(",") if v.strip()]
    if request.element is not None:
        versions = [v.text.strip() for v in request.element.iter("{*}Version") if v.text]
    if versions and "2.0.0" not in versions:
        raise OwsError("VersionNegotiationFailed", "AcceptVersions", "this service speaks SPS 2.0.0 only")
    offerings = [
        doc.offering(p.offering, p.procedure, p.area, f"area{i}") for i, p in enumerate(state.procedures.values())
    ]
    return doc.capabilities(
        state.url,
        offerings,
        state.post_encodings,
        state.supported_encodings,
        state.idempotent_submit,
        without=() if state.reservations else ("ReservationManager", "Reserve", "Confirm"),
    )


def describe_tasking(state: ServerState, request: Request) -> Element:
    proc = _procedure(state, request)
    return doc.describe_tasking(proc.template, proc.description.name)


def _accept(state: ServerState, record: TaskRecord, data: ParameterData) -> TaskStatus:
    outcome = state.submit_outcome
    if outcome == "Accepted":
        report = state.report(record, request_status="Accepted", event="TaskSubmitted", parameters=data)
        if state.auto_step:
            record.auto_step, record.auto_path, record.auto_start = state.auto_step, state.auto_path, report.update_time
        return report
    message = "the test server was told to reject this request" if outcome == "Rejected" else None
    return state.report(record, request_status=outcome, parameters=data, message=message)


def submit(state: ServerState, request: Request) -> Element:
    """Submit; a client reference the server has seen returns that task instead of a new one."""
    proc = _procedure(state, request)
    reference = _client_reference(request)
    data, values = _parameters(proc, request)
    with state.lock:
        state.submit_requests[reference] += 1
        state.submit_payloads[(proc.procedure, data.values)] += 1
        existing = state.tasks_of(client_reference=reference) if reference and state.idempotent_submit else []
        if existing:
            if existing[0].values != values:
                text = f"client reference {reference} was already used with other parameters"
                raise OwsError("InvalidParameterValue", "extension", text)
            report = state.task(existing[0].task_id).latest
        else:
            record = TaskRecord(state.new_id(f"{proc.procedure}/tasks"), proc.procedure, data, values, reference)
            state.tasks[record.task_id] = record
            report = _accept(state, record, data)
    return doc.tasking_response(doc.shell("ogc-sps-submit-response.xml"), report)


def update(state: ServerState, request: Request) -> Element:
    proc = _procedure(state, request)
    target = request.required("targetTask")
    with state.lock:
        record = state.task(target)
        if record.procedure != proc.procedure:
            raise OwsError("InvalidParameterValue", "procedure", f"task {target} belongs to {record.procedure}")
        if record.final:
            raise OwsError("InvalidParameterValue", "targetTask", f"task {target} is finished and cannot be updated")
        data, values = _parameters(proc, request, update=True)
        record.updates += 1
        update_id = f"{record.task_id}/updates/{record.updates}"
        outcome = state.update_outcome
        if outcome == "Accepted":
            state.report(record, event="TaskUpdated", parameters=data)
            record.values.update(values)
        now = state.now()
        report = TaskStatus(update_id, record.procedure, outcome, now, record.task_status, "TaskUpdated")
        if outcome != "Accepted":
            report.event, report.task_status = None, None
    return doc.tasking_response(doc.shell("ogc-sps-update-response.xml"), report, target_task=record.task_id)


def cancel(state: ServerState, request: Request) -> Element:
    task_id = request.required("task")
    with state.lock:
        record = state.task(task_id)
        if record.final:
            raise OwsError("InvalidParameterValue", "task", f"task {task_id} is finished and cannot be cancelled")
        if state.cancel_outcome == "Accepted":
            state.report(record, task_status="Cancelled", event="TaskCancelled")
        report = TaskStatus(record.task_id, record.procedure, state.cancel_outcome, state.now())
    return doc.tasking_response(doc.shell("ogc-sps-cancel-response.xml"), report)


def get_status(state: ServerState, request: Request) -> Element:
    task_id = request.required("task")
    since = parse_time(request.value("since", required=False))
    with state.lock:
        record = state.task(task_id)
        if record.status_expired:
            raise OwsError("StatusInformationExpired", "task", "the status information of this task has expired")
        reports = [r for r in record.reports if since is not None and r.update_time >= since] or [record.latest]
        return doc.get_status_response(reports)


def get_task(state: ServerState, request: Request) -> Element:
    ids = request.values("task")
    if not ids:
        raise OwsError("MissingParameterValue", "task", "the request has no task")
    with state.lock:
        return doc.get_task_response([(t, list(state.task(t).reports)) for t in ids])


def describe_result_access(state: ServerState, request: Request) -> Element:
    target = child(request.element, SPS, "target") if request.element is not None else None
    task_id = child_text(target, SPS, "task") if target is not None else request.kvp.get("task")
    procedure = child_text(target, SPS, "procedure") if target is not None else request.kvp.get("procedure")
    sos = state.url.rstrip("/") + "/sos"
    if task_id:
        with state.lock:
            record = state.task(task_id)
            published = any(r.event == "DataPublished" or r.task_status == "Completed" for r in record.reports)
        return doc.result_access(record.task_id if published else None, sos)
    if procedure in state.procedures:
        return doc.result_access(procedure, sos)
    raise OwsError("InvalidParameterValue", "target", "target must name a known task or procedure")


def get_feasibility(state: ServerState, request: Request) -> Element:
    proc = _procedure(state, request)
    data, values = _parameters(proc, request)
    latest = parse_time(request.value("latestResponseTime", required=False))
    with state.lock:
        record = TaskRecord(state.new_id(f"{proc.procedure}/feasibility"), proc.procedure, data, values, None)
        state.tasks[record.task_id] = record
        outcome = state.feasibility_outcome
        verdict = {"Accepted": "feasible", "Rejected": "not feasible: the requested time frame is not free"}
        report = state.report(record, request_status=outcome, message=verdict.get(outcome))
        if outcome == "Rejected":
            alt = encode_parameters(proc.description, values)
            report.alternatives = [Alternative(alt, [StatusMessage("the same task is feasible later", "en")])]
    root = doc.response_root("GetFeasibilityResponse", like="ogc-sps-submit-response.xml")
    return doc.tasking_response(root, report, latest=latest)


def _reservations(state: ServerState, operation: str) -> None:
    if not state.reservations:
        raise OwsError("OperationNotSupported", operation, f"this service does not offer {operation}")


def reserve(state: ServerState, request: Request) -> Element:
    _reservations(state, "Reserve")
    proc = _procedure(state, request)
    data, values = _parameters(proc, request)
    expiration = parse_time(request.value("reservationExpiration", required=False))
    with state.lock:
        record = TaskRecord(state.new_id(f"{proc.procedure}/tasks"), proc.procedure, data, values, None)
        record.reservation_expiration = expiration or state.now() + timedelta(hours=1)
        state.tasks[record.task_id] = record
        report = state.report(
            record, request_status="Accepted", task_status="Reserved", event="TaskReserved", parameters=data
        )
    root = doc.response_root("ReserveResponse", like="ogc-sps-submit-response.xml")
    return doc.tasking_response(root, report)


def confirm(state: ServerState, request: Request) -> Element:
    _reservations(state, "Confirm")
    task_id = request.required("task")
    with state.lock:
        record = state.task(task_id)
        if record.task_status != "Reserved":
            raise OwsError("InvalidParameterValue", "task", f"task {task_id} is not reserved ({record.task_status})")
        report = state.report(record, task_status="InExecution", event="TaskConfirmed")
    root = doc.response_root("ConfirmResponse", like="ogc-sps-cancel-response.xml")
    return doc.tasking_response(root, report)


OPERATIONS = {
    "GetCapabilities": get_capabilities,
    "DescribeTasking": describe_tasking,
    "Submit": submit,
    "Update": update,
    "Cancel": cancel,
    "GetStatus": get_status,
    "GetTask": get_task,
    "DescribeResultAccess": describe_result_access,
    "GetFeasibility": get_feasibility,
    "Reserve": reserve,
    "Confirm": confirm,
}
