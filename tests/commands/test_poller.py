"""The status poller on its own (no HTTP facade): which commands it polls, when it stops, how it survives errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bridge.commands.pipeline import CommandPipeline
from bridge.commands.sps2 import SpsForwarder
from bridge.jobs.poller import CommandPoller
from bridge.mapping.transforms import stable_id
from bridge.model.csapi import Command, ControlStream, Kind, StatusCode
from bridge.sources.http import HttpPolicy
from bridge.store.sql.store import SqlStore
from tests.sps_server.state import ServerState

from .conftest import CAMERA, CAMERA_PARAMS, harvest_into, sps_source


@pytest.fixture
async def wired(sps_server: ServerState, tmp_path: Path) -> AsyncIterator[tuple[SqlStore, CommandPipeline]]:
    db = tmp_path / "p.db"
    source = sps_source(sps_server)
    await harvest_into(db, source)
    store = await SqlStore.open(f"sqlite:///{db}")
    forwarder = SpsForwarder([source], policy=HttpPolicy(retries=0))
    yield store, CommandPipeline(store, [forwarder])
    await forwarder.aclose()
    await store.close()


async def _submit(store: SqlStore, pipeline: CommandPipeline) -> tuple[ControlStream, Command]:
    stream = await store.get_stream(Kind.CONTROL_STREAM, stable_id(f"sps1/SpsTasking/{CAMERA}"))
    assert isinstance(stream, ControlStream)
    command, _ = await pipeline.submit(stream, Command(controlstream_id=stream.id, parameters=CAMERA_PARAMS), None)
    return stream, command


async def test_polls_until_a_final_state(wired: tuple[SqlStore, CommandPipeline], sps_server: ServerState) -> None:
    store, pipeline = wired
    _, command = await _submit(store, pipeline)
    poller = CommandPoller(store, pipeline, interval=1.0)
    assert (await poller.poll()).polled == 1
    assert (await store.get_command(command.id)).current_status is StatusCode.ACCEPTED
    task = sps_server.tasks_of(CAMERA)[0].task_id
    sps_server.advance(task, "InExecution")
    sps_server.advance(task, "Completed")
    assert (await poller.poll()).polled == 1
    assert (await store.get_command(command.id)).current_status is StatusCode.COMPLETED
    before = len(sps_server.requests)
    assert (await poller.tick()).polled == 0  # final: never asked again
    assert sps_server.requests[before:] == []


async def test_old_commands_are_left_alone(wired: tuple[SqlStore, CommandPipeline], sps_server: ServerState) -> None:
    store, pipeline = wired
    await _submit(store, pipeline)
    assert (await CommandPoller(store, pipeline, max_age=1e-6).poll()).polled == 0


async def test_one_failing_command_does_not_stop_the_round(
    wired: tuple[SqlStore, CommandPipeline], sps_server: ServerState
) -> None:
    store, pipeline = wired
    _, lost = await _submit(store, pipeline)
    _, fine = await _submit(store, pipeline)
    assert lost.provenance is not None
    await store.set_command_provenance(lost.id, replace(lost.provenance, legacy_id=CAMERA + "/tasks/999"))
    sps_server.advance(fine.provenance.legacy_id, "InExecution")  # type: ignore[union-attr]
    result = await CommandPoller(store, pipeline).poll()
    assert result.polled == 1 and len(result.errors) == 1 and "unknown to the service" in result.errors[0]
    assert (await store.get_command(fine.id)).current_status is StatusCode.EXECUTING


async def test_a_poll_interval_too_slow_for_the_sps_status_retention_is_warned_about(
    sps_server: ServerState, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The SPS keeps status for minStatusTime (PT12H in the served capabilities): polling less than twice in
    that time could miss states, so the operator is told once, when the service is first contacted."""
    db = tmp_path / "w.db"
    source = sps_source(sps_server)
    await harvest_into(db, source)
    store = await SqlStore.open(f"sqlite:///{db}")
    try:
        for interval, warned in ((10.0, False), (8 * 3600.0, True)):
            caplog.clear()
            forwarder = SpsForwarder([source], policy=HttpPolicy(retries=0), poll_interval=interval)
            await _submit(store, CommandPipeline(store, [forwarder]))
            await forwarder.aclose()
            messages = [r.getMessage() for r in caplog.records if "minStatusTime" in r.getMessage()]
            assert bool(messages) is warned, messages
            assert not warned or "PT12H" in messages[0]
    finally:
        await store.close()
