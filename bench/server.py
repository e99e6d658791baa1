"""Run the facade in a separate process on loopback, like a deployment, and read its memory use."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class BridgeServer:
    """`csapi-bridge serve` in a subprocess (uvicorn, one worker)."""

    def __init__(self, store: str, log: Path | None = None, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._log = open(log or os.devnull, "wb")  # noqa: SIM115 - closed in stop()
        environment = {**os.environ, "BRIDGE_LOG_LEVEL": "warning", **(env or {})}
        # a loopback benchmark bridge: anonymous clients may write (the explicit opt-in; see bench.auth for the
        # cost of credentials)
        environment.setdefault("BRIDGE_AUTH__ANONYMOUS_ROLES", '["read", "write", "delete", "command", "admin"]')
        self.proc = subprocess.Popen(self.command(store), stdout=self._log, stderr=subprocess.STDOUT, env=environment)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/conformance", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("the bridge did not start")

    def command(self, store: str) -> list[str]:
        """The command line of the server process."""
        return [sys.executable, "-m", "bridge.cli", "serve", "--store", store, "--port", str(self.port)]

    def rss_mb(self) -> tuple[float, float]:
        """(current RSS, peak RSS) of the server process in MB, from /proc."""
        fields = {}
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            fields[key] = value.strip()
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()


class BareServer(BridgeServer):
    """`bench.bare_app` (the floor of HTTP latencies) in a subprocess, served the same way; `database` as its
    `BENCH_BARE_DB`."""

    def __init__(self, database: str = "") -> None:
        super().__init__("", env={"BENCH_BARE_DB": database})

    def command(self, store: str) -> list[str]:
        """The command line of the bare server."""
        return [sys.executable, "-m", "bench.bare_app", str(self.port)]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# A temperature datastream and its system, as the Part 2 and live benchmarks create them.
TEMPERATURE_SCHEMA = {
    "obsFormat": "application/json",
    "resultSchema": {
        "type": "Quantity",
        "name": "temp",
        "label": "Air temperature",
        "definition": "http://mmisw.org/ont/cf/parameter/air_temperature",
        "uom": {"code": "Cel"},
    },
}


def bench_system(name: str) -> dict[str, object]:
    """A GeoJSON system with a fresh uid (POST /systems)."""
    props = {"uid": f"urn:x-bench:{uuid.uuid4()}", "name": name, "featureType": "sosa:Sensor"}
    return {"type": "Feature", "geometry": None, "properties": props}
