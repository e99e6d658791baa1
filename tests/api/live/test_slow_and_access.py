"""A client that does not read is closed with 1013 once its buffer is full, while the server's memory stays bounded
and other clients keep receiving; pushing needs `write` (reading needs `read`)."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect
from websockets.exceptions import ConnectionClosed

from bridge.api.app import create_app
from bridge.api.live import live_tail
from bridge.settings import Settings
from tests.api.auth.support import BASE, auth_settings, bearer
from tests.api.live.support import frames, live_bridge
from tests.api.part2_support import (
    AIR_TEMP,
    datastream_body,
    new_stream,
    new_system,
    post_observations,
    quantity,
    system_body,
)

pytestmark = pytest.mark.slow


def tiny_socket() -> socket.socket:
    """A client socket with a small receive buffer: a client that does not read stops the server's sends soon."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    return sock


async def test_a_slow_consumer_is_closed_1013_and_the_others_keep_up(sqlite_url: str) -> None:
    """Observations of 8 KB: the slow client's socket buffers fill after a few hundred, then its queue."""
    async with live_bridge(sqlite_url, buffer=500) as live:
        system = await new_system(live.http, "urn:x-live:slow")
        text = {"name": "note", "type": "Text", "definition": AIR_TEMP, "label": "note"}
        ds = await new_stream(live.http, system, "datastreams", datastream_body("notes", text))
        path = f"/datastreams/{ds}/observations"
        port = int(live.ws_root.rsplit(":", 1)[1])
        sock = tiny_socket()
        sock.connect(("127.0.0.1", port))
        slow_client = live.socket(path, sock=sock, max_queue=1, ping_interval=None, compression=None)
        async with slow_client as slow, live.socket(path, ping_interval=None) as fast:
            tail = live_tail(live.app)
            total = received = 0
            deadline = time.monotonic() + 60
            while sum(len(s) for s in tail.subscribers.values()) > 1:  # until the slow one is dropped
                assert time.monotonic() < deadline, f"the slow client was never dropped ({total} posted)"
                held = [sub.held for subs in tail.subscribers.values() for sub in subs]
                assert max(held, default=0) <= 500  # what waits for a client never grows past its buffer
                await post_observations(live.http, path.split("/")[2], notes(total, 100))
                total += 100
                received += len(await frames(fast, 100))
            assert received == total  # the fast client got everything
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    await asyncio.wait_for(slow.recv(), 30)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1013
        assert "500 observations" in closed.value.rcvd.reason


def notes(first: int, count: int) -> list[dict[str, str]]:
    times = (f"2024-01-01T00:00:00.{i:06d}Z" for i in range(first, first + count))
    return [{"resultTime": t, "result": t * 300} for t in times]  # 8 KB each


def test_reading_needs_read_and_pushing_needs_write() -> None:
    app = create_app(Settings(store="sqlite:///:memory:", base_url=BASE, auth=auth_settings(anonymous_roles=[])))
    with TestClient(app, base_url=BASE) as client:
        r = client.post("/systems", json=system_body("urn:x-live:auth"), headers=bearer("all"))
        system = r.headers["location"].rsplit("/", 1)[1]
        body = datastream_body("temp", quantity("temp", AIR_TEMP))
        ds = client.post(f"/systems/{system}/datastreams", json=body, headers=bearer("all")).headers["location"]
        path = "/datastreams/" + ds.rsplit("/", 1)[1] + "/observations"
        obs = '{"resultTime": "2024-01-01T00:00:00Z", "result": 1}'
        for headers in ({}, bearer("only-write")):
            with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect(path, headers=headers):
                pass
            assert refused.value.code == 1008
        with client.websocket_connect(path, headers=bearer("reader")) as ws:
            ws.send_text(obs)
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_text()
            assert closed.value.code == 1008 and "'write'" in closed.value.reason
        assert client.get(path, headers=bearer("reader")).json()["items"] == []
        with client.websocket_connect(path, headers=bearer("but-delete")) as ws:
            ws.send_text(obs)
            assert '"result":1.0' in ws.receive_text()  # stored, and back live
        assert len(client.get(path, headers=bearer("reader")).json()["items"]) == 1
