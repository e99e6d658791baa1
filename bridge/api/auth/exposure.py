"""Anonymous writes are for a machine of one's own: refused on a non-loopback address unless the operator says,
with a setting named so, that it is insecure."""

from __future__ import annotations

import ipaddress

from bridge.errors import ConfigError
from bridge.settings import Settings


def is_loopback(host: str) -> bool:
    """Whether `host` (an address or `localhost`) is reachable from this machine only."""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def check_exposure(settings: Settings) -> None:
    """ConfigError when anonymous clients may change things and the bridge would listen beyond loopback."""
    auth = settings.auth
    if auth.anonymous_writes and not is_loopback(settings.host) and not auth.insecure_anonymous_writes_on_network:
        extra = sorted(str(r) for r in auth.anonymous_roles if r != "read")
        raise ConfigError(
            f"anonymous clients have the role(s) {', '.join(extra)} and the bridge would listen on {settings.host}: "
            "anyone reaching it could change data and task equipment. Configure credentials (auth.api_keys, "
            "auth.oidc, auth.basic_users) or listen on 127.0.0.1; to do it anyway, set "
            "auth.insecure_anonymous_writes_on_network (--insecure-anonymous-writes-on-network)"
        )
