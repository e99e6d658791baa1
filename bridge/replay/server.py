"""Replays served over HTTP on loopback: each app on its own port, by uvicorn in a daemon thread."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

from bridge.replay.apps import ReplayApp

STARTUP_SECONDS = 15.0


class LoopbackServer:
    """One replay on 127.0.0.1: the socket is bound at once (so the URL is known), served from `start()`."""

    def __init__(self, app: ReplayApp) -> None:
        self.app = app
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = int(self.sock.getsockname()[1])
        self.app.url = f"http://127.0.0.1:{self.port}{app.service.path}"
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The replayed service's endpoint URL."""
        return self.app.url

    def start(self) -> None:
        """Serve in a daemon thread (its own event loop, no signal handlers); returns once it accepts requests."""
        import uvicorn

        config = uvicorn.Config(self.app, log_level="warning", lifespan="off", access_log=False)
        self._server = uvicorn.Server(config)
        name = f"replay {self.app.service.name}"
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self.sock]}, daemon=True, name=name
        )
        self._thread.start()
        deadline = time.monotonic() + STARTUP_SECONDS
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"the {name} server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self.sock.close()
