"""pytest fixture `sps_server`: a stateful SPS 2.0 server on a free loopback port.

The server (uvicorn in a daemon thread) starts once per test session, on first use; every test
gets the same `ServerState` freshly reset. Use it as `sps_server.url` (the endpoint) and drive it
through the state's methods (`advance`, `fail_next`, `auto_progress`, `submit_outcome = …`).
Wire it in with `from tests.sps_server.fixtures import sps_server` in a conftest.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bridge.sources.sps2.tasking import parse_describe_tasking
from tests.loopback import Served, SessionServer, free_port, serve

from . import documents as doc
from .app import SpsTestApp
from .state import Procedure, ServerState

CAMERA = "http://www.ogc.org/procedure/camera/1"
SENSOR = "http://www.52north.org/test/procedure/cite-test-sensor"
CAMERA_AREA = [(51.9, 8.186), (51.9005, 8.186), (51.9005, 8.199), (51.9, 8.199)]  # lat/lon, as the OGC example


def default_procedures() -> list[Procedure]:
    """The PTZ camera of the OGC examples and 52North's CITE test sensor."""
    camera_doc = doc.describe_tasking("ogc-sps-describetasking-response.xml", "CameraTask")
    sensor_doc = doc.describe_tasking("52n-sps-citetestsensor-taskingparameters.xml", "CiteTestSensorTask")
    return [
        Procedure(
            CAMERA,
            "http://www.ogc.org/sps/offering1",
            parse_describe_tasking(camera_doc, CAMERA),
            "ogc-sps-describetasking-response.xml",
            ("polygon", CAMERA_AREA),
        ),
        Procedure(
            SENSOR,
            "http://www.52north.org/test/offering/cite-test-sensor",
            parse_describe_tasking(sensor_doc, SENSOR),
            "52n-sps-citetestsensor-taskingparameters.xml",
            ("point", [(51.9343, 7.6522)]),
        ),
    ]


@dataclass
class ServerRuntime:
    served: Served
    state: ServerState

    def stop(self) -> None:
        self.served.stop(timeout=5)


def start_server(state: ServerState | None = None) -> ServerRuntime:
    """Start a server for `state` (default procedures) on 127.0.0.1 and a free port."""
    state = state or ServerState(default_procedures())
    sock, port = free_port()
    state.url = f"http://127.0.0.1:{port}/sps"
    return ServerRuntime(serve(SpsTestApp(state), sock, "SPS test server", startup=10), state)


SERVER = SessionServer(start_server)  # the session's shared server, started on first use


@pytest.fixture
def sps_server() -> Iterator[ServerState]:
    """A reset SPS 2.0 test server: `.url` is its endpoint; methods drive and inspect it."""
    state = SERVER.get().state
    state.reset()
    yield state
    errors = list(state.errors)
    state.reset()
    assert not errors, "SPS test server failed:\n" + "\n".join(errors)
