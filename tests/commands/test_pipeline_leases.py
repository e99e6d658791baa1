"""The facade submits a new command under the command's lease: a process that stalled past its lease while the
legacy service answered records nothing of that answer (the process that took over reconciles the command), and
the client still gets the command as stored, not a 500."""

from __future__ import annotations

from sqlalchemy import update

from bridge.commands.base import Forwarded
from bridge.commands.pipeline import CommandPipeline, command_lease
from bridge.model.csapi import Command, CommandStatus, ControlStream, Provenance, StatusCode
from bridge.store.sql.leases import SqlLeases
from bridge.store.sql.store import SqlStore
from bridge.store.sql.tables import leases


class _StallingForwarder:
    """Answers ACCEPTED, but only after another process has taken the command's lease over."""

    name = "stalling"

    def __init__(self, store: SqlStore) -> None:
        self.store = store
        self.submitted = 0

    def handles(self, stream: ControlStream) -> bool:
        return True

    async def submit(self, stream: ControlStream, command: Command) -> Forwarded:
        self.submitted += 1
        assert await self.store.leases.acquire(command_lease(command.id), ttl=1) is None  # this process holds it
        async with self.store.engine.begin() as conn:  # this process stalls past its expiry ...
            await conn.execute(update(leases).where(leases.c.name == command_lease(command.id)).values(expires=0))
        assert await SqlLeases(self.store.engine, "worker").acquire(command_lease(command.id), ttl=60)  # taken over
        accepted = CommandStatus(command_id="", status_code=StatusCode.ACCEPTED, message="accepted")
        return Forwarded([accepted], Provenance(source="sps", legacy_type="SpsTask", legacy_id="task-1"))


async def test_a_stalled_facade_records_nothing_and_answers(any_store: SqlStore) -> None:
    forwarder = _StallingForwarder(any_store)
    pipeline = CommandPipeline(any_store, [forwarder])  # type: ignore[list-item]
    stream = ControlStream(id="cs1", system_id="sys1", name="tasking")
    command, created = await pipeline.submit(stream, Command(controlstream_id="cs1", parameters={}), None)
    assert created and forwarder.submitted == 1
    assert command.current_status is StatusCode.PENDING and command.provenance is None  # left to the new holder
