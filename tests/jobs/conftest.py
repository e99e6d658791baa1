"""Harvest tests get their own SensorThings server per module: they seed, delete and re-harvest freely."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.sta_server.server import StaServerUnavailable, start_server


@pytest.fixture(scope="module")
def sta_server() -> Iterator[str]:
    """A fresh real SensorThings server (django-ogc-sensorthings) for this test module."""
    try:
        server = start_server()
    except StaServerUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"SensorThings test server could not start: {exc}")
        pytest.skip(f"SensorThings test server could not start: {exc}")
    try:
        yield server.base_url
    finally:
        server.stop()
