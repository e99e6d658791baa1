"""The explicit opt-in of the test apps: anonymous clients have every role (the apps listen on loopback or
nowhere), so tests about the API's behaviour need no credential. Tests of access control use their own settings."""

from __future__ import annotations

from bridge.auth_config import AuthSettings, Role

OPEN = AuthSettings(anonymous_roles=list(Role))
