"""Typed SPS 2.0 (OGC 09-000) records: capabilities, tasking descriptions, status reports, tasks.

Legacy words (procedure, offering, task) stay here; the mapping layer turns them into CSAPI
systems, control streams and commands. Times are timezone-aware datetimes (a report without an
offset is read as UTC); tasking parameter schemas are SWE Common 3 JSON dicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from bridge.errors import UpstreamError

Binding = Literal["kvp", "pox", "soap"]

REQUEST_STATUSES = ("Accepted", "Pending", "Rejected")
# Optional SPS 2.0 operations → the conformance class (ows:Profile) that brings them.
OPTIONAL_CLASSES = {
    "Update": "TaskUpdater",
    "Cancel": "TaskCanceller",
    "GetFeasibility": "FeasibilityController",
    "Reserve": "ReservationManager",
    "Confirm": "ReservationManager",
}
TASK_STATUSES = ("Reserved", "InExecution", "Completed", "Failed", "Expired", "Cancelled")
EVENTS = (
    "TaskSubmitted",
    "TaskUpdated",
    "TaskCancelled",
    "TaskCompleted",
    "TaskFailed",
    "TaskReserved",
    "TaskConfirmed",
    "ReservationExpired",
    "TaskingRequestExpired",
    "DataPublished",
)
PROFILE_PREFIX = "http://www.opengis.net/spec/SPS/2.0/conf/"
TASK_CURSOR = "SpsTask/"  # cursor key prefix of an imported task: `SpsTask/<task id>` → time of its latest report

DEFAULT_TEXT_ENCODING: dict[str, Any] = {
    "type": "TextEncoding",
    "tokenSeparator": ",",
    "blockSeparator": "@@",
}


class SpsException(UpstreamError):
    """An SPS service answered an OWS exception report or a SOAP 1.2 fault."""

    code = "UpstreamError"

    def __init__(
        self,
        exception_code: str,
        text: str = "",
        *,
        locator: str | None = None,
        texts: tuple[str, ...] = (),
        soap_code: str | None = None,
        http_status: int | None = None,
        more: tuple[SpsException, ...] = (),
    ) -> None:
        desc = f"SPS exception {exception_code}" + (f" (locator {locator})" if locator else "")
        if text:
            desc += f": {text}"
        super().__init__(desc, details={"exceptionCode": exception_code, "locator": locator, "text": text})
        self.exception_code = exception_code
        self.locator = locator
        self.text = text
        self.texts = texts or ((text,) if text else ())
        self.soap_code = soap_code
        self.http_status = http_status
        self.more = more


class SpsOutcomeUnknown(UpstreamError):
    """A state-changing request (Submit, Update, Cancel…) got no usable answer: it may or may not have happened."""

    code = "UpstreamOutcomeUnknown"

    def __init__(self, operation: str, reason: str, *, client_reference: str | None = None) -> None:
        super().__init__(
            f"SPS {operation}: outcome unknown ({reason})",
            details={"operation": operation, "clientReference": client_reference},
        )
        self.operation = operation
        self.client_reference = client_reference


@dataclass(slots=True, frozen=True)
class OperationEndpoint:
    """One DCP of an operation from ows:OperationsMetadata."""

    operation: str
    method: Literal["GET", "POST"]
    href: str
    content_types: tuple[str, ...] = ()

    @property
    def binding(self) -> Binding:
        """`kvp` for GET, `soap` for a POST constrained to application/soap+xml, else `pox`."""
        if self.method == "GET":
            return "kvp"
        if self.content_types and all("soap" in ct for ct in self.content_types):
            return "soap"
        return "pox"


@dataclass(slots=True)
class TaskingOffering:
    """One sps:SensorOffering: a taskable procedure (→ CSAPI System + ControlStream)."""

    identifier: str
    procedure: str
    name: str | None = None
    description: str | None = None
    procedure_description_formats: list[str] = field(default_factory=list)
    observable_properties: list[str] = field(default_factory=list)
    observable_area: dict[str, Any] | None = None  # GeoJSON geometry, lon/lat
    min_status_time: str | None = None  # xs:duration as advertised (service-wide)
    min_status_seconds: float | None = None


@dataclass(slots=True)
class SpsCapabilities:
    """An sps:Capabilities document."""

    version: str | None
    title: str | None
    abstract: str | None = None
    provider_name: str | None = None
    profiles: list[str] = field(default_factory=list)
    operations: dict[str, list[OperationEndpoint]] = field(default_factory=dict)
    post_encodings: list[str] = field(default_factory=list)  # ows:Constraint PostEncoding (SOAP, XML)
    offerings: list[TaskingOffering] = field(default_factory=list)
    procedure_description_formats: list[str] = field(default_factory=list)
    observable_properties: list[str] = field(default_factory=list)
    supported_encodings: list[str] = field(default_factory=list)
    min_status_time: str | None = None
    min_status_seconds: float | None = None
    extensions: dict[str, str] = field(default_factory=dict)  # sps:extension leaf elements (Clark name → text)

    def has_profile(self, name: str) -> bool:
        """True when an ows:Profile names the SPS conformance class (`TaskUpdater`, `TaskCanceller`…)."""
        return any(p == name or p == PROFILE_PREFIX + name or p.endswith("/" + name) for p in self.profiles)

    def supports(self, operation: str) -> bool:
        """True when OperationsMetadata lists the operation."""
        return operation in self.operations

    def offers(self, operation: str) -> bool:
        """Whether an operation may be used: listed in OperationsMetadata, or its optional class declared."""
        profile = OPTIONAL_CLASSES.get(operation)
        return self.supports(operation) or (profile is not None and self.has_profile(profile))

    @property
    def offers_reservations(self) -> bool:
        """Reserve and Confirm (ReservationManager) are offered."""
        return self.offers("Reserve") and self.offers("Confirm")

    def offering_for(self, procedure: str) -> TaskingOffering | None:
        """The offering that tasks a procedure, if any."""
        return next((o for o in self.offerings if o.procedure == procedure), None)


@dataclass(slots=True)
class ParameterData:
    """sps:ParameterData: encoded tasking parameter values plus their encoding (SWE Common 3 JSON)."""

    encoding: dict[str, Any]
    values: str  # the text block, or the serialized XML children for an XMLEncoding


@dataclass(slots=True)
class TaskingDescription:
    """A DescribeTasking answer: the parameter schema of a procedure."""

    procedure: str
    name: str  # sps:taskingParameters/@name
    parameters: dict[str, Any]  # SWE Common 3 JSON component (normally a DataRecord)
    encoding: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_TEXT_ENCODING))
    updatable_parameters: dict[str, Any] | None = None  # DataRecord of the fields that are updatable

    @property
    def field_names(self) -> list[str]:
        """Top-level field names of the parameter record."""
        return [str(f.get("name")) for f in self.parameters.get("fields", [])]


@dataclass(slots=True)
class StatusMessage:
    """One sps:statusMessage of a report, with its language if given (joined into the CSAPI `message`)."""

    text: str
    lang: str | None = None


@dataclass(slots=True)
class Alternative:
    """sps:Alternative: a feasible variant proposed by the service."""

    parameters: ParameterData | None
    descriptions: list[StatusMessage] = field(default_factory=list)


@dataclass(slots=True)
class TaskStatus:
    """One sps:StatusReport (or sps:ReservationReport)."""

    task_id: str
    procedure: str
    request_status: str  # Accepted | Pending | Rejected
    update_time: datetime
    task_status: str | None = None  # Reserved | InExecution | Completed | Failed | Expired | Cancelled
    event: str | None = None
    percent_completion: float | None = None
    estimated_toc: datetime | None = None
    status_messages: list[StatusMessage] = field(default_factory=list)
    parameters: ParameterData | None = None
    alternatives: list[Alternative] = field(default_factory=list)
    reservation_expiration: datetime | None = None  # ReservationReport only

    @property
    def message(self) -> str | None:
        """All status messages joined (CSAPI `message`)."""
        return "; ".join(m.text for m in self.status_messages) or None


@dataclass(slots=True)
class TaskingResponse:
    """A Submit/Update/Reserve/GetFeasibility/Confirm/Cancel answer: one report (+ target task for Update)."""

    report: TaskStatus
    latest_response_time: datetime | None = None
    target_task: str | None = None  # UpdateResponse only: the task the update applies to


@dataclass(slots=True)
class Task:
    """sps:Task from GetTask: identifier and the status history, oldest first."""

    task_id: str
    procedure: str | None
    history: list[TaskStatus] = field(default_factory=list)

    @property
    def latest(self) -> TaskStatus | None:
        """The newest report (by updateTime, document order on ties)."""
        if not self.history:
            return None
        return max(enumerate(self.history), key=lambda p: (p[1].update_time, p[0]))[1]

    @property
    def parameters(self) -> ParameterData | None:
        """Parameters of the submission (the first report that carries any)."""
        return next((r.parameters for r in self.history if r.parameters is not None), None)


@dataclass(slots=True)
class DataReference:
    """An ows:Reference / ows:ServiceReference inside a result-access reference group."""

    group_id: str | None
    href: str
    role: str | None = None
    identifier: str | None = None
    formats: list[str] = field(default_factory=list)
    data_access_type: str | None = None
    service_reference: bool = False
    request_message: str | None = None  # serialized ows:RequestMessage content, if any


@dataclass(slots=True)
class ResultAccess:
    """A DescribeResultAccess answer: where a task's (or procedure's) data can be fetched."""

    available: bool
    references: list[DataReference] = field(default_factory=list)
    unavailable_code: str | None = None  # DataNotAvailable | DataServiceUnavailable | other: …
    messages: list[StatusMessage] = field(default_factory=list)
    task_id: str | None = None  # the requested target, when the caller knows it
    procedure: str | None = None


@dataclass(slots=True)
class FeasibilityResult:
    """A GetFeasibility answer: Accepted = feasible, Rejected = not feasible, Pending = still studying."""

    study_id: str
    procedure: str
    request_status: str
    report: TaskStatus
    latest_response_time: datetime | None = None
    alternatives: list[Alternative] = field(default_factory=list)

    @property
    def feasible(self) -> bool | None:
        """True/False once decided, None while Pending."""
        return {"Accepted": True, "Rejected": False}.get(self.request_status)


def updatable_subset(record: dict[str, Any]) -> dict[str, Any] | None:
    """The DataRecord of fields an Update may carry: all fields not marked `updatable: false`.

    The OGC SPS 2.0 example marks only the fixed field (`taskTimeFrame`) `updatable="false"` and
    encodes its Update against the remaining fields, so an absent flag counts as updatable.
    Returns None when no field is updatable or the schema is not a DataRecord.
    """
    if record.get("type") != "DataRecord":
        return None
    fields = [f for f in record.get("fields", []) if f.get("updatable") is not False]
    if not fields:
        return None
    subset = {k: v for k, v in record.items() if k != "fields"}
    subset["fields"] = fields
    return subset
