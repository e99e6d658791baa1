"""Fixtures of the access-control tests: an app with the fixture keys, and the local OIDC issuer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from bridge.store.sql.store import SqlStore
from tests.api.auth.issuer import LocalIssuer
from tests.api.auth.support import app_client, auth_settings


@pytest.fixture
async def secured() -> AsyncIterator[tuple[httpx.AsyncClient, SqlStore]]:
    """An app with the fixture keys and user, and the default anonymous roles (read)."""
    async with app_client(auth_settings()) as pair:
        yield pair


@pytest.fixture(scope="module")
def issuer() -> Iterator[LocalIssuer]:
    """The local OIDC issuer on loopback (keys may be rotated by a test: see `fresh_issuer`)."""
    running = LocalIssuer().start()
    yield running
    running.stop()
