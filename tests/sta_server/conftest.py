"""Makes the `sta_server` fixtures available to tests under tests/sta_server/."""

from tests.sta_server.fixtures import sta_server, sta_server_process

__all__ = ["sta_server", "sta_server_process"]
