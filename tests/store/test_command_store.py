"""Commands, status reports, results and the stream cascades in the SQL store, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from bridge.errors import Conflict, InvalidBody, NotFound
from bridge.model.csapi import (
    Command,
    CommandResult,
    CommandStatus,
    ControlStream,
    Datastream,
    Kind,
    StatusCode,
    System,
    SystemEvent,
    TimeExtent,
)
from bridge.model.query import CommandQuery, EventQuery, StatusQuery
from bridge.model.time import parse_datetime
from bridge.store.sql.store import SqlStore

PARAMS_SCHEMA = {
    "commandFormat": "application/json",
    "parametersSchema": {"name": "p", "type": "Quantity", "definition": "urn:x:p", "label": "P", "uom": {"code": "1"}},
}
S = StatusCode


async def _stream(store: SqlStore) -> ControlStream:
    system = await store.create_feature(System(uid="urn:x-store:cmd:sys", name="S"))
    stream = await store.create_stream(ControlStream(system_id=system.id, name="cs", schema=PARAMS_SCHEMA))
    assert isinstance(stream, ControlStream)
    return stream


def _pending() -> CommandStatus:
    return CommandStatus(command_id="", status_code=S.PENDING)


async def _codes(store: SqlStore, cmd_id: str) -> list[str]:
    page = await store.list_status(StatusQuery(command_id=cmd_id, limit=100))
    return [s.status_code.value for s in page.items]


async def test_idempotent_creation_and_the_enforced_lifecycle(any_store: SqlStore) -> None:
    stream = await _stream(any_store)
    cmd, created = await any_store.create_command(Command(controlstream_id=stream.id, parameters=1.0), _pending(), "k")
    again, created_again = await any_store.create_command(
        Command(controlstream_id=stream.id, parameters=2.0), _pending(), "k"
    )
    assert created and not created_again and again.id == cmd.id and again.parameters == 1.0
    await any_store.add_status(CommandStatus(command_id=cmd.id, status_code=S.ACCEPTED))
    with pytest.raises(Conflict):
        await any_store.add_status(CommandStatus(command_id=cmd.id, status_code=S.PENDING))
    execution = TimeExtent(parse_datetime("2024-01-01T00:00:00Z"), parse_datetime("2024-01-01T01:00:00Z"))
    await any_store.add_status(CommandStatus(command_id=cmd.id, status_code=S.COMPLETED, execution_time=execution))
    stored = await any_store.get_command(cmd.id)
    assert stored.current_status is S.COMPLETED and stored.execution_time == execution
    with pytest.raises(Conflict):
        await any_store.add_status(CommandStatus(command_id=cmd.id, status_code=S.CANCELED))
    # a forwarder's reports are recorded as the legacy service gave them
    await any_store.add_status(CommandStatus(command_id=cmd.id, status_code=S.FAILED), enforce=False)
    assert (await any_store.get_command(cmd.id)).current_status is S.FAILED
    assert await _codes(any_store, cmd.id) == ["PENDING", "ACCEPTED", "COMPLETED", "FAILED"]
    cs = await any_store.get_stream(Kind.CONTROL_STREAM, stream.id)
    assert isinstance(cs, ControlStream) and cs.execution_time == execution and cs.issue_time is not None


async def test_replacing_and_deleting_reports_keeps_current_status_on_the_latest(any_store: SqlStore) -> None:
    stream = await _stream(any_store)
    cmd, _ = await any_store.create_command(Command(controlstream_id=stream.id, parameters=1.0), _pending())
    accepted = await any_store.add_status(CommandStatus(command_id=cmd.id, status_code=S.ACCEPTED))
    executing = await any_store.add_status(CommandStatus(command_id=cmd.id, status_code=S.EXECUTING))
    await any_store.replace_status(CommandStatus(id=executing.id, command_id=cmd.id, status_code=S.FAILED, message="x"))
    assert (await any_store.get_command(cmd.id)).current_status is S.FAILED
    with pytest.raises(Conflict):  # ACCEPTED → PENDING
        await any_store.replace_status(CommandStatus(id=executing.id, command_id=cmd.id, status_code=S.PENDING))
    with pytest.raises(NotFound):
        await any_store.replace_status(CommandStatus(id="nope", command_id=cmd.id, status_code=S.FAILED))
    await any_store.delete_status(cmd.id, executing.id)
    assert (await any_store.get_command(cmd.id)).current_status is S.ACCEPTED
    await any_store.delete_status(cmd.id, accepted.id)
    first = (await any_store.list_status(StatusQuery(command_id=cmd.id))).items[0]
    with pytest.raises(Conflict):
        await any_store.delete_status(cmd.id, first.id)
    assert (await any_store.get_command(cmd.id)).current_status is S.PENDING


async def test_results_and_the_cascades(any_store: SqlStore) -> None:
    stream = await _stream(any_store)
    cmd, _ = await any_store.create_command(Command(controlstream_id=stream.id, parameters=1.0), _pending())
    result = await any_store.add_result(CommandResult(command_id=cmd.id, data={"a": 1}))
    await any_store.replace_result(
        CommandResult(
            id=result.id, command_id=cmd.id, link_member="datastream@link", link={"href": "https://example.org/ds/1"}
        )
    )
    got = await any_store.get_result(cmd.id, result.id)
    assert got.link_member == "datastream@link" and got.data is None
    with pytest.raises(NotFound):
        await any_store.add_result(CommandResult(command_id="nope", data=1))
    with pytest.raises(Conflict):
        await any_store.delete_stream(Kind.CONTROL_STREAM, stream.id, cascade=False)
    system_id = stream.system_id
    ds = await any_store.create_stream(
        Datastream(
            system_id=system_id,
            name="ds",
            schema={"obsFormat": "application/json", "resultSchema": PARAMS_SCHEMA["parametersSchema"]},
        ),
        "num",
    )
    await any_store.create_event(
        SystemEvent(
            system_id=system_id,
            label="e",
            definition="urn:x:e",
            time=TimeExtent(parse_datetime("2024-01-01T00:00:00Z"), None),
        )
    )
    with pytest.raises(Conflict):  # the streams block a plain delete of their system
        await any_store.delete_feature(Kind.SYSTEM, system_id, cascade=False)
    await any_store.delete_feature(Kind.SYSTEM, system_id, cascade=True)
    for kind, sid in ((Kind.CONTROL_STREAM, stream.id), (Kind.DATASTREAM, ds.id)):
        with pytest.raises(NotFound):
            await any_store.get_stream(kind, sid)
    with pytest.raises(NotFound):
        await any_store.get_command(cmd.id)
    assert (await any_store.list_commands(CommandQuery())).items == []
    assert (await any_store.list_events(EventQuery())).items == []


async def test_values_the_database_cannot_hold_are_client_errors(any_store: SqlStore) -> None:
    stream = await _stream(any_store)
    with pytest.raises(InvalidBody):  # longer than the 80 characters of an id column
        await any_store.create_command(
            Command(controlstream_id=stream.id, parameters=1.0, sampling_feature_id="x" * 200), _pending()
        )
    if any_store.engine.dialect.name == "postgresql":
        with pytest.raises(InvalidBody):  # PostgreSQL text cannot hold a NUL character
            await any_store.create_command(
                Command(controlstream_id=stream.id, parameters=1.0, sender="a\x00b"), _pending()
            )
