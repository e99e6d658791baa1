"""State of the SPS 2.0 test server, shared between the server thread and the test (thread-safe).

Tests drive the lifecycle (`advance`), choose outcomes (`submit_outcome`…), inject failures
(`fail_next`) and inspect what arrived (`submit_requests`, `created`, `tasks`).
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from bridge.model.legacy.sps2 import ParameterData, StatusMessage, TaskingDescription, TaskStatus

FailureMode = Literal["http500", "exception", "timeout", "crash"]
FINAL_TASK_STATUSES = ("Completed", "Failed", "Cancelled", "Expired")
EVENT_FOR = {
    "Completed": "TaskCompleted",
    "Failed": "TaskFailed",
    "Cancelled": "TaskCancelled",
    "Expired": "ReservationExpired",
    "Reserved": "TaskReserved",
}


class OwsError(Exception):
    """An OWS exception the server answers with (exception report or SOAP fault)."""

    def __init__(self, code: str, locator: str | None, text: str, status: int = 400) -> None:
        super().__init__(f"{code} ({locator}): {text}")
        self.code, self.locator, self.text, self.status = code, locator, text, status


@dataclass
class Procedure:
    """A taskable procedure offered by the server."""

    procedure: str
    offering: str
    description: TaskingDescription
    template: str  # fixture the DescribeTasking answer is built from
    area: tuple[str, list[tuple[float, float]]]  # ("point"|"polygon", lat/lon positions)


@dataclass
class TaskRecord:
    """A task (or a tasking request still Pending/Rejected) as the server keeps it."""

    task_id: str
    procedure: str
    parameters: ParameterData
    values: dict[str, Any]
    client_reference: str | None
    reports: list[TaskStatus] = field(default_factory=list)
    updates: int = 0
    auto_step: float | None = None
    auto_path: tuple[str, ...] = ()
    auto_start: datetime | None = None
    auto_done: int = 0
    reservation_expiration: datetime | None = None
    status_expired: bool = False

    @property
    def latest(self) -> TaskStatus:
        return self.reports[-1]

    @property
    def task_status(self) -> str | None:
        return self.latest.task_status

    @property
    def final(self) -> bool:
        return self.latest.request_status == "Rejected" or self.latest.task_status in FINAL_TASK_STATUSES


@dataclass
class Failure:
    mode: FailureMode
    operation: str | None
    remaining: int


class ServerState:
    """Everything the server knows; every public method takes the lock."""

    def __init__(self, procedures: list[Procedure]) -> None:
        self.lock = threading.RLock()
        self.url = ""
        self._procedures = {p.procedure: p for p in procedures}
        self.reset()

    # ------------------------------------------------------------------------------ configuration

    def reset(self) -> None:
        """Forget tasks, counters, failures and outcomes (called around every test)."""
        with self.lock:
            self.generation = getattr(self, "generation", 0) + 1  # requests sleeping across a reset are dropped
            self.tasks: dict[str, TaskRecord] = {}
            self.submit_requests: Counter[str | None] = Counter()  # Submit calls per client reference
            self.submit_payloads: Counter[tuple[str, str]] = Counter()  # per (procedure, encoded values)
            self.requests: list[tuple[str, str]] = []  # (operation, binding)
            self.errors: list[str] = []
            self.failures: list[Failure] = []
            self.submit_outcome = "Accepted"
            self.update_outcome = "Accepted"
            self.cancel_outcome = "Accepted"
            self.feasibility_outcome = "Accepted"
            self.idempotent_submit = True
            self.reservations = True  # ReservationManager (Reserve/Confirm) offered
            self.post_encodings: tuple[str, ...] = ("SOAP", "XML")
            self.supported_encodings: tuple[str, ...] = ("http://www.opengis.net/swe/2.0/TextEncoding",)
            self.timeout_delay = 1.0
            # GetStatus held this long (then answered normally), to see whether two clients poll one task at once
            self.status_delay = 0.0
            self.status_inflight: Counter[str] = Counter()  # GetStatus requests being answered, per task
            self.status_overlap = 0  # the most GetStatus requests for one task answered at the same time
            self.auto_step: float | None = None
            self.auto_path: tuple[str, ...] = ()
            self._clock_offset = timedelta(0)
            self._frozen: datetime | None = None
            self._last_time = datetime(2000, 1, 1, tzinfo=UTC)
            self._ids: Counter[str] = Counter()

    @property
    def procedures(self) -> dict[str, Procedure]:
        return self._procedures

    def fail_next(self, mode: FailureMode, operation: str | None = None, times: int = 1) -> None:
        """Make the next `times` requests (of `operation`, or any) fail with `mode`.

        Modes: `http500` (HTTP 500, HTML body), `exception` (NoApplicableCode exception report / SOAP
        Receiver fault), `timeout` (answer only after `timeout_delay` seconds, processing normally),
        `crash` (process the request — e.g. create the task — then drop the connection mid-answer).
        """
        with self.lock:
            self.failures.append(Failure(mode, operation, times))

    def take_failure(self, operation: str) -> FailureMode | None:
        with self.lock:
            for failure in self.failures:
                if failure.operation in (None, operation) and failure.remaining > 0:
                    failure.remaining -= 1
                    return failure.mode
            return None

    def auto_progress(self, step: float, path: tuple[str, ...] = ("InExecution", "Completed")) -> None:
        """Tasks accepted from now on move one state along `path` every `step` seconds (lazily)."""
        with self.lock:
            self.auto_step, self.auto_path = step, path

    # --------------------------------------------------------------------------------------- clock

    def advance_clock(self, seconds: float) -> None:
        """Move the server clock forward (auto-progress and reservation expiry follow it)."""
        with self.lock:
            self._clock_offset += timedelta(seconds=seconds)

    def now(self) -> datetime:
        """Server time: wall clock + offset, strictly increasing between reports."""
        with self.lock:
            stamp = datetime.now(UTC) + self._clock_offset
            if stamp <= self._last_time:
                stamp = self._last_time + timedelta(microseconds=1)
            self._last_time = stamp
            return stamp

    def new_id(self, prefix: str) -> str:
        with self.lock:
            self._ids[prefix] += 1
            return f"{prefix}/{self._ids[prefix]}"

    # ----------------------------------------------------------------------------------- lifecycle

    def task(self, task_id: str) -> TaskRecord:
        """The task with that id; `OwsError` like a real SPS when unknown."""
        with self.lock:
            record = self.tasks.get(task_id)
            if record is None:
                text = "The requested task / tasking request is unknown to the service."
                raise OwsError("InvalidParameterValue", "task", text)
            self._progress(record)
            return record

    def report(
        self,
        record: TaskRecord,
        *,
        request_status: str | None = None,
        task_status: str | None = None,
        event: str | None = None,
        percent: float | None = None,
        message: str | None = None,
        parameters: ParameterData | None = None,
        when: datetime | None = None,
    ) -> TaskStatus:
        """Append a status report to a task's history (task status carried over when not given)."""
        with self.lock:
            previous = record.reports[-1] if record.reports else None
            status = TaskStatus(
                task_id=record.task_id,
                procedure=record.procedure,
                request_status=request_status or (previous.request_status if previous else "Accepted"),
                update_time=when or self.now(),
                task_status=task_status if task_status is not None else (previous.task_status if previous else None),
                event=event,
                percent_completion=percent,
                status_messages=[StatusMessage(message, "en")] if message else [],
                parameters=parameters,
                reservation_expiration=record.reservation_expiration,
            )
            record.reports.append(status)
            return status

    def advance(self, task_id: str, state: str, *, percent: float | None = None, message: str | None = None) -> None:
        """Drive a task: Accepted/Rejected (decide a Pending request), InExecution, DataPublished,
        Completed, Failed, Cancelled or Expired."""
        with self.lock:
            record = self.task(task_id)
            if state in ("Accepted", "Rejected"):
                event = "TaskSubmitted" if state == "Accepted" else None
                accepted = self.report(record, request_status=state, event=event, message=message)
                if state == "Accepted" and record.auto_step:
                    record.auto_start = accepted.update_time
            elif state == "DataPublished":
                self.report(record, task_status="InExecution", event="DataPublished", percent=percent)
            elif state == "Completed":
                self.report(record, task_status=state, event=EVENT_FOR[state], percent=100.0, message=message)
            else:
                self.report(record, task_status=state, event=EVENT_FOR.get(state), percent=percent, message=message)

    def _progress(self, record: TaskRecord) -> None:
        """Apply due auto-progress steps and reservation expiry (timestamps of when they were due)."""
        if record.auto_step and record.auto_start is not None:
            elapsed = (self.now() - record.auto_start).total_seconds()
            due = min(int(elapsed // record.auto_step), len(record.auto_path))
            while record.auto_done < due and not record.final:
                state = record.auto_path[record.auto_done]
                record.auto_done += 1
                when = record.auto_start + timedelta(seconds=record.auto_step * record.auto_done)
                when = max(when, record.latest.update_time + timedelta(microseconds=1))
                percent = 100.0 if state == "Completed" else None
                self.report(record, task_status=state, event=EVENT_FOR.get(state), percent=percent, when=when)
        expiry = record.reservation_expiration
        if record.task_status == "Reserved" and expiry is not None and self.now() > expiry:
            self.report(record, task_status="Expired", event="ReservationExpired")

    # ---------------------------------------------------------------------------------- inspection

    def tasks_of(self, procedure: str | None = None, client_reference: str | None = None) -> list[TaskRecord]:
        """Tasks in creation order, optionally of one procedure / client reference."""
        with self.lock:
            return [
                t
                for t in self.tasks.values()
                if (procedure is None or t.procedure == procedure)
                and (client_reference is None or t.client_reference == client_reference)
            ]

    def created(self, procedure: str | None = None, values: dict[str, Any] | None = None) -> int:
        """How many tasks were created (for a procedure / with exactly these decoded parameters)."""
        return len([t for t in self.tasks_of(procedure) if values is None or t.values == values])

    def expire_status(self, task_id: str) -> None:
        """Make GetStatus of the task answer StatusInformationExpired (history older than minStatusTime)."""
        with self.lock:
            self.task(task_id).status_expired = True
