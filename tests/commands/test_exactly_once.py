"""Exactly once across crashes: a command stored but whose SPS answer was never recorded is reconciled when
the bridge comes back (a fresh app on the same store, and a real process killed with SIGKILL and restarted)
through the SPS client reference — never submitted a second time."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest

from bridge.mapping.transforms import stable_id
from bridge.model.csapi import Command, CommandStatus, StatusCode
from bridge.sources.http import HttpPolicy, PoliteClient
from bridge.sources.sps2 import SpsClient
from bridge.store.sql.store import SqlStore
from tests.loopback import bridge_up, free_port, serve_bridge
from tests.sps_server.state import ServerState

from .bridge_server import bridge_settings, eventually, start_bridge
from .conftest import CAMERA, CAMERA_PARAMS, harvest_into, sps_source

CAMERA_STREAM = stable_id(f"sps1/SpsTasking/{CAMERA}")


async def _stored_pending(db: Path, key: str | None = None) -> str:
    """What the pipeline does before forwarding: the command is stored PENDING (and committed)."""
    store = await SqlStore.open(f"sqlite:///{db}")
    try:
        pending = CommandStatus(command_id="", status_code=StatusCode.PENDING, message="received")
        command, _ = await store.create_command(
            Command(controlstream_id=CAMERA_STREAM, parameters=CAMERA_PARAMS), pending, key
        )
        return command.id
    finally:
        await store.close()


async def _submit_directly(server: ServerState, reference: str) -> str:
    """The Submit the dead process had sent (with the command id as client reference)."""
    async with PoliteClient(HttpPolicy(retries=0)) as http:
        client = SpsClient(server.url, http)
        await client.get_capabilities()
        return (await client.submit(CAMERA, CAMERA_PARAMS, client_reference=reference)).report.task_id


async def _command(url: str, cmd_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=url, timeout=10) as http:
        return (await http.get(f"/commands/{cmd_id}")).json()  # type: ignore[no-any-return]


async def _settled(url: str, cmd_id: str) -> dict[str, Any]:
    """The command once the restarted bridge has reconciled it (in its first background round)."""

    async def check() -> dict[str, Any] | None:
        command = await _command(url, cmd_id)
        return command if command["currentStatus"] != "PENDING" else None

    return await eventually(check)  # type: ignore[no-any-return]


async def test_fresh_app_reconciles_a_submit_it_never_recorded(sps_server: ServerState, tmp_path: Path) -> None:
    db = tmp_path / "bridge.db"
    source = sps_source(sps_server)
    await harvest_into(db, source)
    cmd_id = await _stored_pending(db, key="retry-me")
    task_id = await _submit_directly(sps_server, cmd_id)  # ... and the process died here
    server = start_bridge(bridge_settings(db, [source]))  # its first polling round reconciles
    try:
        command = await _settled(server.url, cmd_id)
        assert command["currentStatus"] == "ACCEPTED"
        assert sps_server.created() == 1 and sps_server.submit_requests[cmd_id] == 2  # repeated, deduplicated
        assert [t.task_id for t in sps_server.tasks_of(client_reference=cmd_id)] == [task_id]
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:  # the client retries its POST
            retry = await http.post(
                f"/controlstreams/{CAMERA_STREAM}/commands",
                json={"parameters": CAMERA_PARAMS},
                headers={"Idempotency-Key": "retry-me"},
            )
        assert retry.status_code == 201 and retry.headers["Location"].endswith(f"/commands/{cmd_id}")
        assert sps_server.submit_requests[cmd_id] == 2 and sps_server.created() == 1
        sps_server.advance(task_id, "Completed")

        async def done() -> bool:
            return (await _command(server.url, cmd_id))["currentStatus"] == "COMPLETED"

        await eventually(done)  # and it is followed like any other command
    finally:
        server.stop()


async def test_a_command_that_never_reached_the_sps_is_submitted_once(sps_server: ServerState, tmp_path: Path) -> None:
    db = tmp_path / "bridge.db"
    source = sps_source(sps_server)
    await harvest_into(db, source)
    cmd_id = await _stored_pending(db)  # died before sending anything
    server = start_bridge(bridge_settings(db, [source]))
    try:
        assert (await _settled(server.url, cmd_id))["currentStatus"] == "ACCEPTED"
        assert sps_server.created() == 1 and sps_server.submit_requests[cmd_id] == 1
    finally:
        server.stop()


async def test_without_idempotent_submit_an_unknown_outcome_is_not_resent(
    sps_server: ServerState, tmp_path: Path
) -> None:
    db = tmp_path / "bridge.db"
    source = sps_source(sps_server)
    await harvest_into(db, source)
    sps_server.idempotent_submit = False
    cmd_id = await _stored_pending(db)
    await _submit_directly(sps_server, cmd_id)
    server = start_bridge(bridge_settings(db, [source]))
    try:
        command = await _settled(server.url, cmd_id)
        assert command["currentStatus"] == "FAILED"
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            (*_, last) = (await http.get(f"/commands/{cmd_id}/status")).json()["items"]
        assert "not sent again" in last["message"]
        assert sps_server.submit_requests[cmd_id] == 1 and sps_server.created() == 1
    finally:
        server.stop()


# -------------------------------------------------------------------------------- a real process restart


def _config(tmp_path: Path, db: Path, server: ServerState) -> Path:
    config = tmp_path / "bridge.toml"
    config.write_text(
        f'store = "sqlite:///{db}"\ncommand_poll_interval = 0.2\nlease_ttl = 2.0\n\n'
        # the explicit opt-in of a loopback test bridge: anonymous clients may submit commands
        '[auth]\nanonymous_roles = ["read", "command"]\n\n'
        f'[[sources]]\nname = "sps1"\ntype = "sps"\nurl = "{server.url}"\nretries = 1\ntimeout = 10.0\n',
        encoding="utf-8",
    )
    return config


@pytest.mark.slow
async def test_process_killed_between_submit_and_recording(sps_server: ServerState, tmp_path: Path) -> None:
    db = tmp_path / "bridge.db"
    await harvest_into(db, sps_source(sps_server))
    config, log = _config(tmp_path, db, sps_server), tmp_path / "bridge.log"
    sps_server.timeout_delay = 1.0
    sps_server.fail_next("timeout", "Submit")  # the SPS takes a second to create the task and answer
    sock, port = free_port()
    sock.close()
    url = f"http://127.0.0.1:{port}"
    first = serve_bridge(config, port, log, "--sync")
    try:
        await bridge_up(url, first, log)
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            post = asyncio.create_task(
                http.post(f"/controlstreams/{CAMERA_STREAM}/commands", json={"parameters": CAMERA_PARAMS})
            )
            await eventually(_arrived(sps_server))  # the Submit is at the SPS...
            first.send_signal(signal.SIGKILL)  # ... and the bridge dies before it has the answer
            first.wait(timeout=10)
            with pytest.raises(httpx.TransportError):
                await post
    finally:
        if first.poll() is None:
            first.kill()
    await eventually(_created(sps_server))  # the SPS did create the task
    store = await SqlStore.open(f"sqlite:///{db}")
    try:
        (command,) = (await store.list_commands(_query())).items
    finally:
        await store.close()
    assert command.current_status is StatusCode.PENDING and command.provenance is None  # never recorded
    second = serve_bridge(config, port, log, "--sync")
    try:
        await bridge_up(url, second, log)
        assert (await _settled(url, command.id))["currentStatus"] == "ACCEPTED"
        (task,) = sps_server.tasks_of(CAMERA)
        assert task.client_reference == command.id
        assert sps_server.created() == 1 and sps_server.submit_requests[command.id] == 2
    finally:
        second.terminate()
        second.wait(timeout=10)


def _arrived(server: ServerState) -> Any:
    async def check() -> bool:
        return ("Submit", "pox") in server.requests

    return check


def _created(server: ServerState) -> Any:
    async def check() -> bool:
        return server.created() == 1

    return check


def _query() -> Any:
    from bridge.model.query import CommandQuery

    return CommandQuery(limit=10)
