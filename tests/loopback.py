"""ASGI apps served by uvicorn on a free loopback port in a daemon thread (the legacy test servers, the bridge)."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import Any, Literal


def free_port() -> tuple[socket.socket, int]:
    """A bound loopback socket (handed to uvicorn) and its port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock, sock.getsockname()[1]


@dataclass
class Served:
    """A running server; `stop()` ends it."""

    server: Any  # uvicorn.Server
    thread: threading.Thread

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=timeout)


def serve(
    app: Any,
    sock: socket.socket,
    name: str,
    *,
    lifespan: Literal["on", "off"] = "off",
    log_level: str = "critical",
    startup: float = 15.0,
) -> Served:
    """Run `app` on `sock` in a daemon thread; returns once uvicorn has started (RuntimeError otherwise)."""
    import uvicorn

    config = uvicorn.Config(app, log_level=log_level, lifespan=lifespan, access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name=name)
    thread.start()
    deadline = time.monotonic() + startup
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"{name} did not start")
        time.sleep(0.01)
    return Served(server, thread)
