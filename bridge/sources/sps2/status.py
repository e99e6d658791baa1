"""SPS 2.0 status reports and the responses that carry them.

Submit, Update, Cancel, Reserve, Confirm and GetFeasibility answer one `sps:StatusReport` (a
`sps:ReservationReport` for Reserve) in `sps:result`; GetStatus answers one or more `sps:status`
reports (several when `since` was given, StateLogger); GetTask answers `sps:Task` elements with
their full status history.
"""

from __future__ import annotations

from lxml import etree

from bridge.errors import UpstreamError
from bridge.model.legacy.sps2 import (
    DEFAULT_TEXT_ENCODING,
    Alternative,
    FeasibilityResult,
    ParameterData,
    Task,
    TaskingResponse,
    TaskStatus,
)
from bridge.sources.sps2.common import (
    SPS,
    SWES,
    Element,
    child,
    child_text,
    children,
    element_children,
    expect,
    language_strings,
    local_name,
    parse_time,
    unwrap,
)
from bridge.sources.swe_xml import encoding_to_json
from bridge.sources.xml import text


def parse_parameter_data(holder: Element | None) -> ParameterData | None:
    """`sps:taskingParameters` (holding `sps:ParameterData`) → encoding + raw values, None when absent."""
    data = child(holder, SPS, "ParameterData")
    if data is None:
        return None
    encoding_el = element_children(child(data, SPS, "encoding"))
    encoding = encoding_to_json(encoding_el[0]) if encoding_el else dict(DEFAULT_TEXT_ENCODING)
    values_el = child(data, SPS, "values")
    if values_el is None:
        raise UpstreamError("sps:ParameterData without sps:values")
    if encoding.get("type") == "XMLEncoding":
        values = "".join(etree.tostring(c, encoding="unicode", with_tail=False) for c in element_children(values_el))
    else:
        values = text(values_el) or ""
    return ParameterData(encoding, values)


def _required(report: Element, local: str) -> str:
    value = child_text(report, SPS, local)
    if value is None:
        raise UpstreamError(f"sps:{local_name(report)} without sps:{local}")
    return value


def _percent(report: Element) -> float | None:
    raw = child_text(report, SPS, "percentCompletion")
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError as exc:
        raise UpstreamError(f"unreadable sps:percentCompletion {raw!r}") from exc


def parse_status_report(report: Element) -> TaskStatus:
    """One `sps:StatusReport` / `sps:ReservationReport` element → `TaskStatus`."""
    update_time = parse_time(_required(report, "updateTime"))
    assert update_time is not None
    alternatives = [
        Alternative(
            parse_parameter_data(child(alt, SPS, "taskingParameters")), language_strings(alt, SWES, "description")
        )
        for holder in children(report, SPS, "alternative")
        for alt in children(holder, SPS, "Alternative")
    ]
    return TaskStatus(
        task_id=_required(report, "task"),
        procedure=_required(report, "procedure"),
        request_status=_required(report, "requestStatus"),
        update_time=update_time,
        task_status=child_text(report, SPS, "taskStatus"),
        event=child_text(report, SPS, "event"),
        percent_completion=_percent(report),
        estimated_toc=parse_time(child_text(report, SPS, "estimatedToC")),
        status_messages=language_strings(report, SPS, "statusMessage"),
        parameters=parse_parameter_data(child(report, SPS, "taskingParameters")),
        alternatives=alternatives,
        reservation_expiration=parse_time(child_text(report, SPS, "reservationExpiration")),
    )


def _report_in(holder: Element | None, where: str) -> TaskStatus:
    for el in element_children(holder):
        if local_name(el) in ("StatusReport", "ReservationReport"):
            return parse_status_report(el)
    raise UpstreamError(f"{where} without a status report")


def _tasking_response(data: bytes | Element, root_name: str) -> TaskingResponse:
    root = expect(unwrap(data), root_name)
    return TaskingResponse(
        report=_report_in(child(root, SPS, "result"), f"sps:{root_name}"),
        latest_response_time=parse_time(child_text(root, SPS, "latestResponseTime")),
        target_task=child_text(root, SPS, "targetTask"),
    )


def parse_submit_response(data: bytes | Element) -> TaskingResponse:
    """`sps:SubmitResponse` → the new task's first report (its `task_id` is the legacy task id)."""
    return _tasking_response(data, "SubmitResponse")


def parse_update_response(data: bytes | Element) -> TaskingResponse:
    """`sps:UpdateResponse` → the update request's report (its own id, `…/updates/1`) and `target_task`."""
    response = _tasking_response(data, "UpdateResponse")
    if response.target_task is None:
        raise UpstreamError("sps:UpdateResponse without sps:targetTask")
    return response


def parse_cancel_response(data: bytes | Element) -> TaskingResponse:
    """`sps:CancelResponse` → the cancellation report (may carry no taskStatus/event)."""
    return _tasking_response(data, "CancelResponse")


def parse_reserve(data: bytes | Element) -> TaskingResponse:
    """`sps:ReserveResponse` → the reservation report (with `reservation_expiration`)."""
    return _tasking_response(data, "ReserveResponse")


def parse_confirm(data: bytes | Element) -> TaskingResponse:
    """`sps:ConfirmResponse` → the report of the confirmed task."""
    return _tasking_response(data, "ConfirmResponse")


def parse_get_feasibility(data: bytes | Element) -> FeasibilityResult:
    """`sps:GetFeasibilityResponse` → feasibility verdict with the service's alternatives."""
    response = _tasking_response(data, "GetFeasibilityResponse")
    report = response.report
    return FeasibilityResult(
        study_id=report.task_id,
        procedure=report.procedure,
        request_status=report.request_status,
        report=report,
        latest_response_time=response.latest_response_time,
        alternatives=report.alternatives,
    )


def parse_get_status(data: bytes | Element) -> list[TaskStatus]:
    """`sps:GetStatusResponse` → its reports in document order (history when `since` was used)."""
    root = expect(unwrap(data), "GetStatusResponse")
    reports = [_report_in(holder, "sps:status") for holder in children(root, SPS, "status")]
    if not reports:
        raise UpstreamError("sps:GetStatusResponse without sps:status")
    return reports


def parse_get_task(data: bytes | Element) -> list[Task]:
    """`sps:GetTaskResponse` → one `Task` per `sps:task`, history oldest first."""
    root = expect(unwrap(data), "GetTaskResponse")
    tasks: list[Task] = []
    for holder in children(root, SPS, "task"):
        task_el = child(holder, SPS, "Task")
        if task_el is None:
            raise UpstreamError("sps:task without sps:Task")
        history = [_report_in(h, "sps:status") for h in children(task_el, SPS, "status")]
        history.sort(key=lambda r: r.update_time)
        task_id = child_text(task_el, SWES, "identifier") or (history[0].task_id if history else None)
        if task_id is None:
            raise UpstreamError("sps:Task without swes:identifier or status")
        tasks.append(Task(task_id, history[0].procedure if history else None, history))
    if not tasks:
        raise UpstreamError("sps:GetTaskResponse without sps:task")
    return tasks
