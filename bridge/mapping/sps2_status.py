"""SPS 2.0 reports → CSAPI status reports and results (shared by the SPS harvest and the SPS forwarder).

Pure functions. Status report ids are deterministic (source, task, updateTime and state of the SPS
report), so a report harvested with GetTask, answered to Submit, or polled with GetStatus is stored
once however often it is seen. The status codes come from the validated table `mappings/sps2/status.yaml`
(a deployment can replace it, see `status_table_for`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from bridge.mapping.sps2_status_table import StatusTable, load_status_table
from bridge.mapping.transforms import stable_id
from bridge.model.csapi import CommandResult, CommandStatus, Datastream, StatusCode, TimeExtent
from bridge.model.legacy.sps2 import FeasibilityResult, ResultAccess, TaskStatus
from bridge.model.time import to_us

EXECUTION_END = (StatusCode.COMPLETED, StatusCode.FAILED, StatusCode.CANCELED)


def status_table_for(override_dir: str | Path | None) -> StatusTable:
    """The status table: `status.yaml` of a deployment's mapping directory if it has one, else the default."""
    if override_dir is not None:
        candidate = Path(override_dir) / "status.yaml"
        if candidate.is_file():
            return load_status_table(candidate)
    return load_status_table()


def report_id(source: str, task_id: str, report: TaskStatus) -> str:
    """Deterministic id of the CSAPI status report made from one SPS report."""
    key = f"{report.request_status}/{report.task_status}/{report.event}"
    return stable_id(f"{source}/SpsStatus/{task_id}/{to_us(report.update_time)}/{key}")


def _execution(code: StatusCode, report: TaskStatus, started: datetime | None) -> TimeExtent | None:
    if code is StatusCode.COMPLETED:
        return TimeExtent(started or report.update_time, report.update_time)
    if code in EXECUTION_END:
        return TimeExtent(started, report.update_time) if started else None
    if code is StatusCode.EXECUTING:
        return TimeExtent(started or report.update_time, report.estimated_toc)
    if report.estimated_toc is not None:  # ACCEPTED / SCHEDULED / UPDATED: the estimate
        return TimeExtent(report.update_time, report.estimated_toc)
    return None


def command_statuses(
    source: str,
    task_id: str,
    reports: Iterable[TaskStatus],
    table: StatusTable | None = None,
    *,
    started: datetime | None = None,
) -> list[CommandStatus]:
    """CSAPI status reports for SPS reports of one task, oldest first.

    Args:
        started: when execution began, if an earlier report (already recorded) said so; COMPLETED
            reports carry the actual executionTime from it (or from the report itself).
    """
    out: list[CommandStatus] = []
    for report in sorted(reports, key=lambda r: r.update_time):
        rule = (table or load_status_table()).rule_for(report.request_status, report.task_status, report.event)
        assert rule.status is not None
        code = StatusCode(rule.status)
        if code is StatusCode.EXECUTING and started is None:
            started = report.update_time
        out.append(
            CommandStatus(
                id=report_id(source, task_id, report),
                command_id="",
                report_time=report.update_time,
                status_code=code,
                percent_completion=report.percent_completion,
                execution_time=_execution(code, report, started),
                message=report.message or rule.message,
            )
        )
    return out


def response_status(source: str, task_id: str, code: StatusCode, report: TaskStatus, message: str) -> CommandStatus:
    """A status report for an Update/Cancel answer whose report is not the task's own (synthesised once)."""
    return CommandStatus(
        id=stable_id(f"{source}/SpsResponse/{task_id}/{to_us(report.update_time)}/{code.value}"),
        command_id="",
        report_time=report.update_time,
        status_code=code,
        message=report.message or message,
    )


def result_links(source: str, task_id: str, access: ResultAccess) -> list[CommandResult]:
    """DescribeResultAccess references → `external@link` command results (where the task's data lands)."""
    if not access.available:
        return []
    results = []
    for ref in access.references:
        link: dict[str, Any] = {"href": ref.href}
        title = ", ".join(x for x in (ref.identifier, ref.role, ref.data_access_type) if x)
        if title:
            link["title"] = title
        if ref.formats:
            link["type"] = ref.formats[0]
        if ref.data_access_type:
            link["rel"] = ref.data_access_type
        results.append(
            CommandResult(
                id=stable_id(f"{source}/SpsResult/{task_id}/{ref.href}/{ref.identifier}"),
                command_id="",
                link_member="external@link",
                link=link,
            )
        )
    return results


def service_endpoint(url: str) -> str:
    """A service URL without query, fragment or trailing slash (a KVP request and its service compare equal)."""
    return url.split("#", 1)[0].split("?", 1)[0].rstrip("/")


def datastream_results(
    source: str, task_id: str, links: list[CommandResult], datastreams: Iterable[Datastream]
) -> list[CommandResult]:
    """`datastream@link` results for the datastreams (of the tasked system) harvested from a service that a
    DescribeResultAccess reference names as where the data lands (e.g. its SOS): read them on the bridge."""
    targets = {service_endpoint(r.link["href"]) for r in links if r.link and r.link.get("href")}
    found = []
    for ds in datastreams:
        via = ds.provenance.via if ds.provenance else None
        if targets and via and service_endpoint(via) in targets:
            found.append(
                CommandResult(
                    id=stable_id(f"{source}/SpsResult/{task_id}/datastream/{ds.id}"),
                    command_id="",
                    link_member="datastream@link",
                    link={"href": f"/datastreams/{ds.id}", "type": "application/json", "title": ds.name},
                )
            )
    return found


def feasibility_outcome(
    source: str, result: FeasibilityResult, alternatives: list[Any]
) -> tuple[list[CommandStatus], list[CommandResult]]:
    """A GetFeasibility answer (or a later GetStatus of the study) → status reports and the inline result.

    Pending → PENDING (polled later); Accepted/Rejected → COMPLETED (the study is done) with the verdict,
    the service's message and its `alternatives` (the parameters it proposes, decoded) as inline result data.
    """
    report = result.report
    rid = report_id(source, result.study_id, report)
    if result.feasible is None:
        return [CommandStatus(id=rid, command_id="", report_time=report.update_time,
                              status_code=StatusCode.PENDING, message=report.message)], []  # fmt: skip
    verdict = "feasible" if result.feasible else "not feasible"
    done = CommandStatus(
        id=rid,
        command_id="",
        report_time=report.update_time,
        status_code=StatusCode.COMPLETED,
        execution_time=TimeExtent(report.update_time, report.update_time),
        message=f"feasibility study completed: {verdict}" + (f" ({report.message})" if report.message else ""),
    )
    data: dict[str, Any] = {"feasible": result.feasible, "studyId": result.study_id}
    if report.message:
        data["message"] = report.message
    if alternatives:
        data["alternatives"] = alternatives
    inline = CommandResult(id=stable_id(f"{source}/SpsFeasibility/{result.study_id}"), command_id="", data=data)
    return [done], [inline]
