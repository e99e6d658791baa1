"""The WebSocket door (live streaming builds on it): the upgrade is authenticated from its headers like any request,
needs `read`, is refused from a foreign web origin, and the endpoint finds the principal in its scope to ask for
more (e.g. `write` for what a client pushes). Routes added after `create_app` are covered as well."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

from bridge.api.app import create_app
from bridge.api.auth import Role, access_of, principal_of
from bridge.errors import BridgeError
from bridge.settings import Settings
from tests.api.auth.support import BASE, auth_settings, bearer


def _app() -> TestClient:
    app = create_app(Settings(store="sqlite:///:memory:", base_url=BASE, auth=auth_settings(anonymous_roles=[])))

    @app.websocket("/datastreams/{ds}/live")
    async def live(websocket: WebSocket, ds: str) -> None:
        principal = principal_of(websocket.scope)
        assert principal is not None
        await websocket.accept()
        await websocket.send_text(principal.label)
        try:
            pushed = await websocket.receive_text()
        except WebSocketDisconnect:
            return
        try:
            await access_of(websocket.app).authorize(principal, Role.WRITE)
        except BridgeError as exc:
            await websocket.send_text(f"{exc.status} {pushed}")
            return
        await websocket.send_text(f"stored {pushed}")

    return TestClient(app, base_url=BASE)


def test_a_websocket_upgrade_needs_a_credential_with_read() -> None:
    with _app() as client:
        for headers in ({}, {"Authorization": "Bearer csb_nobody_x"}, bearer("only-write")):
            with (
                pytest.raises(WebSocketDisconnect) as refused,
                client.websocket_connect("/datastreams/d1/live", headers=headers),
            ):
                pass
            assert refused.value.code == 1008
        with client.websocket_connect("/datastreams/d1/live", headers=bearer("reader")) as ws:
            assert ws.receive_text() == "apikey:reader"
            ws.send_text("obs")
            assert ws.receive_text() == "403 obs"  # reading does not allow pushing
        with client.websocket_connect("/datastreams/d1/live", headers=bearer("all")) as ws:
            assert ws.receive_text() == "apikey:all"
            ws.send_text("obs")
            assert ws.receive_text() == "stored obs"


def test_a_websocket_from_a_foreign_origin_is_refused() -> None:
    with _app() as client:
        headers = {**bearer("all"), "Origin": "https://evil.example.net"}
        with pytest.raises(WebSocketDisconnect), client.websocket_connect("/datastreams/d1/live", headers=headers):
            pass
        with client.websocket_connect("/datastreams/d1/live", headers={**bearer("all"), "Origin": BASE}) as ws:
            assert ws.receive_text() == "apikey:all"
