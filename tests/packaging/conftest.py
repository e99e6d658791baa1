"""Packaging tests: the SOS 2.0 test server fixture (the SPS and STA ones come from the top-level conftest)."""

from tests.sos_server.fixtures import sos_server

__all__ = ["sos_server"]
