"""Shared constants of the SPS 2.0 source tests."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "sps2"
CAMERA = "http://www.ogc.org/procedure/camera/1"
TASK6 = "http://www.ogc.org/procedure/camera/1/tasks/6"


def fixture_bytes(name: str) -> bytes:
    """Raw bytes of a document in fixtures/sps2/."""
    return (FIXTURES / name).read_bytes()
