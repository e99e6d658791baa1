"""Request builders reproduce the OGC request examples and are accepted by the SPS test server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
from lxml import etree

from bridge.model.legacy.sps2 import TaskingDescription
from bridge.sources import sps2
from bridge.sources.sps2 import requests as rq
from bridge.sources.xml import parse_xml
from tests.sps_server.state import ServerState

from .docs import CAMERA, TASK6, fixture_bytes
from .test_sps2_parameters import SUBMIT, UPDATE1

CEST = timezone(timedelta(hours=2))
SCHEMA_LOCATION = "{http://www.w3.org/2001/XMLSchema-instance}schemaLocation"


def canonical(el: etree._Element) -> tuple[object, ...]:
    """Tag, attributes (minus schemaLocation), trimmed text and children: prefixes and layout ignored."""
    attrs = {k: v for k, v in el.attrib.items() if k != SCHEMA_LOCATION}
    kids = tuple(canonical(c) for c in el if isinstance(c.tag, str))
    return el.tag, tuple(sorted(attrs.items())), (el.text or "").strip(), kids


def test_submit_builder_matches_ogc_example(camera_description: TaskingDescription) -> None:
    data = sps2.encode_parameters(camera_description, SUBMIT[0])
    built = rq.build_submit(CAMERA, data)
    assert canonical(built) == canonical(parse_xml(fixture_bytes("ogc-sps-submit-request.xml")))


def test_update_builder_matches_ogc_example(camera_description: TaskingDescription) -> None:
    data = sps2.encode_parameters(camera_description, UPDATE1[0], update=True)
    built = rq.build_update(CAMERA, TASK6, data, latest_response_time=datetime(2010, 8, 20, 12, 41, tzinfo=CEST))
    assert canonical(built) == canonical(parse_xml(fixture_bytes("ogc-sps-update-request.xml")))


def test_simple_builders_have_the_schema_shapes() -> None:
    assert canonical(rq.build_cancel(TASK6))[3] == (("{http://www.opengis.net/sps/2.0}task", (), TASK6, ()),)
    status = rq.build_get_status(TASK6, since=datetime(2010, 8, 20, 12, 40, tzinfo=CEST))
    assert [etree.QName(c).localname for c in status] == ["task", "since"]
    assert status[1].text == "2010-08-20T12:40:00+02:00"
    assert [c.text for c in rq.build_get_task([TASK6, TASK6 + "x"])] == [TASK6, TASK6 + "x"]
    target = rq.build_describe_result_access(procedure=CAMERA)[0]
    assert etree.QName(target).localname == "target" and target[0].text == CAMERA
    with pytest.raises(ValueError):
        rq.build_describe_result_access()
    caps = rq.build_get_capabilities(["Contents"])
    assert caps.get("service") == "SPS" and caps.get("version") is None
    assert [v.text for v in caps.iter("{http://www.opengis.net/ows/1.1}Version")] == ["2.0.0"]


def test_client_reference_travels_first_in_swes_extension(camera_description: TaskingDescription) -> None:
    built = rq.build_submit(CAMERA, sps2.encode_parameters(camera_description, SUBMIT[0]), client_reference="cmd-1")
    first = built[0]
    assert first.tag == "{http://www.opengis.net/swes/2.0}extension"
    assert first[0].tag == rq.CLIENT_REFERENCE and first[0].text == "cmd-1"


def test_soap_envelope_and_kvp() -> None:
    envelope = rq.soap_envelope(rq.build_get_task(TASK6), to="http://sps.example/x", message_id="urn:uuid:1")
    header = {etree.QName(h).localname: h.text for h in envelope[0]}
    assert header == {
        "To": "http://sps.example/x",
        "Action": "http://www.opengis.net/sps/2.0/GetTask",
        "MessageID": "urn:uuid:1",
    }
    assert etree.QName(envelope[1][0]).localname == "GetTask"
    assert rq.kvp_params("GetCapabilities") == {
        "service": "SPS",
        "request": "GetCapabilities",
        "AcceptVersions": "2.0.0",
    }
    assert rq.kvp_params("GetStatus", task="a, b (c)", since=None) == {
        "service": "SPS",
        "request": "GetStatus",
        "version": "2.0.0",
        "task": "a, b (c)",
    }


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


async def _post(url: str, body: bytes, http: httpx.AsyncClient) -> httpx.Response:
    return await http.post(url, content=body)


async def test_server_accepts_the_ogc_request_documents(sps_server: ServerState, http: httpx.AsyncClient) -> None:
    submit = fixture_bytes("ogc-sps-submit-request.xml")
    for _ in range(6):  # the example update targets tasks/6
        response = await _post(sps_server.url, submit, http)
        assert response.status_code == 200
    assert sps2.parse_submit_response(response.content).report.task_id == TASK6
    response = await _post(sps_server.url, fixture_bytes("ogc-sps-update-request.xml"), http)
    update = sps2.parse_update_response(response.content)
    assert (update.report.task_id, update.target_task) == (TASK6 + "/updates/1", TASK6)
    assert sps_server.task(TASK6).values["positioningChoice"] == UPDATE1[0]["positioningChoice"]


@pytest.mark.parametrize("soap", [False, True], ids=["pox", "soap"])
async def test_server_accepts_every_builder(
    sps_server: ServerState, camera_description: TaskingDescription, soap: bool, http: httpx.AsyncClient
) -> None:
    data = sps2.encode_parameters(camera_description, SUBMIT[0])
    later = datetime.now(UTC) + timedelta(hours=1)

    async def call(el: etree._Element) -> etree._Element:
        body = rq.to_bytes(rq.soap_envelope(el) if soap else el)
        response = await _post(sps_server.url, body, http)
        assert response.status_code == 200, response.text
        assert response.content.count(b"soap12:Envelope") == (2 if soap else 0)
        return sps2.unwrap(response.content)

    assert etree.QName(await call(rq.build_get_capabilities())).localname == "Capabilities"
    assert etree.QName(await call(rq.build_describe_tasking(CAMERA))).localname == "DescribeTaskingResponse"
    task = sps2.parse_submit_response(await call(rq.build_submit(CAMERA, data))).report.task_id
    update = sps2.encode_parameters(camera_description, UPDATE1[0], update=True)
    assert sps2.parse_update_response(await call(rq.build_update(CAMERA, task, update))).target_task == task
    assert sps2.parse_get_status(await call(rq.build_get_status(task)))[0].event == "TaskUpdated"
    assert sps2.parse_get_task(await call(rq.build_get_task(task)))[0].task_id == task
    assert not sps2.parse_describe_result_access(await call(rq.build_describe_result_access(task=task))).available
    assert sps2.parse_cancel_response(await call(rq.build_cancel(task))).report.request_status == "Accepted"
    assert sps2.parse_get_feasibility(await call(rq.build_get_feasibility(CAMERA, data))).feasible is True
    reserved = sps2.parse_reserve(await call(rq.build_reserve(CAMERA, data, reservation_expiration=later))).report
    assert reserved.task_status == "Reserved" and reserved.reservation_expiration == later
    confirmed = sps2.parse_confirm(await call(rq.build_confirm(reserved.task_id))).report
    assert (confirmed.task_status, confirmed.event) == ("InExecution", "TaskConfirmed")


async def test_server_answers_kvp_reads(sps_server: ServerState) -> None:
    async with httpx.AsyncClient() as http:
        caps = await http.get(sps_server.url, params=rq.kvp_params("GetCapabilities"))
        tasking = await http.get(sps_server.url, params=rq.kvp_params("DescribeTasking", procedure=CAMERA))
        missing = await http.get(sps_server.url, params=rq.kvp_params("GetStatus", task="nope"))
    assert len(sps2.parse_capabilities(caps.content).offerings) == 2
    assert sps2.parse_describe_tasking(tasking.content, CAMERA).name == "CameraTask"
    assert missing.status_code == 400
    with pytest.raises(sps2.SpsException, match="unknown to the service"):
        sps2.unwrap(missing.content)
