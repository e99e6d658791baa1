"""pytest fixture `sos_server`: an SOS 2.0 server on a free loopback port (real HTTP, uvicorn in a thread).

The server starts once per test session, on first use; every test gets the same `ServerState`, reset
and empty: add offerings and data with `add_offering` / `add_points`, switch features on
(`result_retrieval`, `data_availability`, `soap_only`, `size_limit`, `delay`) and inspect `requests`.
Wire it in with `from tests.sos_server.fixtures import sos_server` in a conftest.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.loopback import Served, SessionServer, free_port, serve

from .app import SosTestApp
from .state import ServerState


@dataclass
class ServerRuntime:
    served: Served
    state: ServerState

    def stop(self) -> None:
        self.served.stop(timeout=5)


def start_server(state: ServerState | None = None) -> ServerRuntime:
    """Start a server for `state` on 127.0.0.1 and a free port; its endpoint is `state.url`."""
    state = state or ServerState()
    sock, port = free_port()
    state.url = f"http://127.0.0.1:{port}/sos/service"
    return ServerRuntime(serve(SosTestApp(state), sock, "SOS test server", startup=10), state)


SERVER = SessionServer(start_server)  # the session's shared server, started on first use


@pytest.fixture
def sos_server() -> Iterator[ServerState]:
    """A reset SOS 2.0 test server: `.url` is its endpoint."""
    state = SERVER.get().state
    state.reset()
    yield state
    errors = list(state.errors)
    state.reset()
    assert not errors, "SOS test server failed:\n" + "\n".join(errors)
