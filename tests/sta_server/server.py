"""Start and stop a real SensorThings server (django-ogc-sensorthings 1.2.0 under uvicorn) on loopback.

The server runs in a subprocess with its own SQLite database in a temporary directory; its
settings module is `tests.sta_server.settings`, configured through environment variables.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
SETTINGS_MODULE = "tests.sta_server.settings"


class StaServerUnavailable(RuntimeError):
    """The test SensorThings server could not be started (package missing, port, timeout...)."""


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class StaServer:
    """A running server: `base_url` is the v1.1 service root with its trailing slash."""

    port: int
    data_dir: Path
    process: subprocess.Popen[bytes] | None = None
    startup_seconds: float = 0.0
    migrate_seconds: float = 0.0
    _tmp: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)

    @property
    def service_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sta"

    @property
    def base_url(self) -> str:
        return f"{self.service_url}/v1.1/"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE=SETTINGS_MODULE,
            STA_TEST_DATA_DIR=str(self.data_dir),
            STA_TEST_SERVICE_URL=self.service_url,
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")])),
        )
        return env

    def stop(self) -> None:
        """Terminate the server process (SIGTERM, then SIGKILL) and remove its data."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def start_server(timeout: float = 60.0) -> StaServer:
    """Migrate a fresh SQLite database and start uvicorn on a free port; raises StaServerUnavailable."""
    try:
        import sensorthings  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as exc:
        raise StaServerUnavailable(f"django-ogc-sensorthings/uvicorn not installed: {exc}") from exc
    tmp = tempfile.TemporaryDirectory(prefix="sta-server-")
    server = StaServer(port=free_port(), data_dir=Path(tmp.name), _tmp=tmp)
    started = time.perf_counter()
    try:
        _migrate(server)
        server.migrate_seconds = time.perf_counter() - started
        server.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "django.core.asgi:get_asgi_application",
                "--host",
                "127.0.0.1",
                "--port",
                str(server.port),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            cwd=REPO_ROOT,
            env=server.env(),
            stdout=subprocess.DEVNULL,
            stderr=(server.data_dir / "server.log").open("wb"),
        )
        _wait_ready(server, started + timeout)
    except BaseException:
        server.stop()
        raise
    server.startup_seconds = time.perf_counter() - started
    return server


def _migrate(server: StaServer) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "django", "migrate", "--verbosity", "0"],
        cwd=REPO_ROOT,
        env=server.env(),
        capture_output=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        raise StaServerUnavailable(f"migrate failed: {result.stderr.decode(errors='replace')[-2000:]}")


def _wait_ready(server: StaServer, deadline: float) -> None:
    assert server.process is not None
    while time.perf_counter() < deadline:
        if server.process.poll() is not None:
            log = (server.data_dir / "server.log").read_text(errors="replace")[-2000:]
            raise StaServerUnavailable(f"server exited with {server.process.returncode}: {log}")
        try:
            if httpx.get(server.base_url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise StaServerUnavailable(f"server did not answer {server.base_url} in time")
