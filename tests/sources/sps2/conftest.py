"""SPS 2.0 source tests: the SPS test server and the OGC camera tasking description."""

from __future__ import annotations

import pytest

from bridge.model.legacy.sps2 import TaskingDescription
from bridge.sources.sps2 import parse_describe_tasking
from tests.sps_server.fixtures import sps_server

from .docs import CAMERA, fixture_bytes

__all__ = ["camera_description", "sps_server"]


@pytest.fixture
def camera_description() -> TaskingDescription:
    """The TaskingDescription of the OGC PTZ camera example."""
    return parse_describe_tasking(fixture_bytes("ogc-sps-describetasking-response.xml"), CAMERA)
