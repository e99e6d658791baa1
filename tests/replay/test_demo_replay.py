"""The demo's replayed legacy services: recordings served as recorded (only the server URL rewritten), the
protocols' own "nothing there" answers otherwise, harvested at start-up by the real harvesters, commands going
back to the replayed SPS, and nothing ever sent beyond loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from bridge.replay.demo import Demo, LoopbackOnly, prepare_demo
from bridge.replay.recordings import load_manifest, rewrite
from bridge.resources import data_path
from bridge.server import build_app
from bridge.settings import Settings
from tests.open_access import OPEN

pytestmark = [pytest.mark.slow, pytest.mark.asyncio(loop_scope="module")]
ROOT = "http://testserver"
SOS, STA, SPS = "niwa-climate-sos", "examind-sta", "ogc-camera-sps"
EXTREME_MAX = "MTHLY_STATS: EXTREME MAXIMUM TEMPERATURE (MTHLY: EXTR MAX TEMP)"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def demo(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[Demo, httpx.AsyncClient]]:
    """The app of `serve --demo` started (replays served and harvested) on an SQLite file, as `make run` does.

    (Not `:memory:`: its one shared connection cannot take the poller's writes beside the API's.)
    """
    replays = prepare_demo()
    store = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.db'}"
    settings = Settings(auth=OPEN, store=store, base_url=ROOT, command_poll_interval=0.2)
    app = build_app(settings, demo_dir=str(data_path("demo")), demo=replays)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url=ROOT) as client:
        yield replays, client


@pytest.mark.asyncio(loop_scope="module")
async def test_every_recording_of_the_manifest_has_its_provenance() -> None:
    services = load_manifest(data_path("replay", "manifest.yaml"))
    assert [(s.name, s.type) for s in services] == [(SOS, "sos"), (STA, "sta"), (SPS, "sps")]
    for service in services:
        for answer in service.answers:
            assert answer.body and answer.file.split("/", 1)[1] in answer.provenance
            assert " — " in answer.provenance and "source repo" in answer.provenance


async def test_recordings_are_served_as_recorded_but_for_the_server_url(demo: tuple[Demo, httpx.AsyncClient]) -> None:
    replays, _ = demo
    sos = replays.apps[SOS]
    recorded = (data_path("replay").parent / "sos2" / "52n-niwa-climate-getcapabilities.xml").read_bytes()
    async with httpx.AsyncClient(transport=LoopbackOnly()) as http:
        caps = await http.get(sos.url, params={"service": "SOS", "request": "GetCapabilities"})
        assert caps.content == rewrite(recorded, sos.service.recorded_url, sos.url)
        assert sos.service.recorded_url.encode() not in caps.content and b"wellsensorobsp" not in caps.content
        other = {"service": "SOS", "request": "GetObservation", "procedure": "8", "observedProperty": "x"}
        empty = await http.get(sos.url, params=other)
        assert (
            empty.status_code == 200
            and b"GetObservationResponse" in empty.content
            and b"observationData" not in empty.content
        )
        described = await http.get(sos.url, params={"service": "SOS", "request": "DescribeSensor", "procedure": "C"})
        assert described.status_code == 400 and b"NoApplicableCode" in described.content
        sta = replays.apps[STA]
        assert (await http.get(sta.url + "/Sensors", params={"$top": "10"})).json() == {"value": []}
        assert (await http.get(sta.url + "/Sensors(1)")).status_code == 404
        things = (await http.get(sta.url + "/Things")).json()
        assert things["value"][0]["@iot.selfLink"].startswith(sta.url + "/Things(")


async def test_the_demo_store_is_built_by_harvesting_the_replays(demo: tuple[Demo, httpx.AsyncClient]) -> None:
    _, client = demo
    sources = {s["name"]: s for s in (await client.get("/sources")).json()["sources"]}
    assert set(sources) == {SOS, STA, SPS}
    sos = sources[SOS]["lastRun"]
    assert sos["status"] == "completed-with-errors" and sos["observations"] == 26  # DescribeSensor was not recorded
    assert sos["entities"]["Procedure"]["created"] == 3 and sos["entities"]["FeatureOfInterest"]["created"] == 2
    assert sources[SPS]["lastRun"]["status"] == "completed"
    assert sources[STA]["lastRun"]["entities"]["Thing"]["created"] == 1
    with_data = (await client.get("/datastreams", params={"phenomenonTime": "../now"})).json()["items"]
    (extreme,) = [d for d in with_data if d["name"].startswith(EXTREME_MAX)]
    observations = (await client.get(f"/datastreams/{extreme['id']}/observations", params={"limit": 100})).json()
    assert len(observations["items"]) == 26 and {o["samplingFeature@id"] for o in observations["items"]}
    cursors = (await client.get(f"/sources/{SOS}")).json()["cursors"]
    assert len(cursors) == 186 and all(c["position"] for c in cursors)
    examples = (await client.get("/systems", params={"q": "Thermometer"})).json()["features"]
    assert examples  # the official examples are still loaded beside the harvested content


async def test_a_command_goes_back_to_the_replayed_sps(demo: tuple[Demo, httpx.AsyncClient]) -> None:
    replays, client = demo
    streams = (await client.get("/controlstreams", params={"limit": 50})).json()["items"]
    (tasking,) = [s for s in streams if s["name"].startswith("Tasking of")]
    imported = (await client.get(f"/controlstreams/{tasking['id']}/commands")).json()["items"]
    history = (await client.get(f"/commands/{imported[0]['id']}/status")).json()["items"]
    assert [s["statusCode"] for s in history][-1] == "COMPLETED" and len(history) >= 3  # task 6, as recorded
    parameters = {"taskTimeFrame": ["2030-01-01T10:00:00Z", "2030-01-01T11:00:00Z"], "focalLength": 5.0}
    r = await client.post(f"/controlstreams/{tasking['id']}/commands", json={"parameters": parameters})
    assert r.status_code == 201, r.text
    assert "Submit" in [x.request.split()[0] for x in replays.apps[SPS].received]
    command = r.headers["location"].rsplit("/", 1)[-1]
    again = await client.post(f"/controlstreams/{tasking['id']}/commands", json={"parameters": parameters})
    assert again.status_code == 201, again.text  # a second Submit is a task of its own
    for _ in range(100):  # the poller asks the replayed SPS (GetStatus) until the task is final
        if (await client.get(f"/commands/{command}")).json()["currentStatus"] == "COMPLETED":
            break
        await asyncio.sleep(0.1)
    codes = [s["statusCode"] for s in (await client.get(f"/commands/{command}/status")).json()["items"]]
    assert codes[-1] == "COMPLETED" and "GetStatus" in [x.request.split()[0] for x in replays.apps[SPS].received]
    refused = await client.post(
        f"/controlstreams/{tasking['id']}/commands", json={"parameters": {**parameters, "focalLength": 50}}
    )
    assert refused.status_code == 400 and "focalLength" in refused.json()["description"]


async def test_nothing_leaves_loopback(demo: tuple[Demo, httpx.AsyncClient]) -> None:
    replays, _ = demo
    for app in replays.apps.values():
        assert app.url.startswith("http://127.0.0.1:")
    async with httpx.AsyncClient(transport=LoopbackOnly()) as http:
        with pytest.raises(httpx.ConnectError, match="loopback only"):
            await http.get("http://www.ogc.org/SPS")
