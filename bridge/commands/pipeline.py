"""Command pipeline: store a posted command (PENDING), hand it to the stream's forwarder, record the answer."""

from __future__ import annotations

import logging

from bridge.commands.base import Forwarded, Forwarder
from bridge.errors import BridgeError
from bridge.model.csapi import Command, CommandStatus, ControlStream, StatusCode
from bridge.model.time import utcnow
from bridge.store.base import Store

log = logging.getLogger("bridge.commands")


class CommandPipeline:
    """The single path from the HTTP facade to forwarders; without one, commands stay PENDING."""

    def __init__(self, store: Store, forwarders: list[Forwarder] | None = None) -> None:
        self.store = store
        self.forwarders = list(forwarders or [])

    def forwarder_for(self, stream: ControlStream) -> Forwarder | None:
        return next((f for f in self.forwarders if f.handles(stream)), None)

    async def submit(
        self, stream: ControlStream, command: Command, idempotency_key: str | None
    ) -> tuple[Command, bool]:
        """Create (or, on a retried key, return) a command; new commands are forwarded once.

        Returns the command as stored and whether it was created by this call.
        """
        pending = CommandStatus(command_id="", status_code=StatusCode.PENDING, report_time=utcnow(), message="received")
        stored, created = await self.store.create_command(command, pending, idempotency_key)
        if not created:
            return stored, False
        forwarder = self.forwarder_for(stream)
        if forwarder is not None:
            await self._record(stored.id, await self._call(forwarder.submit(stream, stored), stored.id))
        return await self.store.get_command(stored.id), True

    async def cancel(self, stream: ControlStream, command: Command, report: CommandStatus) -> None:
        """A CANCELED report posted by a client: forwarded first, recorded if the service agrees."""
        forwarder = self.forwarder_for(stream)
        if forwarder is None:
            await self.store.add_status(report)
            return
        answer = await forwarder.cancel(stream, command)
        await self._record(command.id, answer)

    async def update(self, stream: ControlStream, command: Command) -> None:
        forwarder = self.forwarder_for(stream)
        if forwarder is not None:
            await self._record(command.id, await forwarder.update(stream, command))

    async def poll(self, stream: ControlStream, command: Command) -> None:
        forwarder = self.forwarder_for(stream)
        if forwarder is not None:
            await self._record(command.id, await forwarder.poll(stream, command))

    async def _call(self, call: object, command_id: str) -> Forwarded:
        """Await a forwarder call; a legacy failure becomes a FAILED report rather than a lost command."""
        try:
            return await call  # type: ignore[misc, no-any-return]
        except BridgeError as exc:
            log.warning("forwarding command %s failed: %s", command_id, exc.description)
            failed = CommandStatus(
                command_id=command_id, status_code=StatusCode.FAILED, report_time=utcnow(),
                message=f"the legacy service could not be reached or refused the request: {exc.description}",
            )  # fmt: skip
            return Forwarded(statuses=[failed])

    async def _record(self, command_id: str, answer: Forwarded) -> None:
        if answer.task is not None:
            await self.store.set_command_provenance(command_id, answer.task)
        for status in answer.statuses:
            status.command_id = command_id
            await self.store.add_status(status, enforce=False)
        for result in answer.results:
            result.command_id = command_id
            await self.store.add_result(result)
