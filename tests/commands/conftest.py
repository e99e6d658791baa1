"""Fixtures for the command forwarding tests: the SPS test server harvested into a file store, and the
facade serving that store on loopback (real HTTP, background status polling)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bridge.jobs.run import run_harvest
from bridge.settings import SourceConfig
from bridge.store.sql.store import SqlStore
from tests.sps_server.fixtures import CAMERA, SENSOR
from tests.sps_server.state import ServerState

from .bridge_server import BridgeServer, bridge_settings, start_bridge

# The Submit example of the OGC SPS 2.0 DescribeTasking document (camera) and a valid CITE sensor task.
CAMERA_PARAMS: dict[str, Any] = {
    "taskTimeFrame": ["2010-08-20T12:37:00+02:00", "2010-08-20T14:30:00+02:00"],
    "positioningChoice": {"pointToLookAt": {"lat": 51.902112, "long": 8.192728, "h": 0}},
    "focalLength": 3.5,
}
SENSOR_PARAMS: dict[str, Any] = {
    "measurementLocation": {"lat": 51.9, "long": 7.6},
    "measurementPriority": "high",
    "shallMeasure": True,
}

__all__ = ["CAMERA", "CAMERA_PARAMS", "SENSOR", "SENSOR_PARAMS", "Bridge"]


def sps_source(server: ServerState, name: str = "sps1", **extra: Any) -> SourceConfig:
    """The SPS test server as a configured source (fast failure policy)."""
    return SourceConfig(name=name, type="sps", url=server.url, retries=1, timeout=5.0, **extra)


async def harvest_into(db: Path, source: SourceConfig) -> None:
    """Harvest `source` into the SQLite file `db` (as `csapi-bridge harvest` does)."""
    store = await SqlStore.open(f"sqlite:///{db}")
    try:
        report = await run_harvest(source, store)
    finally:
        await store.close()
    assert report.status == "completed", report.errors


@dataclass
class Bridge:
    """A running facade over a harvested SPS, and an HTTP client on it."""

    server: BridgeServer
    http: httpx.AsyncClient
    db: Path
    sps: ServerState

    async def streams_of(self, procedure: str) -> list[dict[str, Any]]:
        """The control streams of `procedure`, found like a client would: through its system's UID."""
        systems = (await self.http.get("/systems", params={"id": procedure})).json()["features"]
        (system,) = systems
        return (await self.http.get(f"/systems/{system['id']}/controlstreams")).json()["items"]  # type: ignore[no-any-return]

    async def stream_of(self, procedure: str, role: str = "Tasking of ") -> dict[str, Any]:
        """The control stream tasking `procedure` (or its reservations / confirmations stream, by name)."""
        (stream,) = [s for s in await self.streams_of(procedure) if s["name"].startswith(role)]
        return stream

    async def command(self, cmd_id: str) -> dict[str, Any]:
        return (await self.http.get(f"/commands/{cmd_id}")).json()  # type: ignore[no-any-return]

    async def statuses(self, cmd_id: str) -> list[dict[str, Any]]:
        return (await self.http.get(f"/commands/{cmd_id}/status", params={"limit": 100})).json()["items"]  # type: ignore[no-any-return]

    async def submit(self, procedure: str, params: dict[str, Any], **headers: str) -> httpx.Response:
        stream = await self.stream_of(procedure)
        return await self.http.post(
            f"/controlstreams/{stream['id']}/commands", json={"parameters": params}, headers=headers
        )

    def task_of(self, cmd_id: str) -> str:
        """The SPS task created for a command (by its client reference)."""
        (task,) = self.sps.tasks_of(client_reference=cmd_id)
        return task.task_id


@pytest.fixture
async def bridge(sps_server: ServerState, tmp_path: Path) -> AsyncIterator[Bridge]:
    """The SPS test server harvested, then served through the facade with its forwarder and poller."""
    db = tmp_path / "bridge.db"
    source = sps_source(sps_server)
    await harvest_into(db, source)
    server = start_bridge(bridge_settings(db, [source]))
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:
            yield Bridge(server, http, db, sps_server)
    finally:
        server.stop()
