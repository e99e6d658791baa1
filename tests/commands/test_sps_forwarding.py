"""SPS 2.0 forwarding end to end: a CSAPI client talks over HTTP to the facade (uvicorn on loopback), which
forwards to the stateful SPS 2.0 test server and polls it in the background (APScheduler)."""

from __future__ import annotations

from typing import Any

from bridge.model.csapi import Datastream, Provenance
from bridge.store.sql.store import SqlStore
from tests.validate import PART2, assert_valid

from .bridge_server import eventually
from .conftest import CAMERA, CAMERA_PARAMS, SENSOR, SENSOR_PARAMS, Bridge


def _id(response: Any) -> str:
    assert response.status_code == 201, response.text
    return str(response.headers["Location"].rsplit("/", 1)[-1])


async def _reaches(bridge: Bridge, cmd_id: str, status: str) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        command = await bridge.command(cmd_id)
        return command if command["currentStatus"] == status else None

    return await eventually(check)  # type: ignore[no-any-return]


async def test_discover_submit_and_poll_to_completion(bridge: Bridge) -> None:
    stream = await bridge.stream_of(CAMERA)
    assert_valid(PART2 + "controlStream.json", stream)
    assert stream["async"] is True and stream["live"] is True and stream["inputName"] == "CameraTask"
    assert any(link["rel"] == "via" and link["href"] == bridge.sps.url for link in stream["links"])
    schema = (
        await bridge.http.get(f"/controlstreams/{stream['id']}/schema", params={"cmdFormat": "application/json"})
    ).json()
    fields = {f["name"]: f for f in schema["parametersSchema"]["fields"]}
    assert fields["focalLength"]["constraint"]["intervals"] == [[3.5, 10]]  # constraints carried over
    assert fields["positioningChoice"]["type"] == "DataChoice" and fields["taskTimeFrame"]["updatable"] is False
    for fmt in stream["formats"]:
        answer = await bridge.http.get(f"/controlstreams/{stream['id']}/schema", params={"cmdFormat": fmt})
        assert answer.status_code == 200, (fmt, answer.text)

    cmd_id = _id(await bridge.submit(CAMERA, CAMERA_PARAMS))
    task_id = bridge.task_of(cmd_id)
    assert bridge.sps.task(task_id).values == CAMERA_PARAMS  # encoded as DescribeTasking specified
    command = await bridge.command(cmd_id)
    assert_valid(PART2 + "command.json", command)
    assert command["currentStatus"] == "ACCEPTED"
    for state, percent in [("InExecution", 40.0), ("DataPublished", 70.0)]:
        bridge.sps.advance(task_id, state, percent=percent)
    await _reaches(bridge, cmd_id, "EXECUTING")
    bridge.sps.advance(task_id, "Completed")
    command = await _reaches(bridge, cmd_id, "COMPLETED")
    assert command["executionTime"][1] != "now"
    statuses = await bridge.statuses(cmd_id)
    for status in statuses:
        assert_valid(PART2 + "commandStatus.json", status)
    assert [s["statusCode"] for s in statuses] == ["PENDING", "ACCEPTED", "EXECUTING", "EXECUTING", "COMPLETED"]
    assert [s.get("percentCompletion") for s in statuses[2:]] == [40.0, 70.0, 100.0]
    assert statuses[-1]["executionTime"][0] == statuses[2]["reportTime"]  # actual execution time
    results = (await bridge.http.get(f"/commands/{cmd_id}/result")).json()["items"]
    hrefs = {r["external@link"]["href"] for r in results}
    assert hrefs == {bridge.sps.url + "/sos", task_id + "/videos"}  # the SOS where data lands, and a folder
    for result in results:
        assert_valid(PART2 + "commandResult.json", result)
    requests = len(bridge.sps.requests)
    await bridge.http.get("/conformance")  # let a few polling rounds pass
    await eventually(lambda: _quiet(bridge, requests))
    assert bridge.sps.submit_requests[cmd_id] == 1 and bridge.sps.created() == 1


async def _quiet(bridge: Bridge, before: int) -> bool:
    """No GetStatus after a final state (a round or two of the poller)."""
    import asyncio

    await asyncio.sleep(0.4)
    return not any(op == "GetStatus" for op, _ in bridge.sps.requests[before:])


async def test_the_service_progressing_by_itself_is_followed(bridge: Bridge) -> None:
    bridge.sps.auto_progress(0.2)
    cmd_id = _id(await bridge.submit(SENSOR, SENSOR_PARAMS))
    await _reaches(bridge, cmd_id, "COMPLETED")
    codes = [s["statusCode"] for s in await bridge.statuses(cmd_id)]
    assert codes[0] == "PENDING" and codes[1] == "ACCEPTED" and codes[-1] == "COMPLETED"


async def test_cancel_by_status_report_and_by_delete(bridge: Bridge) -> None:
    cmd_id = _id(await bridge.submit(CAMERA, CAMERA_PARAMS))
    task_id = bridge.task_of(cmd_id)
    answer = await bridge.http.post(f"/commands/{cmd_id}/status", json={"statusCode": "CANCELED"})
    assert answer.status_code == 201, answer.text
    assert (await bridge.command(cmd_id))["currentStatus"] == "CANCELED"
    assert bridge.sps.task(task_id).task_status == "Cancelled"
    again = await bridge.http.post(f"/commands/{cmd_id}/status", json={"statusCode": "CANCELED"})
    assert again.status_code == 409  # nothing after a final state

    other = _id(await bridge.submit(CAMERA, CAMERA_PARAMS))
    other_task = bridge.task_of(other)
    assert (await bridge.http.delete(f"/commands/{other}")).status_code == 204
    assert bridge.sps.task(other_task).task_status == "Cancelled"
    assert (await bridge.http.get(f"/commands/{other}")).status_code == 404
    assert bridge.sps.requests.count(("Cancel", "pox")) == 2


async def test_cancel_refused_by_the_service_changes_nothing(bridge: Bridge) -> None:
    cmd_id = _id(await bridge.submit(CAMERA, CAMERA_PARAMS))
    bridge.sps.cancel_outcome = "Rejected"
    answer = await bridge.http.delete(f"/commands/{cmd_id}")
    assert answer.status_code == 409 and "did not accept" in answer.json()["description"]
    assert (await bridge.command(cmd_id))["currentStatus"] == "ACCEPTED"


async def test_update_with_patch_and_put(bridge: Bridge) -> None:
    cmd_id = _id(await bridge.submit(CAMERA, CAMERA_PARAMS))
    task_id = bridge.task_of(cmd_id)
    answer = await bridge.http.patch(f"/commands/{cmd_id}", json={"parameters": {"focalLength": 5}})
    assert answer.status_code == 204, answer.text
    assert bridge.sps.task(task_id).values["focalLength"] == 5
    assert (await bridge.command(cmd_id))["parameters"]["focalLength"] == 5
    statuses = await bridge.statuses(cmd_id)
    assert statuses[-1]["statusCode"] == "UPDATED"

    moved = {
        **CAMERA_PARAMS,
        "focalLength": 5,
        "taskTimeFrame": ["2010-08-21T12:37:00+02:00", "2010-08-21T14:30:00+02:00"],
    }
    answer = await bridge.http.put(f"/commands/{cmd_id}", json={"parameters": moved})
    assert answer.status_code == 400 and "taskTimeFrame" in answer.json()["description"]
    assert bridge.sps.requests.count(("Update", "pox")) == 1  # not sent
    assert (await bridge.command(cmd_id))["parameters"]["taskTimeFrame"] == CAMERA_PARAMS["taskTimeFrame"]

    bridge.sps.update_outcome = "Rejected"
    answer = await bridge.http.put(f"/commands/{cmd_id}", json={"parameters": {**CAMERA_PARAMS, "focalLength": 7}})
    assert answer.status_code == 409
    assert (await bridge.command(cmd_id))["parameters"]["focalLength"] == 5  # unchanged
    assert bridge.sps.task(task_id).values["focalLength"] == 5


async def test_bad_parameters_are_rejected_and_nothing_is_sent(bridge: Bridge) -> None:
    cases = [
        (CAMERA, {**CAMERA_PARAMS, "focalLength": 20}, "focalLength"),
        (
            CAMERA,
            {**CAMERA_PARAMS, "positioningChoice": {"relativePositioning": {"relativeHorizontalPan": 500}}},
            "relativeHorizontalPan",
        ),
        (SENSOR, {**SENSOR_PARAMS, "measurementPriority": "urgent"}, "measurementPriority"),
        (SENSOR, {**SENSOR_PARAMS, "measurementPurpose": "survey, then return"}, "measurementPurpose"),  # a separator
        (SENSOR, {"measurementPriority": "low"}, "measurementLocation"),
    ]
    for procedure, params, name in cases:
        answer = await bridge.submit(procedure, params)
        assert answer.status_code == 400, (name, answer.text)
        assert name in answer.json()["description"]
    assert not [op for op, _ in bridge.sps.requests if op == "Submit"]
    assert (await bridge.http.get("/commands")).json()["items"] == []


async def test_sps_exceptions_and_refusals(bridge: Bridge) -> None:
    bridge.sps.fail_next("exception", "Submit", times=2)  # the retry (idempotent Submit) fails too
    refused = _id(await bridge.submit(CAMERA, CAMERA_PARAMS))
    command = await bridge.command(refused)
    assert command["currentStatus"] == "REJECTED"
    assert "NoApplicableCode" in (await bridge.statuses(refused))[-1]["message"]

    bridge.sps.submit_outcome = "Rejected"
    rejected = _id(await bridge.submit(CAMERA, CAMERA_PARAMS))
    assert (await bridge.command(rejected))["currentStatus"] == "REJECTED"
    assert (await bridge.statuses(rejected))[-1]["message"] == "the test server was told to reject this request"

    bridge.sps.submit_outcome = "Pending"
    pending = _id(await bridge.submit(CAMERA, CAMERA_PARAMS))
    assert (await bridge.command(pending))["currentStatus"] == "PENDING"
    bridge.sps.fail_next("http500", "GetStatus")  # a hiccup while polling is retried
    bridge.sps.advance(bridge.task_of(pending), "Accepted")
    await _reaches(bridge, pending, "ACCEPTED")

    bridge.sps.expire_status(bridge.task_of(pending))
    command = await _reaches(bridge, pending, "FAILED")
    assert "StatusInformationExpired" in (await bridge.statuses(command["id"]))[-1]["message"]


async def test_idempotent_retries_submit_once(bridge: Bridge) -> None:
    import asyncio

    first = await bridge.submit(CAMERA, CAMERA_PARAMS, **{"Idempotency-Key": "k-1"})
    retry = await bridge.submit(CAMERA, CAMERA_PARAMS, **{"Idempotency-Key": "k-1"})
    assert first.status_code == retry.status_code == 201
    assert first.headers["Location"] == retry.headers["Location"]
    replays = await asyncio.gather(
        *(bridge.submit(SENSOR, SENSOR_PARAMS, **{"Idempotency-Key": "k-2"}) for _ in range(4))
    )
    assert {r.status_code for r in replays} == {201}
    assert len({r.headers["Location"] for r in replays}) == 1
    assert bridge.sps.created(CAMERA) == 1 and bridge.sps.created(SENSOR) == 1
    assert sum(bridge.sps.submit_requests.values()) == 2
    assert len((await bridge.http.get("/commands")).json()["items"]) == 2


async def test_lost_submit_answer_is_reconciled_not_resent(bridge: Bridge) -> None:
    bridge.sps.fail_next("crash", "Submit", times=2)  # the service acts, the answer is lost, twice
    cmd_id = _id(await bridge.submit(CAMERA, CAMERA_PARAMS))
    assert (await bridge.command(cmd_id))["currentStatus"] == "ACCEPTED"
    (task,) = bridge.sps.tasks_of(CAMERA)
    assert task.client_reference == cmd_id and bridge.sps.created() == 1
    assert bridge.sps.submit_requests[cmd_id] == 3  # the same reference each time: one task


async def test_feasibility(bridge: Bridge) -> None:
    stream = await bridge.stream_of(CAMERA)
    answer = await bridge.http.post(f"/controlstreams/{stream['id']}/feasibility", json={"parameters": CAMERA_PARAMS})
    assert answer.status_code == 201 and "/feasibility/" in answer.headers["Location"]
    study = (await bridge.http.get(answer.headers["Location"])).json()
    assert_valid(PART2 + "command.json", study)
    assert study["currentStatus"] == "COMPLETED"
    statuses = (await bridge.http.get(f"/feasibility/{study['id']}/status")).json()["items"]
    assert [s["statusCode"] for s in statuses] == ["PENDING", "COMPLETED"] and statuses[-1]["executionTime"]
    (result,) = (await bridge.http.get(f"/feasibility/{study['id']}/result")).json()["items"]
    assert result["data"]["feasible"] is True

    bridge.sps.feasibility_outcome = "Rejected"
    answer = await bridge.http.post(f"/controlstreams/{stream['id']}/feasibility", json={"parameters": CAMERA_PARAMS})
    refused = answer.headers["Location"].rsplit("/", 1)[-1]
    (result,) = (await bridge.http.get(f"/feasibility/{refused}/result")).json()["items"]
    assert result["data"]["feasible"] is False and result["data"]["alternatives"] == [CAMERA_PARAMS]
    listed = (await bridge.http.get(f"/controlstreams/{stream['id']}/feasibility")).json()["items"]
    assert {s["id"] for s in listed} == {study["id"], refused}
    assert (await bridge.http.get("/commands")).json()["items"] == []  # studies are not commands
    assert (await bridge.http.get(f"/commands/{refused}")).status_code == 404
    assert bridge.sps.created() == 2 and not bridge.sps.submit_requests  # studies only, no task submitted
    bad = await bridge.http.post(
        f"/controlstreams/{stream['id']}/feasibility", json={"parameters": {**CAMERA_PARAMS, "focalLength": 99}}
    )
    assert bad.status_code == 400


async def test_results_link_to_the_datastreams_harvested_from_where_the_data_lands(bridge: Bridge) -> None:
    """The SPS says the task's data lands in its SOS; the bridge harvested that SOS for the same procedure (same
    System), so the command's results also link to those datastreams, readable through the bridge itself."""
    system_id = (await bridge.stream_of(CAMERA))["system@link"]["href"].rsplit("/", 1)[-1]
    store = await SqlStore.open(f"sqlite:///{bridge.db}")
    frames = {"type": "Count", "name": "frames", "label": "Frames", "definition": "http://x/frames"}
    schema = {"obsFormat": "application/json", "resultSchema": frames}
    try:
        sos = Provenance("sos1", "Datastream", "camera/frames", via=f"{bridge.sps.url}/sos?service=SOS&request=X")
        other = Provenance("sos2", "Datastream", "camera/other", via="http://elsewhere.example/sos?service=SOS")
        landed = await store.create_stream(
            Datastream(system_id=system_id, name="frames", schema=schema, provenance=sos), "num"
        )
        await store.create_stream(Datastream(system_id=system_id, name="other", schema=schema, provenance=other), "num")
    finally:
        await store.close()
    cmd_id = _id(await bridge.submit(CAMERA, CAMERA_PARAMS))
    bridge.sps.advance(bridge.task_of(cmd_id), "Completed")
    await _reaches(bridge, cmd_id, "COMPLETED")
    results = (await bridge.http.get(f"/commands/{cmd_id}/result")).json()["items"]
    (linked,) = [r for r in results if "datastream@link" in r]
    assert_valid(PART2 + "commandResult.json", linked)
    assert linked["datastream@link"]["href"] == f"{bridge.server.url}/datastreams/{landed.id}"
    assert (await bridge.http.get(linked["datastream@link"]["href"])).json()["name"] == "frames"
    assert len(results) == 3  # the two references of the SPS, and the one datastream harvested from its SOS
