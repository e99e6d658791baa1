"""The forwarder seam: where commands posted to the facade reach a legacy service (SPS, STA Tasking).

A forwarder is chosen per control stream from the stream's provenance (the source it was harvested
from). It answers with status reports to record; the pipeline stores them, so a forwarder never
writes to the store. One that needs to read it (a confirmation names the reservation it confirms; a
task's results are linked to harvested datastreams) gets a `StoreReader` through `bind_reader`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from bridge.errors import Conflict
from bridge.model.csapi import Command, CommandResult, CommandStatus, ControlStream, Datastream, Provenance


class CancelNotSupported(Conflict):
    """The legacy service has no way to cancel a task (STA 1.1): a cancel request is a 409, but deleting
    the command resource is still allowed — there is nothing upstream to stop."""


@dataclass(slots=True)
class Forwarded:
    """What a legacy service said: status reports to append, and the legacy task behind the command."""

    statuses: list[CommandStatus] = field(default_factory=list)
    task: Provenance | None = None
    results: list[CommandResult] = field(default_factory=list)
    others: dict[str, Forwarded] = field(default_factory=dict)  # what it said about other commands, by id


class StoreReader(Protocol):
    """What a forwarder may read from the store (it never writes)."""

    async def command(self, cmd_id: str) -> Command:
        """A stored command (NotFound otherwise)."""
        ...

    async def datastreams_of(self, system_id: str) -> list[Datastream]:
        """The datastreams of a system (e.g. where a task's data lands, harvested from an SOS)."""
        ...


class Forwarder(Protocol):
    """Sends commands of the control streams it handles to their legacy service."""

    name: str

    def handles(self, stream: ControlStream) -> bool:
        """Whether this forwarder serves the control stream (by its provenance)."""
        ...

    async def submit(self, stream: ControlStream, command: Command) -> Forwarded:
        """Forward a new command (SPS Submit, STA POST Task)."""
        ...

    async def cancel(self, stream: ControlStream, command: Command) -> Forwarded:
        """Cancel the legacy task (SPS Cancel)."""
        ...

    async def update(self, stream: ControlStream, command: Command) -> Forwarded:
        """Change the parameters of the legacy task (SPS Update)."""
        ...

    async def poll(self, stream: ControlStream, command: Command) -> Forwarded:
        """New status reports since the command's last one (SPS GetStatus)."""
        ...

    async def reconcile(self, stream: ControlStream, command: Command) -> Forwarded | None:
        """Find the legacy task of a command whose submission outcome was not recorded (crash), or None."""
        ...
