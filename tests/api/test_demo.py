"""The demo set `make run` serves: every step loads, a second load adds nothing, and things are where they are."""

from __future__ import annotations

from pathlib import Path

import httpx

from bridge.api.app import create_app
from bridge.demo import load_demo, read_manifest
from bridge.settings import Settings
from bridge.store.sql.store import SqlStore
from tests.open_access import OPEN

DEMO = Path(__file__).resolve().parents[2] / "fixtures" / "csapi" / "demo"


async def test_the_demo_loads_whole_and_once_with_lon_lat_geometries(tmp_path: Path) -> None:
    store = await SqlStore.open(f"sqlite:///{tmp_path / 'demo.db'}")
    try:
        app = create_app(Settings(auth=OPEN, store="sqlite:///:memory:", base_url="http://demo"), store)
        assert await load_demo(app, DEMO) == len(read_manifest(DEMO))  # every step was accepted
        assert await load_demo(app, DEMO) == 0  # a restart on the same store adds nothing
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://demo") as client:
            chicago = (await client.get("/systems", params={"bbox": "-88,41,-87,42"})).json()["features"]
            toulouse = (await client.get("/samplingFeatures", params={"bbox": "1,43,2,44", "limit": 50})).json()
            colorado = (await client.get("/systems", params={"bbox": "-105,38,-104,39"})).json()["features"]
    finally:
        await store.close()
    assert [s["properties"]["uid"] for s in chicago] == ["urn:x-ogc:systems:001"]  # the thermometer, in Chicago
    assert len(toulouse["features"]) == 3
    assert len(colorado) == 1
