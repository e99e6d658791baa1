"""ASGI apps served by uvicorn on a free loopback port in a daemon thread (the legacy test servers, the bridge)."""

from __future__ import annotations

import atexit
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Literal, Protocol, TypeVar


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


class _Stoppable(Protocol):
    def stop(self) -> None: ...


R = TypeVar("R", bound=_Stoppable)


class SessionServer(Generic[R]):
    """A server shared by the whole test session: started on first use, stopped at exit."""

    def __init__(self, start: Callable[[], R]) -> None:
        self._start = start
        self._running: R | None = None
        self._lock = threading.Lock()

    def get(self) -> R:
        with self._lock:
            if self._running is None:
                self._running = self._start()
                atexit.register(self._running.stop)
            return self._running


async def read_body(receive: Callable[[], Awaitable[dict[str, Any]]]) -> bytes:
    """The whole body of an ASGI HTTP request."""
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body
