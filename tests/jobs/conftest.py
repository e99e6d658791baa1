"""Harvest tests get their own SensorThings server per module: they seed, delete and re-harvest freely."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sos_server.fixtures import sos_server  # noqa: F401  (the SOS 2.0 test server, for the worker tests)
from tests.sta_server.fixtures import running_sta_server


@pytest.fixture(scope="module")
def sta_server() -> Iterator[str]:
    """A fresh real SensorThings server (django-ogc-sensorthings) for this test module."""
    with running_sta_server() as server:
        yield server.base_url
