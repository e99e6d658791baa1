"""The live outbox on SQLite and PostgreSQL: one entry per committed batch, command, report or resource event,
written in the committing transaction, nothing when live publishing is off, and keys handed out in commit order."""

from __future__ import annotations

import asyncio

import pytest

from bridge.model.csapi import Command, CommandStatus, ControlStream, Datastream, Kind, Provenance, StatusCode, System
from bridge.model.harvest import MappedBatch, StreamRows
from bridge.model.observations import ObsRow
from bridge.model.time import utcnow
from bridge.store.sql.outbox import OutboxEntry, event
from bridge.store.sql.store import SqlStore
from bridge.store.sql.tables import outbox

SCHEMA = {
    "obsFormat": "application/json",
    "resultSchema": {"name": "t", "type": "Quantity", "definition": "http://x/t", "label": "T", "uom": {"code": "Cel"}},
}


def rows(n: int, start: int = 0) -> list[ObsRow]:
    t0 = 1_700_000_000_000_000
    return [ObsRow(t0 + i, t0 + i, None, float(i), None, None, 1000 + i) for i in range(start, start + n)]


async def _stream(store: SqlStore, name: str = "s") -> tuple[str, str]:
    system = await store.create_feature(
        System(uid=f"urn:x:{name}", name=name, feature_type="http://www.w3.org/ns/sosa/Sensor")
    )
    ds = await store.create_stream(Datastream(system_id=system.id, name=name, schema=SCHEMA), "num")
    return system.id, ds.id


async def test_nothing_is_recorded_while_live_publishing_is_off(any_store: SqlStore) -> None:
    _, ds = await _stream(any_store)
    await any_store.insert_observations(ds, rows(3), want_ids=True)
    assert await any_store.outbox.read(0, 10) == []


async def test_each_write_path_records_what_it_committed(any_store: SqlStore) -> None:
    any_store.outbox.enabled = True
    sys_id, ds = await _stream(any_store)
    ids = await any_store.insert_observations(ds, rows(3), want_ids=True)  # HTTP POST (JSON)
    count = await any_store.insert_observations(ds, rows(2, 10), want_ids=False)  # HTTP POST (SWE bulk)
    harvested = MappedBatch(
        resources=[
            System(id="hs", uid="urn:x:h", name="h", feature_type="x", provenance=Provenance("src", "Thing", "1"))
        ],
        observations=[StreamRows(ds, rows(4, 20), "k", 5), StreamRows(ds, rows(4, 20), "k", 5)],  # repeats dropped
    )
    await any_store.write_batch("src", await any_store.start_run("src"), harvested)
    entries = [r.entry for r in await any_store.outbox.read(0, 100)]
    kinds = [(e.kind, e.ref, (e.doc or {}).get("action")) for e in entries]
    assert kinds == [
        ("event", sys_id, "create"), ("event", ds, "create"), ("observations", ds, None), ("observations", ds, None),
        ("event", "hs", "create"), ("observations", ds, None),
    ]  # fmt: skip
    assert isinstance(ids, list) and count == 2
    # each observation entry covers exactly the rows its transaction inserted
    covered = [
        await any_store.observations.key_range(ds, int(e.lo or 0), int(e.hi or 0), 100)
        for e in entries
        if e.kind == "observations"
    ]
    assert [str(r.pk) for r in covered[0]] == ids
    assert [len(c) for c in covered] == [3, 2, 4]


async def test_commands_reports_and_deletions_are_recorded(any_store: SqlStore) -> None:
    any_store.outbox.enabled = True
    system = await any_store.create_feature(System(uid="urn:x:c", name="c", feature_type="x"))
    schema = {"commandFormat": "application/json", "parametersSchema": SCHEMA["resultSchema"]}
    cs = await any_store.create_stream(ControlStream(system_id=system.id, name="c", schema=schema))
    first = CommandStatus(command_id="", status_code=StatusCode.PENDING, report_time=utcnow())
    cmd, _ = await any_store.create_command(Command(controlstream_id=cs.id, parameters=1.0), first)
    done = await any_store.add_status(
        CommandStatus(command_id=cmd.id, status_code=StatusCode.ACCEPTED, report_time=utcnow())
    )
    await any_store.delete_stream(Kind.CONTROL_STREAM, cs.id, cascade=True)
    entries = [r.entry for r in await any_store.outbox.read(0, 100)]
    assert [(e.kind, e.ref) for e in entries][2:] == [
        ("command", cmd.id),
        ("status", first.id),
        ("status", done.id),
        ("event", cs.id),
    ]
    assert entries[-1].doc == {"action": "delete", "path": "controlstreams", "parent": system.id}


async def test_published_entries_are_pruned_and_keys_never_reused(any_store: SqlStore) -> None:
    any_store.outbox.enabled = True
    async with any_store.engine.begin() as conn:
        await any_store.outbox.append(conn, [event("create", "systems", "a"), event("create", "systems", "b")])
    read = await any_store.outbox.read(0, 10)
    await any_store.outbox.advance("t", read[-1].pk)
    assert await any_store.outbox.position("t") == read[-1].pk
    async with any_store.engine.connect() as conn:
        assert (await conn.execute(outbox.select())).first() is None
    async with any_store.engine.begin() as conn:
        await any_store.outbox.append(conn, [event("create", "systems", "c")])
    later = await any_store.outbox.read(read[-1].pk, 10)
    assert [r.entry.ref for r in later] == ["c"]  # an emptied table does not hand out a published key again


async def test_keys_follow_commit_order_on_postgresql(any_store: SqlStore) -> None:
    """A transaction that appends while another has appended but not committed waits for it: a reader that saw
    key n never finds a key below n committed later."""
    if any_store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has a single writer")
    any_store.outbox.enabled = True
    first = await any_store.engine.connect()
    tx = await first.begin()
    await any_store.outbox.append(first, [OutboxEntry("event", "first", doc={"action": "create", "path": "systems"})])

    async def second() -> None:
        async with any_store.engine.begin() as conn:
            await any_store.outbox.append(
                conn, [OutboxEntry("event", "second", doc={"action": "create", "path": "systems"})]
            )

    task = asyncio.create_task(second())
    await asyncio.sleep(0.5)
    assert not task.done()  # held until the first transaction ends
    assert await any_store.outbox.read(0, 10) == []
    await tx.commit()
    await first.close()
    await asyncio.wait_for(task, 10)
    refs = [r.entry.ref for r in await any_store.outbox.read(0, 10)]
    assert refs == ["first", "second"]
