"""`/health`, `/ready`, `/metrics`: who may read them, what they say, and that metric labels stay bounded."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import orjson
import pytest
from fastapi import Response
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import insert

from bridge import logs, metrics
from bridge.api.app import create_app
from bridge.api.auth.passwords import hash_secret, new_api_key
from bridge.auth_config import ApiKeyConfig, AuthSettings, Role
from bridge.model.time import to_us, utcnow
from bridge.settings import Settings, SourceConfig
from bridge.store.sql.store import SqlStore
from bridge.store.sql.tables import datastreams
from tests.open_access import OPEN

BASE = "http://testserver"
ADMIN_KEY = new_api_key("ops")
AUTH = AuthSettings(api_keys=[ApiKeyConfig(id="ops", hash=hash_secret(ADMIN_KEY), roles=[Role.ADMIN])])
SOURCES = [SourceConfig(name="river-sta", type="sta", url="https://user:s3cret-pass@sta.example.org/v1.1")]


def _settings(**extra: object) -> Settings:
    return Settings(store="sqlite:///:memory:", base_url=BASE, sources=SOURCES, **extra)  # type: ignore[arg-type]


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[SqlStore]:
    store = await SqlStore.open(f"sqlite:///{tmp_path / 'ops.db'}")
    yield store
    await store.close()


def _client(app: object, peer: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(peer, 40000))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url=BASE)


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def test_health_and_ready_are_public_even_when_anonymous_clients_may_do_nothing(sqlite_store: SqlStore) -> None:
    app = create_app(_settings(auth=AuthSettings(anonymous_roles=[])), sqlite_store)
    async with _client(app, "203.0.113.9") as client:
        assert (await client.get("/systems")).status_code == 401
        health = await client.get("/health")
        assert (health.status_code, health.json()) == (200, {"status": "up"})
        ready = await client.get("/ready")
        assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
        assert ready.headers["cache-control"] == "no-store"
        assert (await client.head("/ready")).status_code == 200


async def test_ready_is_503_while_the_store_schema_is_behind(sqlite_store: SqlStore) -> None:
    async with sqlite_store.engine.begin() as conn:
        await conn.exec_driver_sql("UPDATE alembic_version SET version_num = '0001'")
    app = create_app(_settings(auth=OPEN), sqlite_store)
    async with _client(app) as client:
        ready = await client.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["code"] == "NotReady"
        assert "migrate-store" in ready.json()["description"]
        assert (await client.get("/health")).status_code == 200


async def test_ready_is_503_when_the_store_does_not_answer(tmp_path: Path) -> None:
    store = await SqlStore.open(f"sqlite:///{tmp_path / 'gone.db'}")
    (tmp_path / "gone.db").unlink()
    (tmp_path / "gone.db").mkdir()  # the file is now a directory: SQLite cannot open it
    await store.engine.dispose()
    app = create_app(_settings(auth=OPEN), store)
    try:
        async with _client(app) as client:
            ready = await client.get("/ready")
            assert ready.status_code == 503
            assert ready.json()["description"].startswith("store not reachable")
            assert str(tmp_path) not in ready.text
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("mode", "peer", "key", "status"),
    [
        ("loopback", "127.0.0.1", None, 200),
        ("loopback", "::1", None, 200),
        ("loopback", "203.0.113.9", None, 401),
        ("loopback", "203.0.113.9", ADMIN_KEY, 200),
        ("public", "203.0.113.9", None, 200),
        ("admin", "127.0.0.1", None, 401),
        ("admin", "127.0.0.1", ADMIN_KEY, 200),
    ],
)
async def test_who_may_read_metrics(sqlite_store: SqlStore, mode: str, peer: str, key: str | None, status: int) -> None:
    app = create_app(_settings(auth=AUTH, metrics=mode), sqlite_store)
    async with _client(app, peer) as client:
        answer = await client.get("/metrics", headers={"X-API-Key": key} if key else {})
        assert answer.status_code == status
        if status == 200:
            assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
            assert "bridge_http_request_duration_seconds" in answer.text
        else:
            assert answer.json()["code"] and "admin" in answer.json()["description"]


async def test_latency_is_labelled_by_route_template_never_by_raw_path(sqlite_store: SqlStore) -> None:
    app = create_app(_settings(auth=OPEN), sqlite_store)
    async with _client(app) as client:
        for name in ("alpha-1", "beta-2", "gamma-3"):
            assert (await client.get(f"/systems/{name}")).status_code == 404
        assert (await client.get("/no/such/place/secret-token-xyz")).status_code == 404
        text = (await client.get("/metrics")).text
    found = _samples(text)
    routes = {dict(labels).get("route") for (name, labels) in found if name.startswith("bridge_http_request")}
    assert "/systems/{id}" in routes and "other" in routes
    assert not any(r and ("alpha" in r or "secret-token" in r) for r in routes)
    count = found[("bridge_http_request_duration_seconds_count",
                   (("method", "GET"), ("route", "/systems/{id}"), ("status", "4xx")))]  # fmt: skip
    assert count >= 3


async def test_source_lag_and_last_run_come_from_the_store(sqlite_store: SqlStore) -> None:
    newest = to_us(utcnow()) - 90 * 1_000_000  # 90 s ago
    async with sqlite_store.engine.begin() as conn:
        await conn.execute(insert(datastreams).values(
            id="ds1", system_id="s1", name="t", schema="{}", updated=0, result_kind="num", source="river-sta",
            phenomenon_start=newest - 10**9, phenomenon_end=newest,
        ))  # fmt: skip
        await conn.execute(insert(datastreams).values(
            id="ds2", system_id="s1", name="u", schema="{}", updated=0, result_kind="num", source="unconfigured",
            phenomenon_end=newest,
        ))  # fmt: skip
    run = await sqlite_store.start_run("river-sta")
    report = {"observations": 42, "requests": 5, "errors": ["GET https://user:***@sta.example.org failed"],
              "durationSeconds": 1.5}  # fmt: skip
    await sqlite_store.finish_run(run, "completed-with-errors", report)
    await sqlite_store.start_run("river-sta")  # running: not the last finished run
    app = create_app(_settings(auth=OPEN), sqlite_store)
    async with _client(app) as client:
        text = (await client.get("/metrics")).text
    found = _samples(text)
    src = (("source", "river-sta"),)
    assert 89 <= found[("bridge_source_lag_seconds", src)] < 120
    assert found[("bridge_source_newest_phenomenon_time_seconds", src)] == pytest.approx(newest / 1e6)
    assert found[("bridge_source_last_run_observations", src)] == 42
    assert found[("bridge_source_last_run_requests", src)] == 5
    assert found[("bridge_source_last_run_errors", src)] == 1
    assert found[("bridge_source_last_run_duration_seconds", src)] == 1.5
    assert found[("bridge_source_last_run_success", src)] == 1
    assert "unconfigured" not in text  # only configured sources are label values
    assert not [w for w in ("s3cret", "sta.example", "GET https") if w in text]  # no secret, no legacy text


async def test_forwarding_and_polling_counters_use_fixed_label_sets() -> None:
    before = metrics.commands_forwarded.labels("submit", "ACCEPTED")._value.get()
    metrics.record_forwarded("submit", "ACCEPTED")
    metrics.record_forwarded("submit", "something the SPS said")
    metrics.record_forwarded("submit", None)
    assert metrics.commands_forwarded.labels("submit", "ACCEPTED")._value.get() == before + 1
    assert metrics.commands_forwarded.labels("submit", "other")._value.get() >= 1
    assert metrics.commands_forwarded.labels("submit", "unanswered")._value.get() >= 1
    metrics.record_poll_round(polled=3, errors=0)
    assert 0 <= metrics.poll_lag._value.get() < 5  # type: ignore[attr-defined]


async def test_live_backlog_gauges_come_from_registered_callbacks(sqlite_store: SqlStore) -> None:
    depth = {"n": 7}
    unregister = metrics.register_backlog("mqtt", lambda: depth["n"])
    metrics.register_backlog("broken", lambda: 1 / 0)
    try:
        app = create_app(_settings(auth=OPEN), sqlite_store)
        async with _client(app) as client:
            found = _samples((await client.get("/metrics")).text)
        assert found[("bridge_live_backlog", (("channel", "mqtt"),))] == 7
        assert not any(dict(labels).get("channel") == "broken" for _, labels in found)
    finally:
        unregister()
        metrics.register_backlog("broken", lambda: 0)()


async def test_json_log_lines_carry_the_request_id_echoed_in_x_request_id(
    sqlite_store: SqlStore, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(_settings(auth=OPEN), sqlite_store)
    seen: list[str] = []

    async def probe() -> None:
        seen.append(logs.JsonFormatter().format(logging.LogRecord("bridge.x", logging.INFO, "", 0, "hi", None, None)))

    @app.get("/systems/probe/log", include_in_schema=False)
    async def _probe() -> Response:
        await probe()
        return Response(b"{}", media_type="application/json")

    async with _client(app) as client:
        given = await client.get("/systems/probe/log", headers={"X-Request-ID": "abc-123"})
        made = await client.get("/systems/probe/log")
    assert given.headers["x-request-id"] == "abc-123"
    line = orjson.loads(seen[0])
    assert (line["request_id"], line["message"], line["level"]) == ("abc-123", "hi", "info")
    assert orjson.loads(seen[1])["request_id"] == made.headers["x-request-id"] != "abc-123"
    assert "request_id" not in orjson.loads(logs.JsonFormatter().format(
        logging.LogRecord("bridge.x", logging.INFO, "", 0, "outside", None, None)))  # fmt: skip


def test_a_process_without_the_facade_serves_its_own_metrics() -> None:
    from tests.sta_server.server import free_port

    port = free_port()
    stop = metrics.serve_process_metrics(port)
    try:
        metrics.record_run("river-sta", "completed", 3, 2, 0, 0.5)
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        assert "bridge_harvest_runs_total" in text and "bridge_command_poll_lag_seconds" in text
    finally:
        stop()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
