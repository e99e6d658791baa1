"""SPS 2.0 Reserve/Confirm end to end (Part 1 Annex C.13: "implemented as a linked CommandStream"): a command on a
procedure's reservations stream is an SPS Reserve (SCHEDULED); a command on its confirmations stream names the
reservation and is an SPS Confirm; the reservation then runs (or expires) and is polled like any task."""

from __future__ import annotations

from typing import Any

from tests.validate import PART2, assert_valid

from .bridge_server import eventually
from .conftest import CAMERA, CAMERA_PARAMS, SENSOR, SENSOR_PARAMS, Bridge

RESERVATIONS, CONFIRMATIONS = "Reservations of ", "Reservation confirmations of "


def _id(response: Any) -> str:
    assert response.status_code == 201, response.text
    return str(response.headers["Location"].rsplit("/", 1)[-1])


async def _post(bridge: Bridge, procedure: str, role: str, params: dict[str, Any], **headers: str) -> Any:
    stream = await bridge.stream_of(procedure, role)
    return await bridge.http.post(
        f"/controlstreams/{stream['id']}/commands", json={"parameters": params}, headers=headers
    )


async def _reaches(bridge: Bridge, cmd_id: str, status: str) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        command = await bridge.command(cmd_id)
        return command if command["currentStatus"] == status else None

    return await eventually(check)  # type: ignore[no-any-return]


async def _reserve(bridge: Bridge) -> tuple[str, str]:
    """A reservation of the camera: its command id and its SPS task."""
    cmd_id = _id(await _post(bridge, CAMERA, RESERVATIONS, CAMERA_PARAMS))
    (task,) = bridge.sps.tasks_of(CAMERA)
    return cmd_id, task.task_id


async def test_reserve_confirm_and_run_to_completion(bridge: Bridge) -> None:
    reservation, task_id = await _reserve(bridge)
    assert bridge.sps.task(task_id).task_status == "Reserved" and bridge.sps.task(task_id).values == CAMERA_PARAMS
    command = await bridge.command(reservation)
    assert_valid(PART2 + "command.json", command)
    assert command["currentStatus"] == "SCHEDULED"
    scheduled = (await bridge.statuses(reservation))[-1]
    confirmations = await bridge.stream_of(CAMERA, CONFIRMATIONS)
    assert "reserved on the SPS until" in scheduled["message"] and confirmations["id"] in scheduled["message"]
    assert not bridge.sps.submit_requests  # a reservation is not a Submit

    answer = await _post(bridge, CAMERA, CONFIRMATIONS, {"reservation": reservation})
    assert answer.status_code == 201, answer.text  # a synchronous stream: the final status in the answer
    assert answer.json()["statusCode"] == "COMPLETED"
    assert_valid(PART2 + "commandStatus.json", answer.json())
    confirmation = answer.json()["command@id"]
    (result,) = (await bridge.http.get(f"/commands/{confirmation}/result")).json()["items"]
    assert result["data"] == {"reservation": reservation, "task": task_id}
    assert bridge.sps.task(task_id).task_status == "InExecution"
    assert (await bridge.command(reservation))["currentStatus"] == "EXECUTING"  # recorded at once, not polled

    bridge.sps.advance(task_id, "Completed")
    await _reaches(bridge, reservation, "COMPLETED")
    codes = [s["statusCode"] for s in await bridge.statuses(reservation)]
    assert codes == ["PENDING", "SCHEDULED", "EXECUTING", "COMPLETED"]
    for status in await bridge.statuses(reservation):
        assert_valid(PART2 + "commandStatus.json", status)
    assert bridge.sps.requests.count(("Confirm", "pox")) == 1


async def test_confirmations_naming_no_open_reservation_are_refused_before_the_sps(bridge: Bridge) -> None:
    reservation, _ = await _reserve(bridge)
    submitted = _id(await bridge.submit(CAMERA, CAMERA_PARAMS))  # an ordinary task, not a reservation
    sensor_reservation = _id(await _post(bridge, SENSOR, RESERVATIONS, SENSOR_PARAMS))
    cases = [
        ({}, 400, "reservation"),
        ({"reservation": "no-such-command"}, 400, "no-such-command"),
        ({"reservation": submitted}, 400, "is not a reservation of this procedure"),
        ({"reservation": sensor_reservation}, 400, "is not a reservation of this procedure"),
    ]
    for params, code, text in cases:
        answer = await _post(bridge, CAMERA, CONFIRMATIONS, params)
        assert answer.status_code == code, (params, answer.text)
        assert text in answer.json()["description"]
    url = f"{bridge.server.url}/commands/{reservation}"  # the command's URL names it too
    assert (await _post(bridge, CAMERA, CONFIRMATIONS, {"reservation": url})).json()["statusCode"] == "COMPLETED"
    again = await _post(bridge, CAMERA, CONFIRMATIONS, {"reservation": reservation})
    assert again.status_code == 409 and "EXECUTING" in again.json()["description"]
    assert bridge.sps.requests.count(("Confirm", "pox")) == 1
    stream = await bridge.stream_of(CAMERA, CONFIRMATIONS)
    listed = (await bridge.http.get(f"/controlstreams/{stream['id']}/commands")).json()["items"]
    assert len(listed) == 1  # refused confirmations were not stored


async def test_an_expired_reservation_fails_and_cannot_be_confirmed(bridge: Bridge) -> None:
    reservation, task_id = await _reserve(bridge)
    bridge.sps.advance_clock(2 * 3600)  # past the expiration the SPS gave (one hour)
    failed = await _reaches(bridge, reservation, "FAILED")
    assert "expired" in (await bridge.statuses(failed["id"]))[-1]["message"]
    assert bridge.sps.task(task_id).task_status == "Expired"
    answer = await _post(bridge, CAMERA, CONFIRMATIONS, {"reservation": reservation})
    assert answer.status_code == 409 and "FAILED" in answer.json()["description"]
    assert bridge.sps.requests.count(("Confirm", "pox")) == 0


async def test_the_sps_refusing_a_confirmation_is_a_rejected_confirmation(bridge: Bridge) -> None:
    reservation, task_id = await _reserve(bridge)
    bridge.sps.fail_next("exception", "Confirm")
    answer = await _post(bridge, CAMERA, CONFIRMATIONS, {"reservation": reservation})
    assert answer.status_code == 201 and answer.json()["statusCode"] == "REJECTED"
    assert "NoApplicableCode" in answer.json()["message"]
    assert (await bridge.command(reservation))["currentStatus"] == "SCHEDULED"  # still open: confirm again
    retry = await _post(bridge, CAMERA, CONFIRMATIONS, {"reservation": reservation})
    assert retry.json()["statusCode"] == "COMPLETED" and bridge.sps.task(task_id).task_status == "InExecution"


async def test_a_lost_confirm_answer_is_settled_without_confirming_twice(bridge: Bridge) -> None:
    reservation, task_id = await _reserve(bridge)
    bridge.sps.fail_next("crash", "Confirm")  # the SPS confirms, the answer is lost
    answer = await _post(bridge, CAMERA, CONFIRMATIONS, {"reservation": reservation})
    assert answer.json()["statusCode"] == "COMPLETED", answer.text
    assert bridge.sps.requests.count(("Confirm", "pox")) == 1  # settled by GetStatus, not sent again
    assert (await bridge.command(reservation))["currentStatus"] == "EXECUTING"
    assert bridge.sps.task(task_id).task_status == "InExecution"


async def test_retried_reservations_and_confirmations_reach_the_sps_once(bridge: Bridge) -> None:
    key = {"Idempotency-Key": "r-1"}
    first, retry = [await _post(bridge, CAMERA, RESERVATIONS, CAMERA_PARAMS, **key) for _ in range(2)]
    assert first.headers["Location"] == retry.headers["Location"] and bridge.sps.created(CAMERA) == 1
    reservation = _id(first)
    key = {"Idempotency-Key": "c-1"}
    answers = [await _post(bridge, CAMERA, CONFIRMATIONS, {"reservation": reservation}, **key) for _ in range(2)]
    assert {a.status_code for a in answers} == {201}
    assert bridge.sps.requests.count(("Confirm", "pox")) == 1


async def test_a_reservation_can_be_canceled(bridge: Bridge) -> None:
    reservation, task_id = await _reserve(bridge)
    answer = await bridge.http.post(f"/commands/{reservation}/status", json={"statusCode": "CANCELED"})
    assert answer.status_code == 201, answer.text
    assert bridge.sps.task(task_id).task_status == "Cancelled"
    assert (await bridge.command(reservation))["currentStatus"] == "CANCELED"
    refused = await _post(bridge, CAMERA, CONFIRMATIONS, {"reservation": reservation})
    assert refused.status_code == 409
