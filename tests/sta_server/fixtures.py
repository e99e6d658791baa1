"""Pytest plugin: the `sta_server` fixture (a real SensorThings server on loopback, one per session).

Register with `pytest_plugins = ["tests.sta_server.fixtures"]` (or import the fixtures into a conftest).
When the server cannot start, tests using it are skipped with the reason, except on CI
(`CI=true`), where that is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.sta_server.server import StaServer, StaServerUnavailable, start_server


@contextmanager
def running_sta_server() -> Iterator[StaServer]:
    """A fresh server for the duration of the block; a test skips if it cannot start (fails under CI)."""
    try:
        server = start_server()
    except StaServerUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"SensorThings test server could not start: {exc}")
        pytest.skip(f"SensorThings test server could not start: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sta_server_process() -> Iterator[StaServer]:
    """The running server object (URLs, timings, data directory)."""
    with running_sta_server() as server:
        yield server


@pytest.fixture(scope="session")
def sta_server(sta_server_process: StaServer) -> str:
    """Base URL of the real SensorThings v1.1 service root, with its trailing slash."""
    return sta_server_process.base_url
