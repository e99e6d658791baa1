"""Property-based fuzzing of every operation of `/api` (schemathesis, fixed seed, bounded examples).

For each operation, cases valid for the OpenAPI document (positive) and invalid ones (negative) are sent over HTTP
to `csapi-bridge serve` running in its own process on a fresh SQLite store. Every response must be documented
(status, media type, headers) and match its schema; no 5xx; invalid requests are refused with a 4xx; and for reads,
a valid request is accepted (2xx, or 404 for an unknown id) unless it is refused for a parameter whose validity JSON
Schema cannot state (`SEMANTIC`: a bounding box's corner order, a WKT geometry, a time interval's order, a paging
token), the refusal naming that parameter. Writes are not held to acceptance: a schema-valid body can still name
unknown resources or break a rule the schemas leave out (e.g. a period ending before it starts). The peak memory
(VmHWM) of the server process stays under a stated bound through the whole run.
"""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from bridge.api.app import create_app
from bridge.api.syntax import SEMANTIC
from bridge.settings import Settings
from tests.loopback import free_port
from tests.open_access import OPEN

pytestmark = pytest.mark.slow
EXAMPLES = 4  # per operation and generation mode: ~140 operations × 2 modes fit well within CI time
MEMORY_BOUND_MB = 300  # peak resident memory of the server process over the whole run
REPO = Path(__file__).resolve().parents[2]


class Server:
    """`csapi-bridge serve` on loopback in a child process, for the whole module."""

    def __init__(self, tmp: Path) -> None:
        sock, port = free_port()
        sock.close()
        self.url = f"http://127.0.0.1:{port}"
        self.log = tmp / "serve.log"
        command = [sys.executable, "-m", "bridge.cli", "serve", "--store", f"sqlite:///{tmp / 'fuzz.db'}",
                   "--port", str(port), "--base-url", self.url]  # fmt: skip
        with self.log.open("wb") as out:
            # loopback only: anonymous clients get every role (the explicit opt-in), so writes are fuzzed too
            roles = '["read", "write", "delete", "command", "admin"]'
            env = {**os.environ, "PYTHONPATH": str(REPO), "BRIDGE_AUTH__ANONYMOUS_ROLES": roles}
            self.process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the bridge exited:\n" + self.log.read_text())
            try:
                if httpx.get(self.url + "/conformance", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("the bridge did not come up:\n" + self.log.read_text())

    def peak_rss_mb(self) -> float:
        """VmHWM of the server process: the most memory it has held so far."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmHWM in /proc")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


# The document the server serves (built in-process at collection, without starting anything).
SCHEMA = schemathesis.openapi.from_dict(create_app(Settings(store="sqlite:///:memory:", auth=OPEN)).openapi())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The server every case of the module is sent to."""
    running = Server(tmp_path_factory.mktemp("fuzz"))
    yield running
    running.stop()


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def _accepted(operation: Any, response: Any) -> None:
    """A valid read is answered (2xx or 404), or refused for a SEMANTIC parameter that the error names."""
    if operation.method != "get" or response.status_code < 400 or response.status_code == 404:
        return
    parameter = _refused_parameter(response)
    assert response.status_code == 400 and parameter in SEMANTIC, (
        f"a valid request was refused: {response.status_code} {response.content[:300]!r}"
    )


def _refused_parameter(response: Any) -> str | None:
    """The parameter an error names: `details.parameter` of a JSON error, or the name quoted in an error page."""
    media = response.headers.get("content-type") or [""]
    if (media if isinstance(media, str) else media[0]).startswith("text/html"):
        found = re.search(r"parameter '([^']+)'", html.unescape(response.content.decode("utf-8", "replace")))
        return found.group(1) if found else None
    body = orjson.loads(response.content) if response.content else {}
    return (body.get("details") or {}).get("parameter") if isinstance(body, dict) else None


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: f"{op.method.upper()} {op.path}")
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "invalid"])
def test_operation(server: Server, operation: Any, mode: GenerationMode) -> None:
    checks = [*CHECKS, negative_data_rejection] if mode is GenerationMode.NEGATIVE else CHECKS

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,  # a fixed seed: the same cases on every run
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        response = case.call_and_validate(base_url=server.url, checks=checks)
        if mode is GenerationMode.POSITIVE:
            _accepted(operation, response)

    try:
        run()
    except Unsatisfiable:
        # no invalid case exists for this operation (e.g. no parameter and a body any JSON object may be)
        assert mode is GenerationMode.NEGATIVE


def test_server_memory_stayed_bounded_and_it_still_serves(server: Server) -> None:
    """Runs after the operations (same module): the server's peak memory is under the bound, and it answers."""
    peak = server.peak_rss_mb()
    assert peak < MEMORY_BOUND_MB, f"the server's peak RSS was {peak:.0f} MB"
    assert httpx.get(server.url + "/", timeout=5).status_code == 200
    assert "Traceback" not in server.log.read_text(), server.log.read_text()[-3000:]
