"""SOS harvester tests: the SOS 2.0 test server fixture."""

from tests.sos_server.fixtures import sos_server

__all__ = ["sos_server"]
