"""SPS 2.0 harvest: taskable procedures → Systems + ControlStreams, existing tasks → Commands with their whole
status history; the same procedure URI from two sources is one System; deployment overrides of the mapping
tables (status codes, parameter encoding); the `harvest` command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from bridge.api.app import create_app
from bridge.cli import main
from bridge.jobs.run import run_harvest
from bridge.mapping.transforms import stable_id
from bridge.settings import Settings, SourceConfig
from bridge.sources.http import HttpPolicy, PoliteClient
from bridge.sources.sps2 import SpsClient
from bridge.store.sql.store import SqlStore
from tests.open_access import OPEN
from tests.sps_server.state import ServerState
from tests.validate import PART1, PART2, assert_valid

from .bridge_server import bridge_settings, eventually, start_bridge
from .conftest import CAMERA, CAMERA_PARAMS, SENSOR, SENSOR_PARAMS, sps_source


class TaskSource(SourceConfig):
    """A source naming existing SPS tasks to import (SPS 2.0 cannot list them)."""

    tasks: list[str] = []  # noqa: RUF012  (a pydantic field, copied per instance)


async def _tasks_on_the_sps(server: ServerState) -> tuple[str, str]:
    """One task completed after an update, one still executing, created by another SPS client."""
    async with PoliteClient(HttpPolicy(retries=0)) as http:
        client = SpsClient(server.url, http)
        await client.get_capabilities()
        done = (await client.submit(CAMERA, CAMERA_PARAMS)).report.task_id
        running = (await client.submit(SENSOR, SENSOR_PARAMS)).report.task_id
        server.advance(done, "InExecution", percent=10)
        await client.update(done, {"focalLength": 5})
        server.advance(done, "Completed")
        server.advance(running, "InExecution", percent=50)
    return done, running


async def _get(store: SqlStore, path: str) -> Any:
    app = create_app(Settings(auth=OPEN, store="sqlite:///:memory:", base_url="http://bridge"), store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bridge") as http:
        return (await http.get(path)).json()


async def test_existing_tasks_become_commands_with_their_history(sps_server: ServerState, tmp_path: Path) -> None:
    done, running = await _tasks_on_the_sps(sps_server)
    db = tmp_path / "bridge.db"
    store = await SqlStore.open(f"sqlite:///{db}")
    source = TaskSource(name="sps1", type="sps", url=sps_server.url, tasks=[done, running])
    report = await run_harvest(source, store)
    assert report.status == "completed", report.errors
    assert report.to_json()["entities"] == {
        "SpsProcedure": {"created": 2},
        "SpsTasking": {"created": 2},
        "SpsReservation": {"created": 2},  # the service offers Reserve/Confirm: linked streams
        "SpsConfirmation": {"created": 2},
        "SpsTask": {"created": 2},
    }
    systems = await _get(store, "/systems")
    assert_valid(PART1 + "geojson/systemCollection.json", systems)
    assert {s["properties"]["uid"] for s in systems["features"]} == {CAMERA, SENSOR}
    command = await _get(store, f"/commands/{stable_id(f'sps1/SpsTask/{done}')}")
    assert_valid(PART2 + "command.json", command)
    assert command["currentStatus"] == "COMPLETED" and command["parameters"] == {**CAMERA_PARAMS, "focalLength": 5}
    history = (await _get(store, f"/commands/{command['id']}/status"))["items"]
    assert [s["statusCode"] for s in history] == ["ACCEPTED", "EXECUTING", "UPDATED", "COMPLETED"]
    rerun = await run_harvest(sps_source(sps_server), store)  # no task list: the known ones are refreshed
    assert rerun.to_json()["entities"]["SpsTask"] == {"unchanged": 2}
    await store.close()

    server = start_bridge(bridge_settings(db, [sps_source(sps_server)]))  # a harvested task is polled too
    try:
        sps_server.advance(running, "Completed")
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            path = f"/commands/{stable_id(f'sps1/SpsTask/{running}')}"

            async def completed() -> bool:
                return (await http.get(path)).json()["currentStatus"] == "COMPLETED"

            await eventually(completed)
            codes = [s["statusCode"] for s in (await http.get(path + "/status")).json()["items"]]
    finally:
        server.stop()
    assert codes == ["ACCEPTED", "EXECUTING", "COMPLETED"]


async def test_one_system_per_procedure_uri_whatever_the_source(sps_server: ServerState, tmp_path: Path) -> None:
    store = await SqlStore.open(f"sqlite:///{tmp_path / 'b.db'}")
    try:
        for name in ("sps-a", "sps-b"):
            report = await run_harvest(sps_source(sps_server, name), store)
            assert report.status == "completed", report.errors
        systems = (await _get(store, "/systems"))["features"]
        streams = (await _get(store, "/controlstreams?limit=100"))["items"]
    finally:
        await store.close()
    assert sorted(s["properties"]["uid"] for s in systems) == sorted([CAMERA, SENSOR])
    assert len(streams) == 12 and {s["system@link"]["href"].rsplit("/", 1)[-1] for s in streams} == {
        s["id"] for s in systems
    }


async def test_deployment_overrides_of_status_codes_and_parameter_encoding(
    sps_server: ServerState, tmp_path: Path
) -> None:
    overrides = tmp_path / "mappings"
    overrides.mkdir()
    status = (Path(__file__).resolve().parents[2] / "mappings" / "sps2" / "status.yaml").read_text(encoding="utf-8")
    (overrides / "status.yaml").write_text(
        status.replace(
            "  - when: {task_status: [InExecution]}\n    status: EXECUTING",
            "  - when: {task_status: [InExecution]}\n    status: SCHEDULED",
        ),
        encoding="utf-8",
    )
    (overrides / "entities.yaml").write_text("lookups:\n  parameter_encoding:\n    tokenSeparator: ';'\n")
    db = tmp_path / "bridge.db"
    source = sps_source(sps_server, mappings=str(overrides))
    store = await SqlStore.open(f"sqlite:///{db}")
    assert (await run_harvest(source, store)).status == "completed"
    await store.close()
    server = start_bridge(bridge_settings(db, [source]))
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            stream = stable_id(f"sps1/SpsTasking/{CAMERA}")
            answer = await http.post(f"/controlstreams/{stream}/commands", json={"parameters": CAMERA_PARAMS})
            cmd = answer.headers["Location"].removeprefix(server.url)
            (task,) = sps_server.tasks_of(CAMERA)
            assert task.parameters.values.count(";") == 8 and task.values == CAMERA_PARAMS
            sps_server.advance(task.task_id, "InExecution")

            async def scheduled() -> bool:
                return (await http.get(cmd)).json()["currentStatus"] == "SCHEDULED"

            await eventually(scheduled)
    finally:
        server.stop()


def test_harvest_command_line(sps_server: ServerState, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = f"sqlite:///{tmp_path / 'cli.db'}"
    code = main(["harvest", "--source", f"sps:{sps_server.url}", "--name", "cli-sps", "--store", store, "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["status"] == "completed" and report["source"] == "cli-sps"
    streams = ("SpsTasking", "SpsReservation", "SpsConfirmation")
    assert report["entities"] == {"SpsProcedure": {"created": 2}} | {e: {"created": 2} for e in streams}
    assert main(["harvest", "--source", f"sps:{sps_server.url}", "--name", "cli-sps", "--store", store, "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["entities"] == {"SpsProcedure": {"unchanged": 2}} | {e: {"unchanged": 2} for e in streams}


async def test_reservation_streams_follow_what_the_service_offers(sps_server: ServerState, tmp_path: Path) -> None:
    """With ReservationManager, each procedure has tasking, reservations and confirmations streams linked to one
    another; a service that stops offering it loses the two linked streams at the next harvest."""
    store = await SqlStore.open(f"sqlite:///{tmp_path / 'r.db'}")
    try:
        assert (await run_harvest(sps_source(sps_server), store)).status == "completed"
        streams = (await _get(store, "/controlstreams?limit=100"))["items"]
        by_name = {s["name"].split(" of ")[0]: s for s in streams if s["name"].endswith(CAMERA)}
        assert set(by_name) == {"Tasking", "Reservations", "Reservation confirmations"}
        for stream in by_name.values():
            assert_valid(PART2 + "controlStream.json", stream)
            related = {lk["href"].rsplit("/", 1)[-1] for lk in stream["links"] if lk["rel"] == "related"}
            assert related == {s["id"] for s in by_name.values()} - {stream["id"]}
            assert all(lk["href"].startswith("http://bridge/controlstreams/") for lk in stream["links"]
                       if lk["rel"] == "related")  # fmt: skip
        confirmations = by_name["Reservation confirmations"]
        assert confirmations["async"] is False
        schema = await _get(store, f"/controlstreams/{confirmations['id']}/schema?cmdFormat=application/json")
        assert [f["name"] for f in schema["parametersSchema"]["fields"]] == ["reservation"]

        sps_server.reservations = False
        report = await run_harvest(sps_source(sps_server), store)
        assert report.status == "completed", report.errors
        left = (await _get(store, "/controlstreams?limit=100"))["items"]
    finally:
        await store.close()
    ended = {s["name"]: s.get("validTime") for s in left if not s["name"].startswith("Tasking")}
    assert len(ended) == 4 and all(t and t[1] not in (None, "now") for t in ended.values())  # deletions = "end"
    assert all(lk["rel"] != "related" for s in left if s["name"].startswith("Tasking") for lk in s["links"])


async def test_imported_tasks_get_the_results_of_forwarded_commands(sps_server: ServerState, tmp_path: Path) -> None:
    """A harvested task that completed gets what `/commands/{id}/result` shows for a command forwarded through the
    facade: the DescribeResultAccess references, and links to the datastreams the bridge harvested from where the
    data lands (its SOS); a task still executing gets none yet."""
    from bridge.model.csapi import Datastream, Kind, Provenance

    done, running = await _tasks_on_the_sps(sps_server)
    store = await SqlStore.open(f"sqlite:///{tmp_path / 'bridge.db'}")
    source = TaskSource(name="sps1", type="sps", url=sps_server.url, tasks=[done, running])
    first = await run_harvest(source, store)
    assert first.status == "completed", first.errors
    command_id = stable_id(f"sps1/SpsTask/{done}")
    stream = await store.get_stream(Kind.CONTROL_STREAM, (await store.get_command(command_id)).controlstream_id)
    frames = {"obsFormat": "application/json", "resultSchema": {"type": "Count", "name": "frames"}}
    sos = Provenance("sos1", "Datastream", "camera/frames", via=f"{sps_server.url}/sos?service=SOS&request=X")
    landed = await store.create_stream(Datastream(system_id=stream.system_id, name="frames", schema=frames,
                                                  provenance=sos), "num")  # fmt: skip
    asked = [op for op, _ in sps_server.requests].count("DescribeResultAccess")
    assert asked == 1  # the completed task only
    again = await run_harvest(sps_source(sps_server), store)  # the data's SOS is harvested now: linked too
    assert again.status == "completed", again.errors
    results = (await _get(store, f"/commands/{command_id}/result"))["items"]
    for result in results:
        assert_valid(PART2 + "commandResult.json", result)
    assert {r["external@link"]["href"] for r in results if "external@link" in r} == {
        sps_server.url + "/sos",
        done + "/videos",
    }
    (linked,) = [r["datastream@link"] for r in results if "datastream@link" in r]
    assert linked["href"] == f"http://bridge/datastreams/{landed.id}" and linked["title"] == "frames"
    assert len(results) == 3
    still = (await _get(store, f"/commands/{stable_id(f'sps1/SpsTask/{running}')}/result"))["items"]
    assert still == []
    third = await run_harvest(sps_source(sps_server), store)  # refreshed tasks keep their results, once each
    assert third.status == "completed"
    assert len((await _get(store, f"/commands/{command_id}/result"))["items"]) == 3
    await store.close()
