"""SpsClient against the stateful SPS test server: lifecycle, updates, cancels, failures, exactly-once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bridge.mapping.sps2_status_table import map_report, map_response
from bridge.sources import sps2
from bridge.sources.http import HttpError, HttpPolicy, PoliteClient
from bridge.sources.sps2 import SpsClient, SpsException, SpsOutcomeUnknown
from tests.sps_server.fixtures import SENSOR
from tests.sps_server.state import ServerState

from .docs import CAMERA, fixture_bytes
from .test_sps2_parameters import SUBMIT

PARAMS = SUBMIT[0]
FAST = HttpPolicy(retries=1, backoff=0.01, timeout=5.0)


@pytest.fixture
async def http() -> AsyncIterator[PoliteClient]:
    async with PoliteClient(FAST) as client:
        yield client


@pytest.fixture
async def client(sps_server: ServerState, http: PoliteClient) -> SpsClient:
    sps = SpsClient(sps_server.url, http)
    await sps.get_capabilities()
    return sps


async def test_capabilities_and_auto_binding(client: SpsClient, sps_server: ServerState) -> None:
    caps = client.capabilities
    assert caps is not None and [o.procedure for o in caps.offerings] == [CAMERA, SENSOR]
    assert caps.offerings[1].observable_area == {"type": "Point", "coordinates": [7.6522, 51.9343]}
    assert caps.offerings[0].observable_area["coordinates"][0][-1] == [8.186, 51.9]  # type: ignore[index]
    assert client.binding == "pox" and client.idempotent_submit
    assert caps.operations["Submit"][0].href == sps_server.url
    assert sps_server.requests == [("GetCapabilities", "pox")]


async def test_soap_only_service_switches_to_soap(sps_server: ServerState, http: PoliteClient) -> None:
    sps_server.post_encodings = ("SOAP",)
    sps = SpsClient(sps_server.url, http)
    await sps.get_capabilities()
    assert sps.binding == "soap"
    response = await sps.submit(CAMERA, PARAMS)
    assert response.report.request_status == "Accepted"
    assert sps_server.requests == [
        ("GetCapabilities", "pox"),
        ("GetCapabilities", "soap"),
        ("DescribeTasking", "soap"),
        ("Submit", "soap"),
    ]


async def test_xml_encoding_when_the_service_only_supports_it(sps_server: ServerState, http: PoliteClient) -> None:
    sps_server.supported_encodings = ("http://www.opengis.net/swe/2.0/XMLEncoding",)
    client = SpsClient(sps_server.url, http)
    await client.get_capabilities()
    task_id = (await client.submit(CAMERA, PARAMS)).report.task_id
    assert sps_server.task(task_id).values == PARAMS
    task = await client.get_task(task_id)
    assert task.parameters is not None and task.parameters.encoding == {"type": "XMLEncoding"}
    assert sps2.decode_parameters(await client.describe_tasking(CAMERA), task.parameters) == PARAMS


def test_advertised_endpoints(http: PoliteClient) -> None:
    client = SpsClient("http://configured.example/sps", http, binding="soap", use_advertised_endpoints=True)
    client.capabilities = sps2.parse_capabilities(fixture_bytes("ogc-sps-getcapabilities-response-soap.xml"))
    assert client._url("Submit") == "http://www.ogc.org/SPS"
    assert client._url("DescribeSensor") == "http://configured.example/sps"
    client.use_advertised_endpoints = False
    assert client._url("Submit") == "http://configured.example/sps"


async def test_submit_and_poll_to_completion(client: SpsClient, sps_server: ServerState) -> None:
    submitted = await client.submit(CAMERA, PARAMS, client_reference="cmd-1")
    task_id = submitted.report.task_id
    assert task_id == CAMERA + "/tasks/1" and map_report(submitted.report)[0] == "ACCEPTED"
    assert sps_server.task(task_id).values == PARAMS  # the server decoded exactly what was meant
    seen = [map_report(submitted.report)[0]]
    for state, percent in [("InExecution", 40.0), ("DataPublished", 70.0), ("Completed", None)]:
        sps_server.advance(task_id, state, percent=percent)
        (latest,) = await client.get_status(task_id)
        seen.append(map_report(latest)[0])
    assert seen == ["ACCEPTED", "EXECUTING", "EXECUTING", "COMPLETED"]
    assert latest.percent_completion == 100.0
    history = await client.get_status(task_id, since=submitted.report.update_time)
    assert [r.event for r in history] == ["TaskSubmitted", None, "DataPublished", "TaskCompleted"]
    task = await client.get_task(task_id)
    assert [r.task_status for r in task.history] == [None, "InExecution", "InExecution", "Completed"]
    assert task.parameters is not None and task.parameters.values == SUBMIT[1]
    access = await client.describe_result_access(task_id)
    assert access.available and access.references[0].href == sps_server.url + "/sos"
    assert access.references[0].data_access_type == "http://www.opengis.net/sos/2.0"


async def test_time_based_auto_progress(client: SpsClient, sps_server: ServerState) -> None:
    sps_server.auto_progress(60.0)
    task_id = (await client.submit(CAMERA, PARAMS)).report.task_id
    assert (await client.get_status(task_id))[0].task_status is None
    sps_server.advance_clock(61)
    assert (await client.get_status(task_id))[0].task_status == "InExecution"
    sps_server.advance_clock(3600)
    task = await client.get_task(task_id)
    assert [map_report(r)[0] for r in task.history] == ["ACCEPTED", "EXECUTING", "COMPLETED"]
    steps = [b.update_time - a.update_time for a, b in zip(task.history, task.history[1:], strict=False)]
    assert steps == [timedelta(seconds=60), timedelta(seconds=60)]  # reports carry the time they were due


async def test_update(client: SpsClient, sps_server: ServerState) -> None:
    task_id = (await client.submit(CAMERA, PARAMS)).report.task_id
    updated = await client.update(task_id, {"focalLength": 5})
    assert updated.target_task == task_id and updated.report.task_id == task_id + "/updates/1"
    assert map_report(updated.report)[0] == "UPDATED" and map_response("Update", updated.report.request_status)
    task = await client.get_task(task_id)
    assert task.history[-1].event == "TaskUpdated" and task.history[-1].parameters.values == "N,Y,5"  # type: ignore[union-attr]
    assert sps_server.task(task_id).values["focalLength"] == 5
    sps_server.update_outcome = "Rejected"
    rejected = await client.update(task_id, {"focalLength": 6})
    assert map_response("Update", rejected.report.request_status) is None
    assert sps_server.task(task_id).values["focalLength"] == 5


async def test_cancel(client: SpsClient, sps_server: ServerState) -> None:
    task_id = (await client.submit(CAMERA, PARAMS)).report.task_id
    answer = await client.cancel(task_id)
    assert answer.report.task_status is None and map_response("Cancel", answer.report.request_status) == "CANCELED"
    (latest,) = await client.get_status(task_id)
    assert (latest.task_status, latest.event, map_report(latest)[0]) == ("Cancelled", "TaskCancelled", "CANCELED")
    with pytest.raises(SpsException) as info:
        await client.cancel(task_id)
    assert (info.value.exception_code, info.value.locator, info.value.http_status) == (
        "InvalidParameterValue",
        "task",
        400,
    )


async def test_failure_and_rejection(client: SpsClient, sps_server: ServerState) -> None:
    task_id = (
        await client.submit(
            SENSOR, {"measurementLocation": {"lat": 1, "long": 2}, "measurementPriority": "low", "shallMeasure": True}
        )
    ).report.task_id
    sps_server.advance(task_id, "InExecution")
    sps_server.advance(task_id, "Failed", message="sensor offline")
    assert map_report((await client.get_status(task_id))[0]) == ("FAILED", "sensor offline")
    sps_server.submit_outcome = "Rejected"
    rejected = await client.submit(CAMERA, PARAMS)
    assert map_report(rejected.report)[0] == "REJECTED" and rejected.report.message
    sps_server.submit_outcome = "Pending"
    pending = await client.submit(CAMERA, PARAMS)
    assert map_report(pending.report)[0] == "PENDING"
    sps_server.advance(pending.report.task_id, "Accepted")
    assert map_report((await client.get_status(pending.report.task_id))[0])[0] == "ACCEPTED"


async def test_server_validates_parameters(client: SpsClient, sps_server: ServerState) -> None:
    description = await client.describe_tasking(CAMERA)
    focal = next(f for f in description.parameters["fields"] if f["name"] == "focalLength")
    focal["constraint"]["intervals"] = [[0, 100]]  # a client with a stale schema lets 20 mm through
    with pytest.raises(SpsException) as info:
        await client.submit(CAMERA, dict(PARAMS, focalLength=20))
    assert (info.value.exception_code, info.value.locator) == ("InvalidParameterValue", "taskingParameters")
    assert "$.focalLength: 20 is outside" in info.value.text and sps_server.created() == 0
    with pytest.raises(sps2.TaskingParameterError):  # the bridge's own check stops the obviously bad
        await client.submit(CAMERA, dict(PARAMS, focalLength="wide"))


async def test_feasibility(client: SpsClient, sps_server: ServerState) -> None:
    feasible = await client.get_feasibility(CAMERA, PARAMS)
    assert feasible.feasible is True and feasible.study_id.startswith(CAMERA + "/feasibility/")
    sps_server.feasibility_outcome = "Rejected"
    refused = await client.get_feasibility(CAMERA, PARAMS)
    assert refused.feasible is False and refused.report.message.startswith("not feasible")  # type: ignore[union-attr]
    description = await client.describe_tasking(CAMERA)
    (alternative,) = refused.alternatives
    assert alternative.parameters is not None
    assert sps2.decode_parameters(description, alternative.parameters) == PARAMS


async def test_reserve_confirm_and_expiry(client: SpsClient, sps_server: ServerState) -> None:
    expires = datetime.now(UTC) + timedelta(minutes=5)
    reserved = (await client.reserve(CAMERA, PARAMS, reservation_expiration=expires)).report
    assert map_report(reserved)[0] == "SCHEDULED" and reserved.reservation_expiration == expires
    confirmed = (await client.confirm(reserved.task_id)).report
    assert map_report(confirmed)[0] == "EXECUTING"  # a confirmed reservation runs
    late = (await client.reserve(CAMERA, PARAMS, reservation_expiration=expires)).report
    sps_server.advance_clock(600)
    assert map_report((await client.get_status(late.task_id))[0]) == (
        "FAILED",
        "reservation expired before it was confirmed",
    )
    with pytest.raises(SpsException, match="not reserved"):
        await client.confirm(late.task_id)


@pytest.mark.parametrize("binding", ["pox", "soap"])
async def test_exceptions(sps_server: ServerState, http: PoliteClient, binding: str) -> None:
    client = SpsClient(sps_server.url, http, binding=binding)  # type: ignore[arg-type]
    with pytest.raises(SpsException) as info:
        await client.get_status("http://www.ogc.org/procedure/camera/1/tasks/999")
    assert (info.value.exception_code, info.value.locator) == ("InvalidParameterValue", "task")
    assert info.value.soap_code == ("soap12:Sender" if binding == "soap" else None)
    with pytest.raises(SpsException, match="unknown procedure"):
        await client.describe_tasking("urn:nope")
    task_id = (await client.submit(CAMERA, PARAMS)).report.task_id
    sps_server.expire_status(task_id)
    with pytest.raises(SpsException) as info:
        await client.get_status(task_id)
    assert info.value.exception_code == "StatusInformationExpired"


async def test_read_failures_are_retried_or_reported(client: SpsClient, sps_server: ServerState) -> None:
    task_id = (await client.submit(CAMERA, PARAMS)).report.task_id
    sps_server.fail_next("http500", "GetStatus")
    assert (await client.get_status(task_id))[0].task_id == task_id  # one retry
    sps_server.fail_next("http500", "GetStatus", times=2)
    with pytest.raises(HttpError) as info:
        await client.get_status(task_id)
    assert info.value.status_code == 500
    sps_server.fail_next("exception", "GetTask", times=2)
    with pytest.raises(SpsException) as exc_info:
        await client.get_task(task_id)
    assert exc_info.value.exception_code == "NoApplicableCode" and exc_info.value.http_status == 500


async def test_http_500_on_submit_is_an_unknown_outcome_then_reconciled(
    client: SpsClient, sps_server: ServerState
) -> None:
    sps_server.fail_next("http500", "Submit")
    with pytest.raises(SpsOutcomeUnknown) as info:
        await client.submit(CAMERA, PARAMS)  # no reference: never retried
    assert info.value.client_reference is None and sps_server.requests.count(("Submit", "pox")) == 1
    sps_server.fail_next("http500", "Submit", times=2)
    with pytest.raises(SpsOutcomeUnknown):
        await client.submit(CAMERA, PARAMS, client_reference="cmd-7")  # retried once, fails again
    assert sps_server.requests.count(("Submit", "pox")) == 3 and sps_server.created() == 0
    again = await client.reconcile_submit(CAMERA, PARAMS, "cmd-7")
    assert again is not None and sps_server.created() == 1


async def test_crash_after_accepting_submit_is_reconciled_exactly_once(
    client: SpsClient, sps_server: ServerState
) -> None:
    sps_server.fail_next("crash", "Submit", times=2)  # also the automatic retry dies after processing
    with pytest.raises(SpsOutcomeUnknown) as info:
        await client.submit(CAMERA, PARAMS, client_reference="cmd-42")
    assert info.value.client_reference == "cmd-42" and info.value.operation == "Submit"
    (created,) = sps_server.tasks_of(CAMERA, client_reference="cmd-42")  # the service did act
    reconciled = await client.reconcile_submit(CAMERA, PARAMS, "cmd-42")
    assert reconciled is not None and reconciled.report.task_id == created.task_id
    assert sps_server.submit_requests["cmd-42"] == 3 and sps_server.created(CAMERA, PARAMS) == 1
    assert sps_server.submit_payloads[(CAMERA, SUBMIT[1])] == 3


async def test_client_reference_with_other_parameters_is_refused(client: SpsClient, sps_server: ServerState) -> None:
    await client.submit(CAMERA, PARAMS, client_reference="cmd-5")
    with pytest.raises(SpsException) as info:
        await client.submit(CAMERA, dict(PARAMS, focalLength=4), client_reference="cmd-5")
    assert (info.value.exception_code, info.value.locator) == ("InvalidParameterValue", "extension")
    assert sps_server.created() == 1


async def test_exception_answer_to_submit_is_definite(client: SpsClient, sps_server: ServerState) -> None:
    sps_server.fail_next("exception", "Submit")
    with pytest.raises(SpsException) as info:  # the service said no: nothing to reconcile
        await client.submit(CAMERA, PARAMS)
    assert not isinstance(info.value, SpsOutcomeUnknown) and info.value.exception_code == "NoApplicableCode"
    assert sps_server.created() == 0


async def test_without_idempotent_submit_nothing_is_resent(client: SpsClient, sps_server: ServerState) -> None:
    sps_server.idempotent_submit = False
    await client.get_capabilities()
    sps_server.fail_next("crash", "Submit")
    with pytest.raises(SpsOutcomeUnknown):
        await client.submit(CAMERA, PARAMS, client_reference="cmd-9")
    assert await client.reconcile_submit(CAMERA, PARAMS, "cmd-9") is None
    assert sps_server.submit_requests["cmd-9"] == 1 and sps_server.created() == 1


async def test_timeout_on_submit(sps_server: ServerState) -> None:
    sps_server.timeout_delay = 0.4
    async with PoliteClient(HttpPolicy(retries=1, backoff=0.01, timeout=0.15)) as http:
        client = SpsClient(sps_server.url, http)
        await client.get_capabilities()
        await client.describe_tasking(CAMERA)
        sps_server.fail_next("timeout", "Submit")
        with pytest.raises(SpsOutcomeUnknown):
            await client.submit(CAMERA, PARAMS)
        sps_server.fail_next("timeout", "Submit")
        answer = await client.submit(CAMERA, PARAMS, client_reference="cmd-t")  # the retry wins the race
    assert sps_server.tasks_of(client_reference="cmd-t")[0].task_id == answer.report.task_id


async def test_optional_operations_are_gated_on_capabilities(client: SpsClient) -> None:
    assert client.capabilities is not None
    for name in ("Update", "Cancel"):
        client.capabilities.operations.pop(name)
    client.capabilities.profiles = [p for p in client.capabilities.profiles if "TaskUpdater" not in p]
    with pytest.raises(SpsException) as info:
        await client.update(CAMERA + "/tasks/1", {"focalLength": 5}, procedure=CAMERA)
    assert info.value.exception_code == "OperationNotSupported"
    assert client.can("Cancel")  # still declared by the TaskCanceller profile
