"""Commands (Part 2 §5.3-5.5, CRD §10): lifecycle through the published status codes, 409 on illegal
transitions, cancel, delete, idempotent retries, synchronous control streams, status/result resources,
and commands in every command format (`cmdFormat`)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from bridge import swe
from bridge.commands.base import Forwarded
from bridge.model.csapi import Command as CommandModel
from bridge.model.csapi import CommandResult, CommandStatus, ControlStream, StatusCode, TimeExtent
from bridge.model.time import parse_datetime, utcnow
from bridge.store.sql.store import SqlStore
from tests.api.part2_support import (
    BASE,
    JSON,
    SWE_BINARY,
    SWE_CSV,
    SWE_JSON,
    SWE_TEXT,
    assert_error,
    example,
    get_json,
    local_id,
    new_stream,
    new_system,
    open_part2_client,
    post_json,
    rels,
    walk,
)

EXECUTION = ["2021-03-15T04:53:34.543Z", "2021-03-15T04:53:36.021Z"]
PTZ = {"pan": -10.0, "tilt": 23.0, "zoom": 0.4}


async def _stream(client: httpx.AsyncClient, is_async: bool = True, uid: str = "urn:x-p2:sys:camera") -> str:
    system_id = await new_system(client, uid, "Camera")
    body = example("controlstreams/controlstream-ptz-create.json")
    body["async"] = is_async
    return await new_stream(client, system_id, "controlstreams", body)


async def _command(client: httpx.AsyncClient, cs_id: str, params: Any = None, **headers: str) -> str:
    r = await post_json(client, f"/controlstreams/{cs_id}/commands", {"parameters": params or PTZ}, **headers)
    assert r.headers["location"].startswith(f"{BASE}/commands/")
    return local_id(r.headers["location"])


async def _report(
    client: httpx.AsyncClient, cmd_id: str, code: str, status: int = 201, **members: Any
) -> httpx.Response:
    r = await client.post(f"/commands/{cmd_id}/status", json={"statusCode": code, **members})
    assert r.status_code == status, f"{code}: {r.status_code} {r.text}"
    return r


async def _current(client: httpx.AsyncClient, cmd_id: str) -> str:
    status: str = (await get_json(client, f"/commands/{cmd_id}"))["currentStatus"]
    reports = await walk(client, f"/commands/{cmd_id}/status")
    assert reports[-1]["statusCode"] == status  # currentStatus is always the latest report
    return status


async def test_a_posted_command_is_pending_and_linked(p2: httpx.AsyncClient) -> None:
    cs_id = await _stream(p2)
    before = utcnow()
    r = await post_json(p2, f"/controlstreams/{cs_id}/commands", example("commands/command-ptz-create.json"))
    assert r.content == b""
    cmd = await get_json(p2, r.headers["location"])
    assert cmd["controlstream@id"] == cs_id and cmd["parameters"] == PTZ and cmd["currentStatus"] == "PENDING"
    assert parse_datetime(cmd["issueTime"]) >= before.replace(microsecond=0)
    links = rels(cmd)
    assert links["self"] == r.headers["location"]
    assert links["controlstream"] == f"{BASE}/controlstreams/{cs_id}"
    for rel in ("status", "result", "controlstream"):
        assert (await p2.get(links[rel])).status_code == 200, rel
    reports = await walk(p2, links["status"])
    assert [s["statusCode"] for s in reports] == ["PENDING"] and reports[0]["command@id"] == cmd["id"]
    stream = await get_json(p2, f"/controlstreams/{cs_id}")
    assert stream["issueTime"][0] == stream["issueTime"][1] == cmd["issueTime"]


async def test_status_reports_move_the_command_through_the_published_codes(p2: httpx.AsyncClient) -> None:
    cs_id = await _stream(p2)
    cmd = await _command(p2, cs_id)
    steps: list[tuple[str, dict[str, Any]]] = [
        ("ACCEPTED", {}),
        ("SCHEDULED", {"executionTime": EXECUTION}),
        ("UPDATED", {"message": "new parameters accepted"}),
        ("SCHEDULED", {"executionTime": EXECUTION}),
        ("EXECUTING", {"percentCompletion": 10}),
        ("EXECUTING", {"percentCompletion": 60.5, "message": "halfway"}),
        ("COMPLETED", {"executionTime": EXECUTION, "message": "Camera moved to new position"}),
    ]
    for code, members in steps:
        r = await _report(p2, cmd, code, **members)
        report = await get_json(p2, r.headers["location"])
        assert report["statusCode"] == code and report["command@id"] == cmd
        assert await _current(p2, cmd) == code
    assert (await get_json(p2, f"/commands/{cmd}"))["executionTime"] == [
        "2021-03-15T04:53:34.543Z",
        "2021-03-15T04:53:36.021Z",
    ]
    reports = await walk(p2, f"/commands/{cmd}/status")
    assert [s["statusCode"] for s in reports] == ["PENDING"] + [code for code, _ in steps]
    assert reports[5]["percentCompletion"] == 10
    for code in ("EXECUTING", "CANCELED", "FAILED", "COMPLETED"):  # nothing after a final status
        await _report(p2, cmd, code, 409, executionTime=EXECUTION)
    # the other final outcomes
    rejected = await _command(p2, cs_id)
    await _report(p2, rejected, "REJECTED", message="out of range")
    failed = await _command(p2, cs_id)
    await _report(p2, failed, "ACCEPTED")
    await _report(p2, failed, "EXECUTING")
    await _report(p2, failed, "FAILED", message="motor jammed")
    assert (await _current(p2, rejected), await _current(p2, failed)) == ("REJECTED", "FAILED")


ILLEGAL = [
    ([], "EXECUTING"),
    ([], "SCHEDULED"),
    ([], "UPDATED"),
    ([], "PENDING"),
    (["ACCEPTED"], "PENDING"),
    (["ACCEPTED", "EXECUTING"], "SCHEDULED"),
    (["ACCEPTED", "EXECUTING"], "REJECTED"),
    (["ACCEPTED", "SCHEDULED"], "ACCEPTED"),
    (["REJECTED"], "ACCEPTED"),
    (["CANCELED"], "CANCELED"),
]


@pytest.mark.parametrize(("before", "code"), ILLEGAL, ids=[f"{'-'.join(b) or 'PENDING'}-then-{c}" for b, c in ILLEGAL])
async def test_illegal_transitions_are_409(p2: httpx.AsyncClient, before: list[str], code: str) -> None:
    cs_id = await _stream(p2)
    cmd = await _command(p2, cs_id)
    for step in before:
        await _report(p2, cmd, step, executionTime=EXECUTION)
    current = await _current(p2, cmd)
    r = await _report(p2, cmd, code, 409, executionTime=EXECUTION)
    assert current in r.json()["description"]
    assert await _current(p2, cmd) == current


async def test_invalid_status_reports_are_400(p2: httpx.AsyncClient) -> None:
    cs_id = await _stream(p2)
    cmd = await _command(p2, cs_id)
    await _report(p2, cmd, "ACCEPTED")
    # the official example reports COMPLETED without the actual executionTime the status table requires
    completed = example("commandStatus/command-status-completed.json")
    r = await p2.post(f"/commands/{cmd}/status", json=completed)
    assert_error(r, 400, "executionTime")
    for body, word in [
        ({"statusCode": "SCHEDULED"}, "executionTime"),
        ({"statusCode": "DONE"}, "statusCode"),
        ({}, "statusCode"),
        ({"statusCode": "EXECUTING", "percentCompletion": 150}, "percentCompletion"),
        ({"statusCode": "EXECUTING", "reportTime": "soon"}, "reportTime"),
        (
            {"statusCode": "SCHEDULED", "executionTime": ["2021-01-02T00:00:00Z", "2021-01-01T00:00:00Z"]},
            "executionTime",
        ),
        (["EXECUTING"], "statusCode"),
    ]:
        assert_error(await p2.post(f"/commands/{cmd}/status", json=body), 400, word)
    assert await _current(p2, cmd) == "ACCEPTED"
    assert_error(await p2.post("/commands/nope/status", json={"statusCode": "ACCEPTED"}), 404)
    # the official ACCEPTED example is a valid report (its id and command@id are the server's business)
    cmd2 = await _command(p2, cs_id)
    await p2.post(f"/commands/{cmd2}/status", json=example("commandStatus/command-status-accepted.json"))
    reports = await walk(p2, f"/commands/{cmd2}/status")
    assert reports[-1]["statusCode"] == "ACCEPTED" and reports[-1]["command@id"] == cmd2
    assert reports[-1]["reportTime"] == "2021-03-15T04:53:34.348Z"


async def test_results_carried_by_status_reports_become_result_resources(p2: httpx.AsyncClient) -> None:
    cs_id = await _stream(p2)
    cmd = await _command(p2, cs_id)
    await _report(p2, cmd, "ACCEPTED")
    await _report(p2, cmd, "EXECUTING")
    # the examples use `result` (text table) where the schema says `results`; both are accepted
    r = await p2.post(f"/commands/{cmd}/status", json=example("commandStatus/command-status-result-obs-link.json"))
    assert r.status_code == 201, r.text
    report = await get_json(p2, r.headers["location"])
    assert report["statusCode"] == "EXECUTING" and report["message"] == "New image acquired"
    (linked,) = report["results"]
    assert linked["command@id"] == cmd and linked["observation@link"]["type"] == "application/json"
    inline = example("commandStatus/command-status-inline-result-simple.json")
    assert_error(await p2.post(f"/commands/{cmd}/status", json=inline), 400, "executionTime")
    r = await _report(p2, cmd, "COMPLETED", executionTime=EXECUTION, result=inline["result"])
    report = await get_json(p2, r.headers["location"])
    assert report["results"][0]["data"] == {"mean": "10.51", "stdev": "1.23"}  # `inline` in, `data` out
    results = await walk(p2, f"/commands/{cmd}/result")
    assert [r["id"] for r in results] == [linked["id"], report["results"][0]["id"]]
    # a merge patch keeps the attached results (no copies)
    assert (await p2.patch(r.headers["location"], json={"message": "done"})).status_code == 204
    assert (await get_json(p2, r.headers["location"]))["results"] == report["results"]
    assert len(await walk(p2, f"/commands/{cmd}/result")) == 2
    # an invalid result stores nothing
    before = await walk(p2, f"/commands/{cmd}/status")
    cmd2 = await _command(p2, cs_id)
    assert_error(await p2.post(f"/commands/{cmd2}/status", json={"statusCode": "ACCEPTED", "results": [{"x": 1}]}), 400)
    assert await _current(p2, cmd2) == "PENDING" and len(await walk(p2, f"/commands/{cmd}/status")) == len(before)


async def test_posting_canceled_cancels_the_command(p2: httpx.AsyncClient) -> None:
    cs_id = await _stream(p2)
    cmd = await _command(p2, cs_id)
    await _report(p2, cmd, "ACCEPTED")
    r = await _report(p2, cmd, "CANCELED", message="operator request")
    report = await get_json(p2, r.headers["location"])
    assert report["statusCode"] == "CANCELED" and report["message"] == "operator request"
    assert await _current(p2, cmd) == "CANCELED"
    assert (await p2.get(f"/commands/{cmd}")).status_code == 200  # canceling keeps the resource
    await _report(p2, cmd, "EXECUTING", 409)
    await _report(p2, cmd, "CANCELED", 409)


async def test_delete_removes_a_command_and_its_reports(p2: httpx.AsyncClient) -> None:
    cs_id = await _stream(p2)
    pending, done = await _command(p2, cs_id), await _command(p2, cs_id)
    await _report(p2, done, "REJECTED")
    await post_json(p2, f"/commands/{done}/result", example("commandResult/command-result-inline.json"))
    for cmd in (pending, done):
        assert (await p2.delete(f"/commands/{cmd}")).status_code == 204
        for url in (f"/commands/{cmd}", f"/commands/{cmd}/status", f"/commands/{cmd}/result"):
            assert_error(await p2.get(url), 404)
    assert await walk(p2, "/commands") == []
    assert_error(await p2.delete(f"/commands/{pending}"), 404)


async def test_idempotency_key_replays_return_the_same_command(p2: httpx.AsyncClient) -> None:
    cs_id = await _stream(p2)
    first = await _command(p2, cs_id, **{"Idempotency-Key": "k-1"})
    again = await _command(p2, cs_id, {"pan": 1.0, "tilt": 1.0, "zoom": 1.0}, **{"Idempotency-Key": "k-1"})
    assert again == first
    assert (await get_json(p2, f"/commands/{first}"))["parameters"] == PTZ  # the stored command, unchanged
    assert len(await walk(p2, f"/commands/{first}/status")) == 1
    other = await _command(p2, cs_id, **{"Idempotency-Key": "k-2"})
    plain = await _command(p2, cs_id)
    assert len({first, other, plain}) == 3
    other_stream = await _stream(p2, uid="urn:x-p2:sys:camera2")
    assert await _command(p2, other_stream, **{"Idempotency-Key": "k-1"}) != first  # keys are per control stream
    batch = [{"parameters": PTZ}, {"parameters": PTZ}]
    r1 = await post_json(p2, f"/controlstreams/{cs_id}/commands", batch, **{"Idempotency-Key": "batch"})
    r2 = await post_json(p2, f"/controlstreams/{cs_id}/commands", batch, **{"Idempotency-Key": "batch"})
    assert r1.json() == r2.json() and len(set(r1.json()["items"])) == 2
    assert len(await walk(p2, f"/controlstreams/{cs_id}/commands")) == 5


async def test_invalid_commands_are_400_and_nothing_is_kept(p2: httpx.AsyncClient) -> None:
    cs_id = await _stream(p2)
    url = f"/controlstreams/{cs_id}/commands"
    for body, word in [
        ({}, "parameters"),
        ({"parameters": {"pan": "left", "tilt": 0.0, "zoom": 0.0}}, "pan"),
        ({"parameters": {"pan": 1.0, "tilt": 0.0}}, "parameters"),
        ([{"parameters": PTZ}, {"parameters": 5}], "command 2"),
        ({"parameters": PTZ, "samplingFeature@id": ""}, "samplingFeature@id"),
        ("go", "command"),
    ]:
        assert_error(await p2.post(url, json=body), 400, word)
    for raw, media in [(b"", JSON), (b"{", JSON), (b"2021-01-01T00:00:00Z,1.0\n", SWE_CSV), (b"\x00\x01", SWE_BINARY)]:
        assert_error(await p2.post(url, content=raw, headers={"Content-Type": media}), 400)
    assert_error(await p2.post(url, content=b"<x/>", headers={"Content-Type": "image/png"}), 415)
    assert await walk(p2, "/commands") == []
    assert_error(await p2.post("/controlstreams/nope/commands", json={"parameters": PTZ}), 404)
    assert (await p2.post("/commands", json={"parameters": PTZ})).status_code == 405


async def test_replace_and_patch_the_parameters_of_an_unfinished_command(p2: httpx.AsyncClient) -> None:
    cs_id = await _stream(p2)
    cmd = await _command(p2, cs_id)
    assert (
        await p2.put(f"/commands/{cmd}", json={"parameters": {"pan": 5.0, "tilt": 6.0, "zoom": 7.0}})
    ).status_code == 204
    assert (await p2.patch(f"/commands/{cmd}", json={"parameters": {"zoom": 1.5}})).status_code == 204
    assert (await get_json(p2, f"/commands/{cmd}"))["parameters"] == {"pan": 5.0, "tilt": 6.0, "zoom": 1.5}
    assert_error(await p2.patch(f"/commands/{cmd}", json={"parameters": {"zoom": "max"}}), 400, "zoom")
    assert_error(await p2.put(f"/commands/{cmd}", json={"params": {}}), 400, "parameters")
    await _report(p2, cmd, "REJECTED")
    assert_error(await p2.put(f"/commands/{cmd}", json={"parameters": PTZ}), 409, "REJECTED")


async def test_the_control_stream_nested_url_of_a_command(p2: httpx.AsyncClient) -> None:
    cs_id = await _stream(p2)
    other = await _stream(p2, uid="urn:x-p2:sys:camera2")
    cmd = await _command(p2, cs_id)
    nested = f"/controlstreams/{cs_id}/commands/{cmd}"
    r = await p2.get(nested)
    assert r.status_code == 200 and rels(r.json())["canonical"] == f"{BASE}/commands/{cmd}"
    assert r.headers["link"] == f'<{BASE}/commands/{cmd}>; rel="canonical"'
    wrong = f"/controlstreams/{other}/commands/{cmd}"
    for call in (p2.get(wrong), p2.put(wrong, json={"parameters": PTZ}), p2.delete(wrong)):
        assert_error(await call, 404)
    assert (await p2.patch(nested, json={"parameters": {"pan": 45.0}})).status_code == 204
    assert (await p2.put(nested, json={"parameters": PTZ})).status_code == 204
    assert (await p2.delete(nested)).status_code == 204
    assert_error(await p2.get(f"/commands/{cmd}"), 404)


async def test_status_reports_can_be_replaced_and_deleted_keeping_the_lifecycle(p2: httpx.AsyncClient) -> None:
    cs_id = await _stream(p2)
    cmd = await _command(p2, cs_id)
    accepted = local_id((await _report(p2, cmd, "ACCEPTED")).headers["location"])
    scheduled = local_id((await _report(p2, cmd, "SCHEDULED", executionTime=EXECUTION)).headers["location"])
    executing = local_id((await _report(p2, cmd, "EXECUTING", percentCompletion=5)).headers["location"])
    url = f"/commands/{cmd}/status/{executing}"
    assert (await p2.patch(url, json={"percentCompletion": 25, "message": "moving"})).status_code == 204
    report = await get_json(p2, url)
    assert (report["percentCompletion"], report["message"], report["statusCode"]) == (25, "moving", "EXECUTING")
    # replacing the latest report moves currentStatus with it
    assert (await p2.put(url, json={"statusCode": "FAILED", "message": "jammed"})).status_code == 204
    assert await _current(p2, cmd) == "FAILED"
    # a replacement must keep the chain legal: SCHEDULED → PENDING is not
    assert_error(await p2.put(url, json={"statusCode": "PENDING"}), 409)
    assert_error(await p2.put(url, json={"statusCode": "COMPLETED"}), 400, "executionTime")
    # so must a deletion: without ACCEPTED, SCHEDULED would follow PENDING
    assert_error(await p2.delete(f"/commands/{cmd}/status/{accepted}"), 409)
    # deleting the latest report gives the previous one back
    for deleted, current in ((executing, "SCHEDULED"), (scheduled, "ACCEPTED"), (accepted, "PENDING")):
        assert (await p2.delete(f"/commands/{cmd}/status/{deleted}")).status_code == 204
        assert await _current(p2, cmd) == current
        assert_error(await p2.get(f"/commands/{cmd}/status/{deleted}"), 404)
    first = (await walk(p2, f"/commands/{cmd}/status"))[0]["id"]
    assert_error(await p2.delete(f"/commands/{cmd}/status/{first}"), 409, "only")
    assert_error(await p2.put(f"/commands/{cmd}/status/nope", json={"statusCode": "ACCEPTED"}), 404)


async def test_command_results(p2: httpx.AsyncClient) -> None:
    cs_id = await _stream(p2)
    cmd = await _command(p2, cs_id)
    inline = example("commandResult/command-result-inline.json")
    r1 = await post_json(p2, f"/commands/{cmd}/result", inline)
    r2 = await post_json(p2, f"/commands/{cmd}/result", example("commandResult/command-result-datastream.json"))
    results = await walk(p2, f"/commands/{cmd}/result")
    assert [r.get("data") for r in results] == [inline["data"], None]
    assert results[1]["datastream@link"]["title"] == "Plume Simulation Data"
    assert (await get_json(p2, r1.headers["location"]))["data"] == {"mean": "10.51", "stdev": "1.23"}
    assert (await p2.put(r1.headers["location"], json={"inline": {"mean": "11"}})).status_code == 204  # text's name
    assert (await get_json(p2, r1.headers["location"]))["data"] == {"mean": "11"}
    patch = {"datastream@link": None, "observation@link": {"href": "https://example.org/obs/1"}}
    assert (await p2.patch(r2.headers["location"], json=patch)).status_code == 204
    assert (await get_json(p2, r2.headers["location"]))["observation@link"]["href"] == "https://example.org/obs/1"
    for body in ({}, {"data": 1, "datastream@link": {"href": "x"}}, {"external@link": "x"}, [1]):
        assert_error(await p2.post(f"/commands/{cmd}/result", json=body), 400)
    assert (await p2.delete(r1.headers["location"])).status_code == 204
    assert len(await walk(p2, f"/commands/{cmd}/result")) == 1
    assert_error(await p2.get(r1.headers["location"]), 404)
    assert_error(await p2.post("/commands/nope/result", json=inline), 404)


# ------------------------------------------------------------------------------------------------
# Command formats
# ------------------------------------------------------------------------------------------------


async def _codec(client: httpx.AsyncClient, cs_id: str, fmt: str) -> swe.RecordCodec:
    schema = await get_json(client, f"/controlstreams/{cs_id}/schema", cmdFormat=fmt)
    return swe.make_codec(swe.parse_component(schema["recordSchema"]), swe.parse_encoding(schema["encoding"]))


async def test_commands_in_every_command_format(p2: httpx.AsyncClient) -> None:
    cs_id = await _stream(p2)
    sent = [{"pan": float(i), "tilt": -float(i), "zoom": i / 10} for i in range(8)]
    url = f"/controlstreams/{cs_id}/commands"
    await post_json(p2, url, {"parameters": sent[0]})
    await post_json(p2, url, [{"parameters": p} for p in sent[1:3]])
    swe_json = [{"issueTime": "2021-01-01T00:00:00Z", **p} for p in sent[3:5]]
    r = await p2.post(url, content=json.dumps(swe_json), headers={"Content-Type": SWE_JSON})
    assert r.status_code == 201 and len(r.json()["items"]) == 2
    csv = "".join(f"2021-01-01T00:00:00Z,{p['pan']},{p['tilt']},{p['zoom']}\n" for p in sent[5:7])
    assert (await p2.post(url, content=csv.encode(), headers={"Content-Type": SWE_CSV})).status_code == 201
    binary = b"".join((await _codec(p2, cs_id, SWE_BINARY)).encode([{"issueTime": "2021-01-01T00:00:00Z", **sent[7]}]))
    assert (await p2.post(url, content=binary, headers={"Content-Type": SWE_BINARY})).status_code == 201
    commands = await walk(p2, url, limit=100)
    assert [c["parameters"] for c in commands] == sent
    assert all(c["currentStatus"] == "PENDING" for c in commands)
    issue_times = [c["issueTime"] for c in commands]
    for fmt in (SWE_JSON, SWE_CSV, SWE_TEXT, SWE_BINARY):
        r = await p2.get(url, params={"limit": 100}, headers={"Accept": fmt})
        assert r.status_code == 200 and r.headers["content-type"] == fmt
        records = (await _codec(p2, cs_id, SWE_CSV if fmt == SWE_TEXT else fmt)).decode(r.content)
        # the issue time is the server's (the one in a posted record is ignored)
        assert [rec["issueTime"] for rec in records] == issue_times
        assert [{k: rec[k] for k in ("pan", "tilt", "zoom")} for rec in records] == sent, fmt
    assert_error(await p2.get("/commands", headers={"Accept": SWE_CSV}), 406)


async def test_swe_command_pages_link_the_next_page_in_a_header(p2: httpx.AsyncClient) -> None:
    cs_id = await _stream(p2)
    await post_json(p2, f"/controlstreams/{cs_id}/commands", [{"parameters": PTZ}] * 5)
    lines, url = [], f"/controlstreams/{cs_id}/commands?limit=2"
    while url:
        r = await p2.get(url, headers={"Accept": SWE_CSV})
        lines += r.text.splitlines()
        url = r.headers.get("link", "").split(";")[0].strip()[1:-1] or None
    assert len(lines) == 5


# ------------------------------------------------------------------------------------------------
# Synchronous control streams and forwarders
# ------------------------------------------------------------------------------------------------


class InstantForwarder:
    """A legacy service answering at once: COMPLETED (REJECTED when pan > 90), with an inline result."""

    name = "instant"

    def __init__(self) -> None:
        self.canceled: list[str] = []

    def handles(self, stream: ControlStream) -> bool:
        return True

    async def submit(self, stream: ControlStream, command: CommandModel) -> Forwarded:
        now = utcnow()
        if command.parameters["pan"] > 90:
            return Forwarded(
                [CommandStatus(command_id="", status_code=StatusCode.REJECTED, message="pan out of range")]
            )
        done = CommandStatus(command_id="", status_code=StatusCode.COMPLETED, execution_time=TimeExtent(now, now))
        return Forwarded([done], results=[CommandResult(command_id="", data={"moved": True})])

    async def cancel(self, stream: ControlStream, command: CommandModel) -> Forwarded:
        self.canceled.append(command.id)
        return Forwarded([CommandStatus(command_id="", status_code=StatusCode.CANCELED, message="canceled upstream")])

    async def update(self, stream: ControlStream, command: CommandModel) -> Forwarded:
        return Forwarded()

    async def poll(self, stream: ControlStream, command: CommandModel) -> Forwarded:
        return Forwarded()

    async def reconcile(self, stream: ControlStream, command: CommandModel) -> Forwarded | None:
        return None


async def test_a_sync_control_stream_answers_with_the_final_status(store: SqlStore) -> None:
    forwarder = InstantForwarder()
    async with open_part2_client(store, forwarders=[forwarder]) as client:
        cs_id = await _stream(client, is_async=False)
        r = await post_json(client, f"/controlstreams/{cs_id}/commands", example("commands/command-ptz-create.json"))
        status = r.json()
        assert status["statusCode"] == "COMPLETED" and "executionTime" in status
        cmd = local_id(r.headers["location"])
        assert status["command@id"] == cmd and await _current(client, cmd) == "COMPLETED"
        assert [s["statusCode"] for s in await walk(client, f"/commands/{cmd}/status")] == ["PENDING", "COMPLETED"]
        assert (await walk(client, f"/commands/{cmd}/result"))[0]["data"] == {"moved": True}
        r = await post_json(client, f"/controlstreams/{cs_id}/commands", {"parameters": {**PTZ, "pan": 120.0}})
        assert r.json()["statusCode"] == "REJECTED" and r.json()["message"] == "pan out of range"
        # an async stream behind the same service: 201 + Location, no body
        async_cs = await _stream(client, uid="urn:x-p2:sys:async")
        r = await post_json(client, f"/controlstreams/{async_cs}/commands", {"parameters": PTZ})
        assert r.content == b""


async def test_cancel_and_delete_go_through_the_forwarder(store: SqlStore) -> None:
    forwarder = InstantForwarder()
    async with open_part2_client(store, forwarders=[forwarder]) as client:
        cs_id = await _stream(client)
        system_cmd = CommandModel(controlstream_id=cs_id, parameters=PTZ)  # harvested, still running upstream
        running, _ = await store.create_command(
            system_cmd, CommandStatus(command_id="", status_code=StatusCode.ACCEPTED)
        )
        r = await _report(client, running.id, "CANCELED")
        assert forwarder.canceled == [running.id]
        assert (await get_json(client, r.headers["location"]))["message"] == "canceled upstream"
        other, _ = await store.create_command(
            CommandModel(controlstream_id=cs_id, parameters=PTZ),
            CommandStatus(command_id="", status_code=StatusCode.EXECUTING),
        )
        assert (await client.delete(f"/commands/{other.id}")).status_code == 204
        assert forwarder.canceled == [running.id, other.id]  # an unfinished command is canceled before deletion
        assert (await client.delete(f"/commands/{running.id}")).status_code == 204
        assert forwarder.canceled == [running.id, other.id]  # a finished one is just deleted
