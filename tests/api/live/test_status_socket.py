"""WebSocket `/controlstreams/{id}/status` and `/commands/{id}/status` against a real server and client: every
status report stored (the pipeline's first report, a report POSTed by the system) arrives as `GET` serves it; the
per-command socket gets its command's reports only; these sockets take no frames."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.api.live.support import Live, frames, live_bridge, loads, quiet
from tests.api.part2_support import example, local_id, new_stream, new_system, post_json

pytestmark = pytest.mark.slow
PTZ = {"pan": -10.0, "tilt": 23.0, "zoom": 0.4}


async def control_stream(live: Live) -> str:
    system_id = await new_system(live.http, "urn:x-live:camera", "Camera")
    return await new_stream(
        live.http, system_id, "controlstreams", example("controlstreams/controlstream-ptz-create.json")
    )


async def command(live: Live, cs: str) -> str:
    r = await post_json(live.http, f"/controlstreams/{cs}/commands", {"parameters": PTZ})
    return local_id(r.headers["location"])


async def report(live: Live, cmd: str, code: str) -> None:
    r = await live.http.post(f"/commands/{cmd}/status", json={"statusCode": code})
    assert r.status_code == 201, r.text


def plain(report_: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report_.items() if k != "links"}


async def test_status_reports_arrive_on_both_sockets(store_url: str) -> None:
    async with live_bridge(store_url) as live:
        cs = await control_stream(live)
        async with live.socket(f"/controlstreams/{cs}/status") as every:
            first = await command(live, cs)
            second = await command(live, cs)
            async with live.socket(f"/commands/{first}/status") as one:
                await report(live, second, "ACCEPTED")
                await report(live, first, "ACCEPTED")
                await report(live, first, "EXECUTING")
                mine = loads(await frames(one, 2))
                assert await quiet(one) == []
            got = loads(await quiet(every, 1.0))
        assert [(r["command@id"], r["statusCode"]) for r in mine] == [(first, "ACCEPTED"), (first, "EXECUTING")]
        assert [r["command@id"] for r in got] == [first, second, second, first, first]
        assert [r["statusCode"] for r in got][2:] == ["ACCEPTED", "ACCEPTED", "EXECUTING"]
        listed = (await live.http.get(f"/commands/{first}/status")).json()["items"]
        assert [plain(r) for r in listed] == [plain(r) for r in got if r["command@id"] == first]


async def test_a_status_socket_takes_no_frames_and_refuses_unknown_commands(sqlite_url: str) -> None:
    async with live_bridge(sqlite_url) as live:
        cs = await control_stream(live)
        async with live.socket(f"/controlstreams/{cs}/status") as ws:
            await ws.send(json.dumps({"statusCode": "ACCEPTED"}))
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1003
        for path in ("/commands/nope/status", "/controlstreams/nope/status"):
            with pytest.raises(InvalidStatus) as refused:
                async with live.socket(path):
                    pass
            assert refused.value.response.status_code == 404
