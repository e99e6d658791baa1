"""ASGI apps served by uvicorn on a free loopback port in a daemon thread (the legacy test servers, the bridge)."""

from __future__ import annotations

import asyncio
import atexit
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Literal, Protocol, TypeVar

import httpx


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


REPO = Path(__file__).resolve().parents[1]


def serve_bridge(config: Path, port: int, log: Path, *flags: str) -> subprocess.Popen[bytes]:
    """`csapi-bridge serve [flags] --config … --port …` from this source tree in a subprocess, output to `log`."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "bridge.cli", "serve", *flags, "--config", str(config), "--port", str(port)]
    with log.open("ab") as out:
        return subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)


async def bridge_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Wait until the bridge at `url` answers `/conformance` (30 s), failing with its log if it exits or never does."""
    deadline = time.monotonic() + 30
    async with httpx.AsyncClient(timeout=2) as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError("the bridge exited:\n" + log.read_text())
            try:
                if (await http.get(url + "/conformance")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("the bridge did not come up:\n" + log.read_text())
