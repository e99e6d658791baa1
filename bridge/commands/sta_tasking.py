"""SensorThings Tasking forwarder: a command on a TaskingCapability-derived control stream creates a Task.

The control stream carries `Provenance(source, "TaskingCapability", id, via=selfLink)`; the Task is
POSTed to the `Tasks` set of that service with the command parameters as `taskingParameters`.
STA 1.1 / Tasking Core 1.0 Tasks have no status: the command is reported ACCEPTED on creation (the
message says why nothing follows), and it cannot be canceled or updated through the bridge.
A Task POST whose answer was lost is reconciled by listing the capability's Tasks (same parameters,
created after the command was received) before anything is sent again.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta

import httpx

from bridge.commands.base import CancelNotSupported, Forwarded
from bridge.errors import Conflict, InvalidBody, UpstreamError
from bridge.mapping.transforms import stable_id
from bridge.model.csapi import Command, CommandStatus, ControlStream, Provenance, StatusCode
from bridge.model.legacy.sta import Task
from bridge.model.time import utcnow
from bridge.settings import SourceConfig
from bridge.sources.http import HttpError, HttpPolicy, PoliteClient, source_client
from bridge.sources.sta.errors import StaError
from bridge.sources.sta.reader import StaReader

STREAM_ENTITY = "TaskingCapability"
ACCEPTED_MESSAGE = (
    "Task {task} created on the SensorThings service; STA 1.1 tasks carry no status, "
    "so no later state (executing, completed, failed) can be reported"
)
CLOCK_SKEW = timedelta(minutes=5)
_CAPABILITY = re.compile(r"/TaskingCapabilities\([^/]*\)/?$")


class StaTaskingForwarder:
    """Forwards commands of SensorThings TaskingCapability control streams as Tasks."""

    name = "sta-tasking"

    def __init__(
        self,
        sources: Sequence[SourceConfig] = (),
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: HttpPolicy | None = None,
    ) -> None:
        self.sources = {s.name: s for s in sources if s.type == "sta"}
        self.transport = transport
        self.policy = policy or HttpPolicy()
        self._readers: dict[str, StaReader] = {}
        self._clients: list[PoliteClient] = []

    def handles(self, stream: ControlStream) -> bool:
        """Whether the control stream was harvested from a SensorThings TaskingCapability."""
        return stream.provenance is not None and stream.provenance.legacy_type == STREAM_ENTITY

    async def aclose(self) -> None:
        """Close the HTTP clients."""
        for client in self._clients:
            await client.aclose()
        self._clients.clear()
        self._readers.clear()

    def _reader(self, stream: ControlStream) -> StaReader:
        prov = stream.provenance
        assert prov is not None
        found = self._readers.get(prov.source)
        if found is not None:
            return found
        source = self.sources.get(prov.source)
        root = source.url if source else _CAPABILITY.sub("/", prov.via or "")
        if not root or not root.startswith(("http://", "https://")):
            raise UpstreamError(f"control stream {stream.id}: SensorThings source '{prov.source}' is not configured")
        client = source_client(source, self.policy, transport=self.transport)
        self._clients.append(client)
        found = self._readers[prov.source] = StaReader(client, root)
        return found

    @staticmethod
    def _capability(stream: ControlStream) -> str:
        prov = stream.provenance
        assert prov is not None
        return prov.via or prov.legacy_id

    async def validate(self, stream: ControlStream, command: Command) -> None:
        """Tasking parameters are a JSON object (the facade checked them against the schema)."""
        if not isinstance(command.parameters, dict):
            raise InvalidBody("$.parameters: SensorThings tasking parameters are a JSON object")

    def _created(self, stream: ControlStream, task: Task) -> Forwarded:
        prov = stream.provenance
        assert prov is not None
        report = CommandStatus(
            id=stable_id(f"{prov.source}/TaskStatus/{task.id}"),  # the id the STA harvest gives it too
            command_id="",
            report_time=task.creation_time or utcnow(),
            status_code=StatusCode.ACCEPTED,
            message=ACCEPTED_MESSAGE.format(task=task.id),
        )
        return Forwarded([report], Provenance(prov.source, "Task", task.id, task.self_link))

    async def submit(self, stream: ControlStream, command: Command) -> Forwarded:
        """POST a Task with the command's parameters; the service's refusal (4xx) is REJECTED."""
        if command.feasibility:
            return Forwarded([_status(StatusCode.REJECTED, "SensorThings Tasking has no feasibility study")])
        try:
            task = await self._reader(stream).create_task(self._capability(stream), command.parameters)
        except StaError as exc:
            if exc.status_code is not None and 400 <= exc.status_code < 500:
                return Forwarded([_status(StatusCode.REJECTED, f"the SensorThings service refused the Task: {exc}")])
            raise
        except HttpError as exc:
            if exc.status_code is None:  # the POST may have arrived: reconcile by listing, never resend blindly
                return Forwarded([_status(StatusCode.PENDING, f"Task creation outcome unknown, to reconcile: {exc}")])
            raise
        return self._created(stream, task)

    async def reconcile(self, stream: ControlStream, command: Command) -> Forwarded | None:
        """Find the Task of a command whose creation was not recorded; create it if the service has none."""
        if command.provenance is not None:
            return None
        prov = stream.provenance
        assert prov is not None
        after = (command.issue_time or utcnow()) - CLOCK_SKEW
        url = prov.via.rstrip("/") + "/Tasks" if prov.via else None
        try:
            tasks = [t async for t in self._reader(stream).tasks(url)]
        except (StaError, HttpError):
            return None
        same = [t for t in tasks if t.tasking_parameters == command.parameters and (t.creation_time or after) >= after]
        if url is None:
            same = [t for t in same if t.tasking_capability_id == prov.legacy_id]
        if same:
            return self._created(stream, min(same, key=lambda t: t.creation_time or after))
        return await self.submit(stream, command)

    async def poll(self, stream: ControlStream, command: Command) -> Forwarded:
        """Nothing to learn: STA tasks carry no status."""
        return Forwarded()

    async def cancel(self, stream: ControlStream, command: Command) -> Forwarded:
        """Refused (CancelNotSupported): STA 1.1 Tasking Core has no cancel operation."""
        raise CancelNotSupported("SensorThings tasks cannot be canceled: STA 1.1 Tasking Core has no cancel operation")

    async def update(self, stream: ControlStream, command: Command) -> Forwarded:
        """Refused (409): STA 1.1 Tasking Core tasks cannot be changed once created."""
        raise Conflict("SensorThings tasks cannot be updated: STA 1.1 Tasking Core tasks are fire-and-forget")


def _status(code: StatusCode, message: str) -> CommandStatus:
    return CommandStatus(command_id="", report_time=utcnow(), status_code=code, message=message)
