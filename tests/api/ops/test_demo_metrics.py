"""`/metrics` of a running `serve --demo` (replayed SOS, STA and SPS harvested at start-up by the real harvesters,
commands forwarded to the replayed SPS and polled): what an operator reads after real runs and real forwarding."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from prometheus_client.parser import text_string_to_metric_families

from bridge.replay.demo import prepare_demo
from bridge.resources import data_path
from bridge.server import build_app
from bridge.settings import Settings
from tests.open_access import OPEN

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]
ROOT = "http://testserver"
SOURCES = ("niwa-climate-sos", "examind-sta", "ogc-camera-sps")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[httpx.AsyncClient]:
    store = f"sqlite:///{tmp_path_factory.mktemp('demo-metrics') / 'demo.db'}"
    settings = Settings(auth=OPEN, store=store, base_url=ROOT, command_poll_interval=0.2)
    app = build_app(settings, demo_dir=str(data_path("demo")), demo=prepare_demo())
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url=ROOT) as http:
        yield http


async def _metrics(client: httpx.AsyncClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    text = (await client.get("/metrics")).text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_each_demo_source_has_its_lag_and_last_run(client: httpx.AsyncClient) -> None:
    found = await _metrics(client)
    for source in SOURCES:
        label = frozenset({("source", source)})
        assert found[("bridge_source_last_run_success", label)] == 1, source
        assert found[("bridge_source_last_run_requests", label)] > 0, source
        runs = [
            v
            for (name, labels), v in found.items()
            if name == "bridge_harvest_runs_total" and ("source", source) in labels
        ]
        assert sum(runs) >= 1, source  # counted by the process that ran it (this one), by final status
    sos = frozenset({("source", "niwa-climate-sos")})
    assert found[("bridge_source_last_run_observations", sos)] == 26  # the recorded GetObservation
    assert found[("bridge_source_lag_seconds", sos)] > 0  # recorded years ago: the lag is large and positive
    assert found[("bridge_harvest_observations_total", sos)] >= 26


async def test_a_forwarded_command_is_counted_by_outcome_and_polling_reports_its_lag(
    client: httpx.AsyncClient,
) -> None:
    before = await _metrics(client)
    accepted = ("bridge_commands_forwarded_total", frozenset({("operation", "submit"), ("outcome", "ACCEPTED")}))
    streams = (await client.get("/controlstreams", params={"limit": 50})).json()["items"]
    (tasking,) = [s for s in streams if s["name"].startswith("Tasking of")]
    parameters = {"taskTimeFrame": ["2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z"], "focalLength": 5.0}
    answer = await client.post(f"/controlstreams/{tasking['id']}/commands", json={"parameters": parameters})
    assert answer.status_code == 201, answer.text
    await asyncio.sleep(0.5)  # a polling round or two
    after = await _metrics(client)
    forwarded = {k: v for k, v in after.items() if k[0] == "bridge_commands_forwarded_total"}
    assert sum(forwarded.values()) == sum(v for k, v in before.items() if k in forwarded) + 1
    assert after.get(accepted, 0) == before.get(accepted, 0) + 1, forwarded
    assert 0 <= after[("bridge_command_poll_lag_seconds", frozenset())] < 5
    assert (
        after[("bridge_command_poll_rounds_total", frozenset())]
        > before[("bridge_command_poll_rounds_total", frozenset())]
    )
    route = frozenset({("method", "POST"), ("route", "/controlstreams/{controlStreamId}/commands"), ("status", "2xx")})
    assert after[("bridge_http_request_duration_seconds_count", route)] >= 1
