"""SPS 2.0 forwarder: CSAPI commands on SPS-harvested control streams become SPS tasks.

Submit carries the CSAPI command id as client reference, so a Submit whose answer was lost (or a
crash before the answer was recorded) is reconciled by repeating it with the same reference — an
SPS advertising idempotent Submit answers with the task it already created; one that does not is
never sent the request twice. Cancel, Update, GetStatus, DescribeResultAccess and GetFeasibility map
as in docs/sps-mapping.md; status codes follow `mappings/sps2/status.yaml`.

Reserve/Confirm (Annex C.13: "implemented as a linked CommandStream"): a command on a procedure's
reservations stream is an SPS Reserve and stays SCHEDULED; a command on its confirmations stream names
that reserved command and is an SPS Confirm, answered synchronously (COMPLETED, or REJECTED) while the
reservation moves on to EXECUTING and is polled like any task.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import httpx

from bridge.commands.base import Forwarded, StoreReader
from bridge.commands.sps2_services import CONFIRMATIONS, RESERVATIONS, STREAM_ENTITIES, SpsService, SpsServices
from bridge.errors import Conflict, InvalidBody, NotFound, UpstreamError
from bridge.mapping.sps2 import linked_stream_id
from bridge.mapping.sps2_status import (
    command_statuses,
    datastream_results,
    feasibility_outcome,
    response_status,
    result_links,
)
from bridge.mapping.sps2_status_table import map_response
from bridge.model.csapi import (
    Command,
    CommandResult,
    CommandStatus,
    ControlStream,
    Provenance,
    StatusCode,
    TimeExtent,
)
from bridge.model.legacy.sps2 import FeasibilityResult, TaskingDescription, TaskingResponse, TaskStatus
from bridge.model.time import utcnow
from bridge.settings import SourceConfig
from bridge.sources.http import HttpPolicy
from bridge.sources.sps2 import (
    SpsException,
    SpsOutcomeUnknown,
    TaskingParameterError,
    current_parameters,
    decode_alternatives,
    encode_parameters,
)
from bridge.sources.sps2.values import number, time_value

log = logging.getLogger("bridge.commands.sps")
TASK = "SpsTask"
STUDY = "SpsFeasibility"
CONFIRMATION = "SpsConfirm"  # provenance of a confirmation command: the task it confirmed
CONFIRMED = (StatusCode.ACCEPTED, StatusCode.EXECUTING, StatusCode.COMPLETED)  # the task runs (or ran)
UNKNOWN_RESERVATION = (
    "the outcome of the Reserve is unknown and it was not sent again (an unconfirmed reservation expires by "
    "itself, so nothing runs): "
)
CLOCK_SKEW = timedelta(hours=1)  # first GetStatus `since` of a command before this process saw a report


def _status(code: StatusCode, message: str) -> CommandStatus:
    return CommandStatus(command_id="", report_time=utcnow(), status_code=code, message=message)


def _parameters(command: Command) -> dict[str, Any]:
    if not isinstance(command.parameters, dict):
        raise TaskingParameterError(["$: tasking parameters are a JSON object"])
    return command.parameters


class SpsForwarder:
    """Forwards commands of every SPS-harvested control stream to its SPS 2.0 service."""

    name = "sps"

    def __init__(
        self,
        sources: Sequence[SourceConfig] = (),
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: HttpPolicy | None = None,
        poll_interval: float | None = None,
    ) -> None:
        self.services = SpsServices(sources, transport=transport, policy=policy, poll_interval=poll_interval)
        self._inflight: set[str] = set()
        self._since: dict[str, Any] = {}
        self._published: set[str] = set()
        self._reader: StoreReader | None = None

    def handles(self, stream: ControlStream) -> bool:
        """Whether the control stream came from an SPS (a procedure's tasking, reservation or confirmation stream)."""
        return stream.provenance is not None and stream.provenance.legacy_type in STREAM_ENTITIES

    def bind_reader(self, reader: StoreReader) -> None:
        """Read access to the store (confirmations name a reserved command; results link to datastreams)."""
        self._reader = reader

    async def aclose(self) -> None:
        """Close the HTTP clients."""
        await self.services.aclose()

    # --------------------------------------------------------------------------------- submission

    async def validate(self, stream: ControlStream, command: Command) -> None:
        """Check and encode the parameters as DescribeTasking specified (400 naming them); no I/O."""
        if _role(stream) == CONFIRMATIONS:
            if command.feasibility:
                raise InvalidBody("a confirmation has no feasibility study: ask the tasking or reservations stream")
            await self._reservation(stream, command)
            return
        description = self.services.service(stream).known_description(stream)
        if description is not None:
            encode_parameters(description, _parameters(command))

    def _task(self, service: SpsService, report: TaskStatus, entity: str = TASK) -> Provenance:
        return Provenance(service.name, entity, report.task_id, service.endpoint)

    def _answer(self, service: SpsService, report: TaskStatus) -> Forwarded:
        statuses = command_statuses(service.name, report.task_id, [report], service.table)
        self._since[report.task_id] = report.update_time
        return Forwarded(statuses=statuses, task=self._task(service, report))

    async def submit(self, stream: ControlStream, command: Command) -> Forwarded:
        """SPS Submit (or GetFeasibility for a feasibility request); the answer is the first status."""
        if command.feasibility:
            return await self._feasibility(stream, command)
        if _role(stream) == RESERVATIONS:
            return await self._reserve(stream, command)
        if _role(stream) == CONFIRMATIONS:
            return await self._confirm_reservation(stream, command)
        service = await self.services.ready(stream)
        procedure = stream.provenance.legacy_id if stream.provenance else ""
        params = _parameters(command)
        await service.description(procedure)
        self._inflight.add(command.id)
        try:
            try:
                response: TaskingResponse | None = await service.client.submit(
                    procedure, params, client_reference=command.id
                )
            except SpsOutcomeUnknown as exc:
                log.warning("Submit of command %s: %s; reconciling by client reference", command.id, exc.description)
                response = await service.client.reconcile_submit(procedure, params, command.id)
                if response is None:
                    return Forwarded([self._unknown(service, exc.description)])
        except SpsOutcomeUnknown as exc:  # still unknown: stays PENDING, reconciled by the poller
            log.warning("Submit of command %s still unknown: %s", command.id, exc.description)
            return Forwarded(
                [_status(StatusCode.PENDING, f"submission outcome unknown, to reconcile: {exc.description}")]
            )
        except SpsException as exc:
            return Forwarded([_status(StatusCode.REJECTED, f"the SPS refused the task: {exc.description}")])
        finally:
            self._inflight.discard(command.id)
        assert response is not None
        return self._answer(service, response.report)

    @staticmethod
    def _unknown(service: SpsService, reason: str) -> CommandStatus:
        return _status(
            StatusCode.FAILED,
            f"the outcome of the Submit is unknown ({reason}) and SPS '{service.name}' cannot deduplicate by "
            "client reference, so it was not sent again; check the service before resubmitting",
        )

    async def reconcile(self, stream: ControlStream, command: Command) -> Forwarded | None:
        """A command stored but never answered (crash): repeat the Submit under the same client reference."""
        if command.id in self._inflight or command.provenance is not None:
            return None
        if command.feasibility:  # a study has no side effect: ask again
            return await self._feasibility(stream, command)
        if _role(stream) == RESERVATIONS:  # never resent: an unconfirmed reservation expires by itself
            return Forwarded(
                [_status(StatusCode.FAILED, UNKNOWN_RESERVATION + "the bridge stopped before recording it")]
            )
        if _role(stream) == CONFIRMATIONS:  # safe to settle: Confirm is only sent while the task is still reserved
            return await self._confirm_reservation(stream, command, settling=True)
        service = await self.services.ready(stream)
        procedure = stream.provenance.legacy_id if stream.provenance else ""
        try:
            await service.description(procedure)
            response = await service.client.reconcile_submit(procedure, _parameters(command), command.id)
        except SpsOutcomeUnknown:
            return None  # try again at the next round
        except SpsException as exc:
            return Forwarded([_status(StatusCode.REJECTED, f"the SPS refused the task: {exc.description}")])
        if response is None:
            return Forwarded([self._unknown(service, "the bridge stopped before recording the answer")])
        log.info("command %s reconciled with SPS task %s", command.id, response.report.task_id)
        return self._answer(service, response.report)

    # ------------------------------------------------------------------------------------ status

    async def poll(self, stream: ControlStream, command: Command) -> Forwarded:
        """GetStatus (the history since the last report seen, with StateLogger) → new status reports."""
        prov = command.provenance
        if prov is None or prov.legacy_type not in (TASK, STUDY):
            return Forwarded()
        service = await self.services.ready(stream)
        if prov.legacy_type == STUDY:
            return await self._poll_study(service, stream, prov.legacy_id)
        task_id = prov.legacy_id
        caps = service.client.capabilities
        since = self._since.get(task_id) or ((command.issue_time or utcnow()) - CLOCK_SKEW)
        try:
            history = caps is not None and caps.has_profile("StateLogger")
            reports = await service.client.get_status(task_id, since if history else None)
        except SpsException as exc:
            if exc.exception_code != "StatusInformationExpired":
                raise
            message = f"the SPS no longer keeps the status of task {task_id} (StatusInformationExpired)"
            return Forwarded([_status(StatusCode.FAILED, message + "; its final state is unknown")])
        if not reports:
            return Forwarded()
        self._since[task_id] = max(r.update_time for r in reports)
        started = command.execution_time.start if command.execution_time else None
        statuses = command_statuses(service.name, task_id, reports, service.table, started=started)
        if statuses and statuses[-1].status_code.is_final:
            self._since.pop(task_id, None)
        results = await self._results(service, stream, task_id, reports, statuses)
        return Forwarded(statuses=statuses, results=results)

    async def _results(
        self,
        service: SpsService,
        stream: ControlStream,
        task_id: str,
        reports: list[TaskStatus],
        statuses: list[CommandStatus],
    ) -> list[CommandResult]:
        """DescribeResultAccess once data was published or the task completed (once per such report)."""
        marks = [s.id for r, s in zip(sorted(reports, key=lambda r: r.update_time), statuses, strict=True)
                 if (r.event == "DataPublished" or s.status_code is StatusCode.COMPLETED)]  # fmt: skip
        fresh = [m for m in marks if m not in self._published]
        if not fresh:
            return []
        try:
            access = await service.client.describe_result_access(task_id)
        except Exception as exc:  # results are a bonus: a failure must not lose the status reports
            log.warning("DescribeResultAccess of task %s failed: %s", task_id, exc)
            return []
        self._published.update(fresh)
        links = result_links(service.name, task_id, access)
        return links + await self._harvested(service, stream, task_id, links)

    async def _harvested(
        self, service: SpsService, stream: ControlStream, task_id: str, links: list[CommandResult]
    ) -> list[CommandResult]:
        """`datastream@link` results for the datastreams of the tasked system that the bridge harvested from a
        service the SPS names as where the data lands (e.g. its SOS): read them here, not on the legacy side."""
        if not links or self._reader is None:
            return []
        return datastream_results(service.name, task_id, links, await self._reader.datastreams_of(stream.system_id))

    # ----------------------------------------------------------------------------- cancel / update

    @staticmethod
    def _task_id(command: Command) -> str:
        if command.feasibility:
            raise Conflict("a feasibility study cannot be canceled or updated")
        if command.current_status.is_final:
            raise Conflict(f"the command is already {command.current_status.value}")
        if command.provenance is None or command.provenance.legacy_type != TASK:
            raise Conflict("the command has not reached the SPS yet (no task); try again shortly")
        return command.provenance.legacy_id

    async def _confirm(
        self, service: SpsService, task_id: str, code: StatusCode, answer: TaskStatus
    ) -> list[CommandStatus]:
        """The task's own report of the change (GetStatus), or one made from the answer if it has none."""
        try:
            latest = await service.client.get_status(task_id)
        except Exception:  # the answer already said yes
            latest = []
        mapped = command_statuses(service.name, task_id, latest, service.table)
        if mapped and mapped[-1].status_code is code:
            return mapped[-1:]
        message = {StatusCode.CANCELED: "canceled on the SPS", StatusCode.UPDATED: "update accepted by the SPS"}
        return [response_status(service.name, task_id, code, answer, message.get(code, code.value))]

    async def cancel(self, stream: ControlStream, command: Command) -> Forwarded:
        """SPS Cancel (TaskCanceller); a refusal is a 409 and changes nothing."""
        task_id = self._task_id(command)
        service = await self.services.ready(stream)
        try:
            answer = await service.client.cancel(task_id)
        except SpsException as exc:
            raise Conflict(f"the SPS did not cancel task {task_id}: {exc.description}") from exc
        code = map_response("Cancel", answer.report.request_status, table=service.table)
        if code is None:
            raise Conflict(f"the SPS did not accept the cancellation (requestStatus {answer.report.request_status})")
        return Forwarded(await self._confirm(service, task_id, StatusCode(code), answer.report))

    async def update(self, stream: ControlStream, command: Command) -> Forwarded:
        """SPS Update (TaskUpdater) with the updatable parameters; changing another one is a 400."""
        task_id = self._task_id(command)
        service = await self.services.ready(stream)
        procedure = stream.provenance.legacy_id if stream.provenance else ""
        description = await service.description(procedure)
        updatable = [str(f["name"]) for f in (description.updatable_parameters or {}).get("fields", [])]
        if not updatable:
            raise Conflict("the SPS declares no updatable tasking parameters for this procedure")
        params = _parameters(command)
        await self._check_fixed(service, description, task_id, params, updatable)
        try:
            answer = await service.client.update(task_id, {k: params.get(k) for k in updatable}, procedure=procedure)
        except SpsException as exc:
            error = InvalidBody if exc.locator == "taskingParameters" else Conflict
            raise error(f"the SPS refused the update: {exc.description}") from exc
        code = map_response("Update", answer.report.request_status, table=service.table)
        if code is None:
            if answer.report.request_status == "Pending":
                return Forwarded()
            raise Conflict(f"the SPS rejected the update (requestStatus {answer.report.request_status})")
        return Forwarded(await self._confirm(service, task_id, StatusCode(code), answer.report))

    async def _check_fixed(
        self,
        service: SpsService,
        description: TaskingDescription,
        task_id: str,
        params: dict[str, Any],
        updatable: list[str],
    ) -> None:
        """400 when a parameter the SPS marks not updatable differs from the task's (GetTask)."""
        try:
            current = current_parameters(description, await service.client.get_task(task_id))
        except Exception:  # cannot tell: let the SPS judge
            return
        if current is None:
            return
        fixed = [str(f.get("name")) for f in description.parameters.get("fields", []) if f.get("name") not in updatable]
        changed = [name for name in fixed if _normal(params.get(name)) != _normal(current.get(name))]
        if changed:
            raise InvalidBody(
                f"$.parameters: {', '.join(changed)} cannot be changed on a submitted task (not updatable on the SPS)",
                details={"parameters": changed},
            )

    # ---------------------------------------------------------------------------- reservations

    async def _reserve(self, stream: ControlStream, command: Command) -> Forwarded:
        """SPS Reserve: the reservation is SCHEDULED until confirmed (linked confirmations stream) or expired."""
        service = await self.services.ready(stream)
        procedure = stream.provenance.legacy_id if stream.provenance else ""
        await service.description(procedure)
        self._inflight.add(command.id)
        try:
            response = await service.client.reserve(procedure, _parameters(command))
        except SpsOutcomeUnknown as exc:
            return Forwarded([_status(StatusCode.FAILED, UNKNOWN_RESERVATION + exc.description)])
        except SpsException as exc:
            return Forwarded([_status(StatusCode.REJECTED, f"the SPS refused the reservation: {exc.description}")])
        finally:
            self._inflight.discard(command.id)
        answer = self._answer(service, response.report)
        expiry = response.report.reservation_expiration
        for status in answer.statuses:
            if status.status_code is StatusCode.SCHEDULED and not status.message:
                until = f" until {expiry.isoformat()}" if expiry else ""
                confirm = linked_stream_id(service.name, CONFIRMATIONS, procedure)
                status.message = (
                    f"reserved on the SPS{until}: confirm it by posting a command with parameters "
                    f'{{"reservation": "{command.id}"}} to control stream {confirm}'
                )
        return answer

    async def _reservation(self, stream: ControlStream, command: Command, *, settling: bool = False) -> Command:
        """The reserved command a confirmation names (400 if it is not one of this procedure, 409 if not
        SCHEDULED — unless `settling` a confirmation whose outcome was lost, when the SPS decides)."""
        ref = _parameters(command).get("reservation")
        if not isinstance(ref, str) or not ref.strip():
            raise InvalidBody("$.parameters.reservation: the id of the reserved command is required")
        ref = ref.strip().rstrip("/").rsplit("/", 1)[-1]  # an id, or the command's URL
        if self._reader is None:
            raise UpstreamError("confirmations need the command store (the forwarder was not bound to it)")
        try:
            target = await self._reader.command(ref)
        except NotFound:
            raise InvalidBody(f"$.parameters.reservation: there is no command '{ref}'") from None
        prov = stream.provenance
        expected = linked_stream_id(prov.source, RESERVATIONS, prov.legacy_id) if prov else ""
        if target.controlstream_id != expected:
            raise InvalidBody(
                f"$.parameters.reservation: command '{ref}' is not a reservation of this procedure "
                f"(reservations are the commands of control stream {expected})"
            )
        reserved = target.provenance is not None and target.provenance.legacy_type == TASK
        if not reserved or (target.current_status is not StatusCode.SCHEDULED and not settling):
            raise Conflict(f"reservation '{ref}' cannot be confirmed: it is {target.current_status.value}")
        return target

    async def _confirm_reservation(
        self, stream: ControlStream, command: Command, *, settling: bool = False
    ) -> Forwarded:
        """SPS Confirm of the named reservation. A lost answer is settled with GetStatus: still reserved →
        Confirm once more (the SPS refuses a second Confirm of a running task, so this cannot run it twice)."""
        target = await self._reservation(stream, command, settling=settling)
        assert target.provenance is not None
        task_id = target.provenance.legacy_id
        service = await self.services.ready(stream)
        self._inflight.add(command.id)
        try:
            latest = await self._latest(service, task_id) if settling else None
            if latest is not None and latest.task_status != "Reserved":
                return self._confirmed(service, target, task_id, latest)
            try:
                return self._confirmed(service, target, task_id, (await service.client.confirm(task_id)).report)
            except SpsOutcomeUnknown as exc:
                latest = await self._latest(service, task_id)
                if latest is None or latest.task_status == "Reserved":
                    message = (
                        f"the outcome of the Confirm is unknown ({exc.description}); the reservation is still open"
                    )
                    return Forwarded([_status(StatusCode.FAILED, message)])
                return self._confirmed(service, target, task_id, latest)
        except SpsException as exc:
            message = f"the SPS refused to confirm reservation {target.id}: {exc.description}"
            provenance = Provenance(service.name, CONFIRMATION, task_id, service.endpoint)
            return Forwarded([_status(StatusCode.REJECTED, message)], provenance)
        finally:
            self._inflight.discard(command.id)

    @staticmethod
    async def _latest(service: SpsService, task_id: str) -> TaskStatus | None:
        reports = await service.client.get_status(task_id)
        return max(reports, key=lambda r: r.update_time) if reports else None

    def _confirmed(self, service: SpsService, target: Command, task_id: str, report: TaskStatus) -> Forwarded:
        """The confirmation's own outcome (synchronous: COMPLETED or REJECTED), and the reservation's new report."""
        reservation = self._answer(service, report)
        code = reservation.statuses[-1].status_code if reservation.statuses else StatusCode.REJECTED
        provenance = self._task(service, report, CONFIRMATION)
        if code not in CONFIRMED:
            detail = report.message or f"task {task_id} is {report.task_status or report.request_status}"
            message = f"the SPS did not confirm reservation {target.id}: {detail}"
            return Forwarded([_status(StatusCode.REJECTED, message)], provenance, others={target.id: reservation})
        now = utcnow()
        done = CommandStatus(
            command_id="", report_time=now, status_code=StatusCode.COMPLETED, execution_time=TimeExtent(now, now),
            message=f"reservation {target.id} confirmed on the SPS (task {task_id})",
        )  # fmt: skip
        result = CommandResult(command_id="", data={"reservation": target.id, "task": task_id})
        reservation.task = None  # the reservation keeps its task
        return Forwarded([done], provenance, [result], others={target.id: reservation})

    # ------------------------------------------------------------------------------ feasibility

    async def _feasibility(self, stream: ControlStream, command: Command) -> Forwarded:
        service = await self.services.ready(stream)
        if not service.client.can("GetFeasibility"):
            return Forwarded([_status(StatusCode.REJECTED, "this SPS offers no feasibility study (GetFeasibility)")])
        procedure = stream.provenance.legacy_id if stream.provenance else ""
        description = await service.description(procedure)
        try:
            result = await service.client.get_feasibility(procedure, _parameters(command))
        except SpsException as exc:
            return Forwarded(
                [_status(StatusCode.REJECTED, f"the SPS refused the feasibility study: {exc.description}")]
            )
        statuses, results = feasibility_outcome(service.name, result, decode_alternatives(description, result))
        return Forwarded(statuses, self._task(service, result.report, STUDY), results)

    async def _poll_study(self, service: SpsService, stream: ControlStream, study_id: str) -> Forwarded:
        reports = await service.client.get_status(study_id)
        if not reports:
            return Forwarded()
        latest = max(reports, key=lambda r: r.update_time)
        procedure = stream.provenance.legacy_id if stream.provenance else ""
        result = FeasibilityResult(study_id, latest.procedure, latest.request_status, latest, None, latest.alternatives)
        alternatives = decode_alternatives(await service.description(procedure), result)
        statuses, results = feasibility_outcome(service.name, result, alternatives)
        return Forwarded(statuses, results=results)


def _role(stream: ControlStream) -> str:
    """Which of a procedure's control streams this is (tasking, reservations, confirmations)."""
    return stream.provenance.legacy_type if stream.provenance else ""


def _normal(value: Any) -> Any:
    """Comparable form of a parameter value (times as instants, numbers as floats)."""
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    if isinstance(value, str) and (t := time_value(value)) is not None:
        return t
    n = number(value)
    return n if n is not None else value
