"""Shared fixtures: stores on SQLite and PostgreSQL, and an API client on the in-memory store."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bridge.api.app import create_app
from bridge.settings import Settings
from bridge.store.sql.store import SqlStore
from bridge.store.sql.tables import metadata
from tests.open_access import OPEN

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PG_URL = os.environ.get("BRIDGE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _pg_available() -> str | None:
    """None when PostgreSQL answers, else the reason it does not."""
    import psycopg

    try:
        plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(plain, connect_timeout=3) as conn:
            conn.execute("select 1")
    except Exception as exc:  # any connection failure means: not available
        return f"PostgreSQL not reachable at {PG_URL}: {exc}"
    return None


PG_UNAVAILABLE = _pg_available()


def require_postgres() -> None:
    """Skip (with the reason) when PostgreSQL is down — except under CI, where it must run."""
    if PG_UNAVAILABLE:
        if IN_CI:
            pytest.fail(f"CI=true but {PG_UNAVAILABLE}")
        pytest.skip(PG_UNAVAILABLE)


async def _pg_store() -> SqlStore:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    import psycopg

    plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"create schema {schema}")
    sep = "&" if "?" in PG_URL else "?"
    store = await SqlStore.open(f"{PG_URL}{sep}options=-csearch_path%3D{schema}")
    store.test_schema = schema  # type: ignore[attr-defined]
    return store


async def _drop_pg(store: SqlStore) -> None:
    import psycopg

    await store.close()
    plain = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f"drop schema {store.test_schema} cascade")  # type: ignore[attr-defined]


@pytest.fixture(params=["sqlite", "postgresql"])
async def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SqlStore]:
    """The same store tests on an SQLite file and on the local PostgreSQL server."""
    if request.param == "sqlite":
        store = await SqlStore.open(f"sqlite:///{tmp_path / 'store.db'}")
        yield store
        await store.close()
        return
    require_postgres()
    store = await _pg_store()
    yield store
    await _drop_pg(store)


@pytest.fixture
async def store() -> AsyncIterator[SqlStore]:
    """The in-memory SQLite store used by API tests."""
    st = await SqlStore.open("sqlite:///:memory:")
    yield st
    await st.close()


@pytest.fixture
def settings() -> Settings:
    return Settings(auth=OPEN, store="sqlite:///:memory:", base_url="http://testserver")


@pytest.fixture
async def client(store: SqlStore, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process."""
    app = create_app(settings, store)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


SERVER_FIXTURES = {"sta_server", "sta_server_process", "sos_server", "sps_server", "istsos4"}  # servers on loopback


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test that reaches a server on loopback (directly or through another fixture) is `slow`."""
    for item in items:
        if SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


from tests.istsos4.fixtures import istsos4  # noqa: E402,F401  (istSOS4, a real STA server, when it can run here)
from tests.sps_server.fixtures import sps_server  # noqa: E402,F401  (real SPS 2.0 test server)
from tests.sta_server.fixtures import sta_server, sta_server_process  # noqa: E402,F401  (real STA server)

__all__ = ["FIXTURES", "metadata"]
