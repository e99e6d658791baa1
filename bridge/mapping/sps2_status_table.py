"""SPS 2.0 task status → CSAPI command status code, driven by `mappings/sps2/status.yaml`.

The table is data: it is loaded with `yaml.safe_load` and validated (keys, SPS enumeration values,
CSAPI codes) so a typo fails at startup with the rule's position, not at the first status poll.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bridge.errors import ConfigError, UpstreamError
from bridge.model.legacy.sps2 import EVENTS, REQUEST_STATUSES, TASK_STATUSES, TaskStatus
from bridge.resources import data_path

CSAPI_STATUS_CODES = (
    "PENDING",
    "ACCEPTED",
    "REJECTED",
    "SCHEDULED",
    "UPDATED",
    "CANCELED",
    "EXECUTING",
    "FAILED",
    "COMPLETED",
)
FINAL_CODES = ("COMPLETED", "FAILED", "CANCELED", "REJECTED")
DEFAULT_TABLE = data_path("mappings", "sps2", "status.yaml")

_VOCABULARY: dict[str, tuple[str, ...]] = {
    "request_status": REQUEST_STATUSES,
    "task_status": TASK_STATUSES,
    "event": EVENTS,
    "operation": ("Update", "Cancel"),
}
_SECTION_KEYS = {"reports": ("request_status", "task_status", "event"), "responses": ("operation", "request_status")}


@dataclass(frozen=True, slots=True)
class StatusRule:
    """One table row: conditions (key → accepted values, None = absent) and the resulting code."""

    when: dict[str, tuple[str | None, ...]]
    status: str | None
    message: str | None = None

    def matches(self, facts: dict[str, str | None]) -> bool:
        """True when every condition accepts the corresponding fact."""
        return all(facts.get(key) in accepted for key, accepted in self.when.items())


@dataclass(frozen=True, slots=True)
class StatusTable:
    """The validated mapping table."""

    reports: tuple[StatusRule, ...]
    responses: tuple[StatusRule, ...]

    def rule_for(self, request_status: str, task_status: str | None = None, event: str | None = None) -> StatusRule:
        """The first report rule matching; `UpstreamError` when the service used an unmapped value."""
        facts = {"request_status": request_status, "task_status": task_status, "event": event}
        for rule in self.reports:
            if rule.matches(facts):
                return rule
        raise UpstreamError(
            f"SPS status not mapped: requestStatus={request_status!r} taskStatus={task_status!r} event={event!r}"
        )


def _fail(where: str, message: str) -> ConfigError:
    return ConfigError(f"SPS status table {where}: {message}")


def _rule(raw: Any, section: str, where: str) -> StatusRule:
    if not isinstance(raw, dict) or set(raw) - {"when", "status", "message"} or "status" not in raw:
        raise _fail(where, "a rule is a mapping with `when`, `status` and optional `message`")
    when_raw = raw.get("when") or {}
    if not isinstance(when_raw, dict):
        raise _fail(where, "`when` must be a mapping")
    when: dict[str, tuple[str | None, ...]] = {}
    for key, values in when_raw.items():
        if key not in _SECTION_KEYS[section]:
            raise _fail(where, f"unknown condition {key!r} (allowed: {', '.join(_SECTION_KEYS[section])})")
        listed = values if isinstance(values, list) else [values]
        unknown = [v for v in listed if v is not None and v not in _VOCABULARY[key]]
        if unknown:
            raise _fail(where, f"unknown {key} value(s) {unknown} (SPS 2.0 defines {', '.join(_VOCABULARY[key])})")
        when[key] = tuple(listed)
    status = raw["status"]
    if status is None and section == "reports":
        raise _fail(where, "a status report must map to a CSAPI status code")
    if status is not None and status not in CSAPI_STATUS_CODES:
        raise _fail(where, f"unknown CSAPI status code {status!r} (allowed: {', '.join(CSAPI_STATUS_CODES)})")
    message = raw.get("message")
    return StatusRule(when, status, None if message is None else str(message))


def parse_status_table(data: Any, source: str = "<table>") -> StatusTable:
    """Validate a loaded YAML document and build the table; `ConfigError` names the faulty rule."""
    if not isinstance(data, dict) or set(data) - {"reports", "responses"} or "reports" not in data:
        raise _fail(source, "top level must be a mapping with `reports` (and optional `responses`)")
    sections: dict[str, tuple[StatusRule, ...]] = {}
    for section in ("reports", "responses"):
        rules = data.get(section) or []
        if not isinstance(rules, list):
            raise _fail(source, f"`{section}` must be a list of rules")
        sections[section] = tuple(_rule(r, section, f"{source} {section}[{i}]") for i, r in enumerate(rules))
    if not sections["reports"]:
        raise _fail(source, "`reports` is empty")
    return StatusTable(sections["reports"], sections["responses"])


@cache
def load_status_table(path: Path = DEFAULT_TABLE) -> StatusTable:
    """Load and validate a status table file (cached per path)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"SPS status table {path}: {exc}") from exc
    return parse_status_table(data, str(path))


def map_status(
    request_status: str, task_status: str | None = None, event: str | None = None, *, table: StatusTable | None = None
) -> str:
    """CSAPI status code for an SPS report (`Accepted`/`InExecution` → `EXECUTING`, …)."""
    rule = (table or load_status_table()).rule_for(request_status, task_status, event)
    assert rule.status is not None
    return rule.status


def map_report(report: TaskStatus, *, table: StatusTable | None = None) -> tuple[str, str | None]:
    """(CSAPI status code, message) for a parsed report; the message falls back to the rule's."""
    rule = (table or load_status_table()).rule_for(report.request_status, report.task_status, report.event)
    assert rule.status is not None
    return rule.status, report.message or rule.message


def map_response(operation: str, request_status: str, *, table: StatusTable | None = None) -> str | None:
    """Command status after an Update/Cancel answer; None = unchanged (the request was not accepted)."""
    facts: dict[str, str | None] = {"operation": operation, "request_status": request_status}
    for rule in (table or load_status_table()).responses:
        if rule.matches(facts):
            return rule.status
    raise UpstreamError(f"SPS {operation} answer not mapped: requestStatus={request_status!r}")
