"""SPS 2.0 forwarder: CSAPI commands on SPS-harvested control streams become SPS tasks.

Submit carries the CSAPI command id as client reference, so a Submit whose answer was lost (or a
crash before the answer was recorded) is reconciled by repeating it with the same reference — an
SPS advertising idempotent Submit answers with the task it already created; one that does not is
never sent the request twice. Cancel, Update, GetStatus, DescribeResultAccess and GetFeasibility map
as in docs/sps-mapping.md; status codes follow `mappings/sps2/status.yaml`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import httpx

from bridge.commands.base import Forwarded
from bridge.commands.sps2_services import SpsService, SpsServices
from bridge.errors import Conflict, InvalidBody
from bridge.mapping.sps2 import current_parameters
from bridge.mapping.sps2_status import command_statuses, feasibility_outcome, response_status, result_links
from bridge.model.csapi import Command, CommandResult, CommandStatus, ControlStream, Provenance, StatusCode
from bridge.model.legacy.sps2 import FeasibilityResult, TaskingDescription, TaskingResponse, TaskStatus
from bridge.model.time import utcnow
from bridge.settings import SourceConfig
from bridge.sources.http import HttpPolicy
from bridge.sources.sps2 import SpsException, SpsOutcomeUnknown, TaskingParameterError, encode_parameters, map_response
from bridge.sources.sps2.values import number, time_value

log = logging.getLogger("bridge.commands.sps")
TASK = "SpsTask"
STUDY = "SpsFeasibility"
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
    ) -> None:
        self.services = SpsServices(sources, transport=transport, policy=policy)
        self._inflight: set[str] = set()
        self._since: dict[str, Any] = {}
        self._published: set[str] = set()

    def handles(self, stream: ControlStream) -> bool:
        return stream.provenance is not None and stream.provenance.legacy_type == "SpsTasking"

    async def aclose(self) -> None:
        """Close the HTTP clients."""
        await self.services.aclose()

    # --------------------------------------------------------------------------------- submission

    async def validate(self, stream: ControlStream, command: Command) -> None:
        """Check and encode the parameters as DescribeTasking specified (400 naming them); no I/O."""
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
        return Forwarded(statuses=statuses, results=await self._results(service, task_id, reports, statuses))

    async def _results(
        self, service: SpsService, task_id: str, reports: list[TaskStatus], statuses: list[CommandStatus]
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
        return result_links(service.name, task_id, access)

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
        statuses, results = feasibility_outcome(service.name, result, description)
        return Forwarded(statuses, self._task(service, result.report, STUDY), results)

    async def _poll_study(self, service: SpsService, stream: ControlStream, study_id: str) -> Forwarded:
        reports = await service.client.get_status(study_id)
        if not reports:
            return Forwarded()
        latest = max(reports, key=lambda r: r.update_time)
        procedure = stream.provenance.legacy_id if stream.provenance else ""
        result = FeasibilityResult(study_id, latest.procedure, latest.request_status, latest, None, latest.alternatives)
        statuses, results = feasibility_outcome(service.name, result, await service.description(procedure))
        return Forwarded(statuses, results=results)


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
