"""WebSocket `/controlstreams/{id}/commands` against a real server and client: commands stored by any writer arrive
as `GET /commands/{id}` serves them; commands sent on the socket go through the pipeline like a POST (stored with
their first status, back live); bad frames are refused with 1007 and store nothing; submitting needs `command`."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from bridge.api.app import create_app
from bridge.settings import Settings
from tests.api.auth.support import BASE, auth_settings, bearer
from tests.api.live.support import Live, frames, live_bridge, loads, quiet
from tests.api.part2_support import example, new_stream, new_system, post_json, walk

pytestmark = pytest.mark.slow
PTZ = {"pan": -10.0, "tilt": 23.0, "zoom": 0.4}


async def control_stream(live: Live) -> str:
    system_id = await new_system(live.http, "urn:x-live:camera", "Camera")
    return await new_stream(
        live.http, system_id, "controlstreams", example("controlstreams/controlstream-ptz-create.json")
    )


async def stored(live: Live, cs: str) -> list[dict[str, Any]]:
    return await walk(live.http, f"/controlstreams/{cs}/commands", limit=100)


async def served(live: Live, command: dict[str, Any]) -> dict[str, Any]:
    return dict((await live.http.get(f"/commands/{command['id']}")).json())


async def test_commands_posted_over_http_arrive_live(store_url: str) -> None:
    async with live_bridge(store_url) as live:
        cs = await control_stream(live)
        async with live.socket(f"/controlstreams/{cs}/commands") as ws:
            for pan in (1.0, 2.0):
                await post_json(live.http, f"/controlstreams/{cs}/commands", {"parameters": {**PTZ, "pan": pan}})
            got = loads(await frames(ws, 2))
            assert await quiet(ws) == []
        assert [c["parameters"]["pan"] for c in got] == [1.0, 2.0]
        for command in got:
            now = await served(live, command)
            assert {k: v for k, v in command.items() if k != "currentStatus"} == {
                k: v for k, v in now.items() if k != "currentStatus"
            }


async def test_commands_sent_on_the_socket_go_through_the_pipeline(sqlite_url: str) -> None:
    async with live_bridge(sqlite_url) as live:
        cs = await control_stream(live)
        async with live.socket(f"/controlstreams/{cs}/commands") as ws:
            await ws.send(json.dumps({"parameters": PTZ}))
            await ws.send(json.dumps([{"parameters": {**PTZ, "zoom": 0.1}}, {"parameters": {**PTZ, "zoom": 0.2}}]))
            back = loads(await frames(ws, 3))
        assert [c["parameters"]["zoom"] for c in back] == [0.4, 0.1, 0.2]
        assert {c["id"] for c in back} == {c["id"] for c in await stored(live, cs)}
        status = (await live.http.get(f"/commands/{back[0]['id']}/status")).json()["items"]
        assert status and status[0]["statusCode"]  # the pipeline wrote the first report


@pytest.mark.parametrize(
    ("frame", "word"),
    [
        ("{", "not valid JSON"),
        (json.dumps({"parameters": {"pan": "left"}}), "pan"),
        (json.dumps([{"parameters": PTZ}, {"nothing": 1}]), "parameters"),
    ],
)
async def test_a_bad_command_frame_closes_1007_and_stores_nothing(sqlite_url: str, frame: str, word: str) -> None:
    async with live_bridge(sqlite_url) as live:
        cs = await control_stream(live)
        async with live.socket(f"/controlstreams/{cs}/commands") as ws:
            await ws.send(frame)
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1007
        assert word in closed.value.rcvd.reason
        assert await stored(live, cs) == []


async def test_a_bad_command_upgrade_is_a_4xx_json(sqlite_url: str) -> None:
    async with live_bridge(sqlite_url) as live:
        cs = await control_stream(live)
        for path, status in ((f"/controlstreams/{cs}/commands?f=xml", 400), ("/controlstreams/nope/commands", 404)):
            with pytest.raises(InvalidStatus) as refused:
                async with live.socket(path):
                    pass
            assert refused.value.response.status_code == status
            assert json.loads(refused.value.response.body or b"{}")["description"]


def test_submitting_needs_command() -> None:
    app = create_app(Settings(store="sqlite:///:memory:", base_url=BASE, auth=auth_settings(anonymous_roles=[])))
    with TestClient(app, base_url=BASE) as client:
        camera = {"type": "Feature", "geometry": None, "properties": {"name": "Camera", "uid": "urn:x-live:cam"}}
        r = client.post("/systems", json=camera, headers=bearer("all"))
        system = r.headers["location"].rsplit("/", 1)[1]
        body = example("controlstreams/controlstream-ptz-create.json")
        cs = client.post(f"/systems/{system}/controlstreams", json=body, headers=bearer("all")).headers["location"]
        path = "/controlstreams/" + cs.rsplit("/", 1)[1] + "/commands"
        with client.websocket_connect(path, headers=bearer("but-command")) as ws:
            ws.send_text(json.dumps({"parameters": PTZ}))
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_text()
            assert closed.value.code == 1008 and "'command'" in closed.value.reason
        assert client.get(path, headers=bearer("reader")).json()["items"] == []
        with client.websocket_connect(path, headers=bearer("stream-a")) as ws:  # may task cs-a only
            ws.send_text(json.dumps({"parameters": PTZ}))
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_text()
            assert closed.value.code == 1008 and "may not task control stream" in closed.value.reason
        with (
            pytest.raises(WebSocketDisconnect) as refused,
            client.websocket_connect(path, headers=bearer("only-command")),  # connecting needs `read`
        ):
            pass
        assert refused.value.code == 1008
        assert client.get(path, headers=bearer("reader")).json()["items"] == []
        with client.websocket_connect(path, headers=bearer("all")) as ws:
            ws.send_text(json.dumps({"parameters": PTZ}))
            assert json.loads(ws.receive_text())["parameters"] == PTZ
        assert len(client.get(path, headers=bearer("reader")).json()["items"]) == 1


@pytest.mark.parametrize("f", ["swejson", "swecsv", "swebinary"])
async def test_each_command_format_round_trips(sqlite_url: str, f: str) -> None:
    """A frame is the record the GET of that format serves; the frame sent back is submitted like a POST of it."""
    async with live_bridge(sqlite_url) as live:
        cs = await control_stream(live)
        async with live.socket(f"/controlstreams/{cs}/commands?f={f}") as ws:
            await post_json(live.http, f"/controlstreams/{cs}/commands", {"parameters": PTZ})
            got = await frames(ws, 1)
            listed = (await live.http.get(f"/controlstreams/{cs}/commands", params={"f": f})).content
            if f == "swejson":
                assert [json.loads(got[0])] == json.loads(listed)
            else:
                assert (got[0] if isinstance(got[0], bytes) else got[0].encode()) == listed
            await ws.send(got[0])
            again = await frames(ws, 1)  # the new command: the server gives it its own issueTime, as on a POST
        assert type(again[0]) is type(got[0])
        assert [c["parameters"] for c in await stored(live, cs)] == [PTZ, PTZ]
