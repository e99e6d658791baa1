"""SPS → CSAPI status mapping table (mappings/sps2/status.yaml)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bridge.errors import ConfigError, UpstreamError
from bridge.mapping.sps2_status_table import (
    DEFAULT_TABLE,
    load_status_table,
    map_report,
    map_response,
    map_status,
    parse_status_table,
)
from bridge.sources import sps2
from tests.sources.sps2.docs import fixture_bytes


@pytest.mark.parametrize(
    ("request_status", "task_status", "event", "code"),
    [
        ("Pending", None, None, "PENDING"),
        ("Rejected", None, None, "REJECTED"),
        ("Rejected", None, "TaskingRequestExpired", "REJECTED"),
        ("Accepted", None, None, "ACCEPTED"),
        ("Accepted", None, "TaskSubmitted", "ACCEPTED"),
        ("Accepted", "InExecution", "TaskSubmitted", "ACCEPTED"),
        ("Accepted", "InExecution", "TaskConfirmed", "EXECUTING"),  # a confirmed reservation (was SCHEDULED)
        ("Accepted", "InExecution", None, "EXECUTING"),
        ("Accepted", "InExecution", "DataPublished", "EXECUTING"),
        ("Accepted", "InExecution", "TaskUpdated", "UPDATED"),
        ("Accepted", "Reserved", "TaskReserved", "SCHEDULED"),
        ("Accepted", "Expired", "ReservationExpired", "FAILED"),
        ("Accepted", "Expired", None, "FAILED"),
        ("Accepted", "Completed", "TaskCompleted", "COMPLETED"),
        ("Accepted", "Failed", "TaskFailed", "FAILED"),
        ("Accepted", "Cancelled", "TaskCancelled", "CANCELED"),
    ],
)
def test_map_status(request_status: str, task_status: str | None, event: str | None, code: str) -> None:
    assert map_status(request_status, task_status, event) == code


def test_fixture_reports_map() -> None:
    history = sps2.parse_get_task(fixture_bytes("ogc-sps-gettask-response-completed.xml"))[0].history
    assert [map_report(r)[0] for r in history] == ["ACCEPTED", "EXECUTING", "UPDATED", "COMPLETED"]
    (failed,) = sps2.parse_get_status(fixture_bytes("ogc-sps-getstatus-response-failed.xml"))
    code, message = map_report(failed)
    assert code == "FAILED" and message is not None and message.startswith("Your reservation failed")
    cancel = sps2.parse_cancel_response(fixture_bytes("ogc-sps-cancel-response.xml")).report
    assert map_response("Cancel", cancel.request_status) == "CANCELED"
    assert map_response("Cancel", "Rejected") is None and map_response("Update", "Accepted") == "UPDATED"


def test_expired_gets_the_rule_message() -> None:
    from bridge.model.legacy.sps2 import TaskStatus
    from bridge.sources.sps2.common import parse_time

    report = TaskStatus("t", "p", "Accepted", parse_time("2020-01-01T00:00:00Z"), "Expired")  # type: ignore[arg-type]
    assert map_report(report) == ("FAILED", "expired")


def test_unknown_upstream_value_is_an_upstream_error() -> None:
    with pytest.raises(UpstreamError, match="not mapped"):
        map_status("Accepted", "other: Paused")


def test_table_file_is_valid_and_total() -> None:
    table = load_status_table(DEFAULT_TABLE)
    codes = {rule.status for rule in table.reports}
    assert codes == {
        "PENDING",
        "ACCEPTED",
        "REJECTED",
        "SCHEDULED",
        "UPDATED",
        "CANCELED",
        "EXECUTING",
        "FAILED",
        "COMPLETED",
    }
    for request_status in ("Accepted", "Pending", "Rejected"):
        for task_status in (None, "Reserved", "InExecution", "Completed", "Failed", "Expired", "Cancelled"):
            table.rule_for(request_status, task_status)  # every combination is mapped


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            lambda d: d["reports"].append({"when": {"task_status": ["Running"]}, "status": "EXECUTING"}),
            "unknown task_status value(s) ['Running']",
        ),
        (
            lambda d: d["reports"].append({"when": {"event": ["TaskSubmitted"]}, "status": "RUNNING"}),
            "unknown CSAPI status code 'RUNNING'",
        ),
        (
            lambda d: d["reports"].append({"when": {"operation": ["Cancel"]}, "status": "CANCELED"}),
            "unknown condition 'operation'",
        ),
        (lambda d: d["reports"].append({"when": {}, "status": None}), "must map to a CSAPI status code"),
        (lambda d: d["reports"].append({"when": {}, "status": "FAILED", "colour": "red"}), "a rule is a mapping"),
        (lambda d: d.update(extra=[]), "top level must be a mapping"),
    ],
)
def test_table_validation_names_the_rule(edit, message: str) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(DEFAULT_TABLE.read_text(encoding="utf-8"))
    edit(data)
    with pytest.raises(ConfigError) as info:
        parse_status_table(data, "status.yaml")
    assert message in info.value.description
    if "reports[" in info.value.description:
        assert f"reports[{len(data['reports']) - 1}]" in info.value.description


def test_unreadable_table_file(tmp_path: Path) -> None:
    bad = tmp_path / "status.yaml"
    bad.write_text("reports: [", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"status\.yaml"):
        load_status_table(bad)
