"""SPS reports → CSAPI status reports and results, on the OGC SPS 2.0 example documents (pure functions)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from bridge.mapping.sps2 import description_from_schema
from bridge.mapping.sps2_status import command_statuses, feasibility_outcome, report_id, result_links
from bridge.mapping.transforms import system_key
from bridge.model.csapi import StatusCode
from bridge.model.legacy.sps2 import FeasibilityResult
from bridge.sources.sps2 import (
    current_parameters,
    parse_describe_result_access,
    parse_describe_tasking,
    parse_get_status,
    parse_get_task,
    parse_submit_response,
)

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sps2"
CAMERA = "http://www.ogc.org/procedure/camera/1"


def _bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_a_completed_task_history() -> None:
    (task,) = parse_get_task(_bytes("ogc-sps-gettask-response-completed.xml"))
    statuses = command_statuses("sps", task.task_id, task.history)
    assert [s.status_code for s in statuses] == [
        StatusCode.ACCEPTED,  # InExecution + TaskSubmitted: the first report
        StatusCode.EXECUTING,  # DataPublished
        StatusCode.UPDATED,
        StatusCode.COMPLETED,
    ]
    done = statuses[-1]
    assert done.percent_completion == 100 and done.execution_time is not None
    assert done.execution_time.start == statuses[1].report_time and done.execution_time.end == done.report_time
    again = command_statuses("sps", task.task_id, reversed(task.history))  # any order, same ids
    assert [s.id for s in again] == [s.id for s in statuses] and len({s.id for s in statuses}) == 4
    assert report_id("other", task.task_id, task.history[0]) != statuses[0].id


def test_submit_answer_failure_and_estimated_completion() -> None:
    answer = parse_submit_response(_bytes("ogc-sps-submit-response.xml"))
    (accepted,) = command_statuses("sps", answer.report.task_id, [answer.report])
    assert accepted.status_code is StatusCode.ACCEPTED and accepted.execution_time is None
    estimate = answer.report.update_time + timedelta(hours=2)
    (with_estimate,) = command_statuses("sps", "t", [replace(answer.report, estimated_toc=estimate)])
    assert with_estimate.execution_time is not None and with_estimate.execution_time.end == estimate
    (failed,) = parse_get_status(_bytes("ogc-sps-getstatus-response-failed.xml"))
    (status,) = command_statuses("sps", failed.task_id, [failed])
    assert status.status_code is StatusCode.FAILED and status.message and "emergency tasking" in status.message


def test_parameters_after_updates_and_result_links() -> None:
    description = parse_describe_tasking(_bytes("ogc-sps-describetasking-response.xml"), CAMERA)
    (task,) = parse_get_task(_bytes("ogc-sps-gettask-response-completed.xml"))
    params = current_parameters(description, task)
    assert params is not None and params["focalLength"] == 3.5
    assert params["positioningChoice"] == {"relativePositioning": {"relativeHorizontalPan": -10.0}}
    access = parse_describe_result_access(_bytes("ogc-sps-describeresultaccess-response-procedure.xml"))
    links = result_links("sps", task.task_id, access)
    assert [r.link_member for r in links] == ["external@link", "external@link"]
    assert all(r.link and r.link["href"].startswith("http") for r in links)
    rebuilt = description_from_schema({"parametersSchema": description.parameters}, CAMERA)
    assert rebuilt is not None and [f["name"] for f in rebuilt.updatable_parameters["fields"]] == [  # type: ignore[index]
        "positioningChoice",
        "focalLength",
    ]


def test_feasibility_verdicts() -> None:
    answer = parse_submit_response(_bytes("ogc-sps-submit-response.xml")).report
    pending = FeasibilityResult("study/1", CAMERA, "Pending", replace(answer, request_status="Pending"))
    statuses, results = feasibility_outcome("sps", pending, [])
    assert [s.status_code for s in statuses] == [StatusCode.PENDING] and results == []
    feasible = FeasibilityResult("study/1", CAMERA, "Accepted", answer)
    statuses, (result,) = feasibility_outcome("sps", feasible, [])
    assert statuses[0].status_code is StatusCode.COMPLETED and statuses[0].execution_time is not None
    assert result.data == {"feasible": True, "studyId": "study/1"}


def test_system_identity_is_global_only_for_uris() -> None:
    assert system_key(CAMERA, "a") == system_key(CAMERA, "b") == f"procedure:{CAMERA}"
    assert system_key("8", "a") != system_key("8", "b")
