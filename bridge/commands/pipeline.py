"""Command pipeline: store a posted command (PENDING), hand it to the stream's forwarder, record the answer."""

from __future__ import annotations

import asyncio
import logging

from bridge import metrics
from bridge.commands.base import Forwarded, Forwarder
from bridge.errors import BridgeError
from bridge.model.csapi import Command, CommandStatus, ControlStream, Datastream, Kind, StatusCode
from bridge.model.query import IdList, StatusQuery, StreamQuery
from bridge.model.time import utcnow
from bridge.store.base import TaskingStore

log = logging.getLogger("bridge.commands")


class _Reader:
    """The read-only view of the store given to forwarders (`bridge.commands.base.StoreReader`)."""

    def __init__(self, store: TaskingStore) -> None:
        self.store = store

    async def command(self, cmd_id: str) -> Command:
        return await self.store.get_command(cmd_id, feasibility=False)

    async def datastreams_of(self, system_id: str) -> list[Datastream]:
        query = StreamQuery(Kind.DATASTREAM, limit=10_000, system=IdList(local=(system_id,)))
        return [s for s in (await self.store.list_streams(query)).items if isinstance(s, Datastream)]


class CommandPipeline:
    """The single path from the HTTP facade to forwarders; without one, commands stay PENDING."""

    def __init__(self, store: TaskingStore, forwarders: list[Forwarder] | None = None) -> None:
        self.store = store
        self.forwarders = list(forwarders or [])
        for forwarder in self.forwarders:
            bind = getattr(forwarder, "bind_reader", None)
            if bind is not None:
                bind(_Reader(store))
        self._locks = [asyncio.Lock() for _ in range(64)]  # striped by command id

    def forwarder_for(self, stream: ControlStream) -> Forwarder | None:
        """The first forwarder that handles the control stream (by its provenance), None for a local stream."""
        return next((f for f in self.forwarders if f.handles(stream)), None)

    async def submit(
        self, stream: ControlStream, command: Command, idempotency_key: str | None
    ) -> tuple[Command, bool]:
        """Create (or, on a retried key, return) a command; new commands are forwarded once.

        Returns the command as stored and whether it was created by this call.
        """
        if idempotency_key and (retried := await self.store.command_by_key(stream.id, idempotency_key)):
            return retried, False  # a retry is answered, never re-checked (its effect may have changed the state)
        forwarder = self.forwarder_for(stream)
        check = getattr(forwarder, "validate", None)
        if check is not None:  # the legacy service's own rules (e.g. SPS parameter encoding): 400, nothing stored
            await check(stream, command)
        pending = CommandStatus(command_id="", status_code=StatusCode.PENDING, report_time=utcnow(), message="received")
        stored, created = await self.store.create_command(command, pending, idempotency_key)
        if not created:
            return stored, False
        if forwarder is not None:
            answer = await self._call(forwarder.submit(stream, stored), stored.id)
            metrics.record_forwarded("submit", _outcome(answer))
            await self._record(stored.id, answer)
        return await self.store.get_command(stored.id), True

    async def cancel(self, stream: ControlStream, command: Command, report: CommandStatus) -> CommandStatus | None:
        """A CANCELED report posted by a client: forwarded first, recorded if the service agrees.

        Returns the last report recorded (None when the legacy service answered nothing to record).
        """
        forwarder = self.forwarder_for(stream)
        if forwarder is None:
            return await self.store.add_status(report)
        answer = await forwarder.cancel(stream, command)
        metrics.record_forwarded("cancel", _outcome(answer))
        await self._record(command.id, answer)
        return answer.statuses[-1] if answer.statuses else None

    async def update(self, stream: ControlStream, command: Command) -> None:
        """Forward a command's new parameters (SPS Update) and record the answer; called before they are stored."""
        forwarder = self.forwarder_for(stream)
        if forwarder is not None:
            answer = await forwarder.update(stream, command)
            metrics.record_forwarded("update", _outcome(answer))
            await self._record(command.id, answer)

    async def poll(self, stream: ControlStream, command: Command) -> None:
        """Ask the legacy service for new status reports and results (SPS GetStatus) and record them."""
        forwarder = self.forwarder_for(stream)
        if forwarder is not None:
            await self._record(command.id, await forwarder.poll(stream, command))

    async def reconcile(self, stream: ControlStream, command: Command) -> bool:
        """A command stored but never answered (crash): let its forwarder find or redo the legacy task once."""
        forwarder = self.forwarder_for(stream)
        answer = await forwarder.reconcile(stream, command) if forwarder is not None else None
        if answer is None:
            return False
        metrics.record_forwarded("reconcile", _outcome(answer))
        await self._record(command.id, answer)
        return True

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
        """Store what the forwarder said; reports and results with ids already stored are skipped (re-polls).

        One command is recorded by one caller at a time (the poller and a cancel/update may see the same report).
        """
        async with self._locks[hash(command_id) % len(self._locks)]:
            await self._record_now(command_id, answer)
        for other_id, other in answer.others.items():
            await self._record(other_id, other)

    async def _record_now(self, command_id: str, answer: Forwarded) -> None:
        if answer.task is not None:
            await self.store.set_command_provenance(command_id, answer.task)
        # results first: a client that sees the final status finds the results there already
        known: set[str] = set()
        if any(r.id for r in answer.results):
            known = {r.id for r in (await self.store.list_results(command_id, 100_000, None)).items}
        for result in answer.results:
            if result.id and result.id in known:
                continue
            result.command_id = command_id
            await self.store.add_result(result)
        if any(s.id for s in answer.statuses):
            known = {s.id for s in (await self.store.list_status(StatusQuery(command_id, limit=100_000))).items}
        for status in answer.statuses:
            if status.id and status.id in known:
                continue
            status.command_id = command_id
            await self.store.add_status(status, enforce=False)


def _outcome(answer: Forwarded) -> str | None:
    """The status the legacy service answered (the last report), for the forwarding counter."""
    return str(answer.statuses[-1].status_code) if answer.statuses else None
