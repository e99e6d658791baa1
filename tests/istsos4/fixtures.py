"""pytest fixture `istsos4`: the tests' own istSOS4 instance, emptied for each test, one test at a time.

Started on first use from the shared servers folder (`BRIDGE_ISTSOS4_DIR`, default `../shared/servers/istsos4`
beside the checkout) and reused afterwards, also by later sessions; a test skips with the reason when it cannot
start (no folder, not root, start failed). A file lock keeps tests of parallel workers from emptying the server
under each other.
"""

from __future__ import annotations

import asyncio
import fcntl
from collections.abc import Iterator

import pytest

from tests.istsos4.seed import clear
from tests.istsos4.server import TESTS, Istsos4Unavailable

_failed: list[str] = []  # the reason the server could not start, once per session


@pytest.fixture
def istsos4() -> Iterator[str]:
    """The service root of an empty istSOS4 (no trailing slash)."""
    if _failed:
        pytest.skip(_failed[0])
    TESTS.home.mkdir(parents=True, exist_ok=True)
    with open(TESTS.home / "tests.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            url = TESTS.start()
        except Istsos4Unavailable as exc:
            _failed.append(f"istSOS4 not available: {exc}")
            pytest.skip(_failed[0])
        asyncio.run(clear(url))
        yield url
