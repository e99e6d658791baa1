"""Command status lifecycle (Part 2 §5.4): which status report may follow which."""

from __future__ import annotations

from typing import NamedTuple

from bridge.errors import Conflict
from bridge.model.csapi import FINAL_STATUSES, Command, CommandStatus, StatusCode

S = StatusCode
# The checklist's derived graph, with one documented widening: a command may be reported COMPLETED
# straight from ACCEPTED/UPDATED/SCHEDULED, because a legacy service polled now and then (SPS
# GetStatus) can move from "accepted" to "completed" between two polls; inventing an EXECUTING
# report we never saw would be worse than accepting the jump.
TRANSITIONS: dict[StatusCode, frozenset[StatusCode]] = {
    S.PENDING: frozenset({S.ACCEPTED, S.REJECTED, S.CANCELED, S.COMPLETED, S.FAILED}),
    S.ACCEPTED: frozenset({S.SCHEDULED, S.EXECUTING, S.UPDATED, S.CANCELED, S.REJECTED, S.FAILED, S.COMPLETED}),
    S.UPDATED: frozenset({S.SCHEDULED, S.EXECUTING, S.UPDATED, S.CANCELED, S.REJECTED, S.FAILED, S.COMPLETED}),
    S.SCHEDULED: frozenset({S.EXECUTING, S.UPDATED, S.CANCELED, S.FAILED, S.COMPLETED}),
    S.EXECUTING: frozenset({S.EXECUTING, S.COMPLETED, S.FAILED, S.CANCELED}),
}


def check_transition(current: StatusCode, new: StatusCode) -> None:
    """Raise Conflict (409) when `new` may not follow `current`."""
    if current in FINAL_STATUSES:
        raise Conflict(f"the command is already {current.value}; no further status report is accepted")
    if new not in TRANSITIONS.get(current, frozenset()):
        allowed = ", ".join(sorted(s.value for s in TRANSITIONS.get(current, frozenset())))
        raise Conflict(f"status {new.value} cannot follow {current.value} (allowed: {allowed})")


def check_report(status: StatusCode, has_execution_time: bool) -> str | None:
    """Obligations of the status table: SCHEDULED and COMPLETED carry an executionTime."""
    if status in (S.SCHEDULED, S.COMPLETED) and not has_execution_time:
        return (
            f"a {status.value} report must give the {'scheduled' if status is S.SCHEDULED else 'actual'} executionTime"
        )
    return None


class KeyedCommand(NamedTuple):
    """A command with its store key, as a live tail reads it (keys grow with every new command)."""

    pk: int
    command: Command


class KeyedStatus(NamedTuple):
    """A status report with its store key and the control stream of its command, as a live tail reads it."""

    pk: int
    controlstream_id: str
    feasibility: bool
    status: CommandStatus
