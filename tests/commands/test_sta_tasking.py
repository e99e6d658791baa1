"""SensorThings Tasking forwarding: a command on a TaskingCapability control stream creates a Task.

The SensorThings service is a scripted FROST-like server behind `httpx.MockTransport`, answering with the
recorded FROST tasking documents (`frost-swecommon-taskingparameters-washer.json`: the SWE Common tasking
parameters FROST's Tasking plugin serves; `frost-tests-taskingcapability-deep-insert-request.json`: a
capability with opaque parameters) and creating Tasks as FROST does (201, `Location`, empty body). The local
SensorThings server used elsewhere in the tests (django-ogc-sensorthings) implements no Tasking Core, so
it cannot take part here. The facade itself runs on a loopback port and is driven with a real HTTP client.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from bridge.jobs.run import run_harvest
from bridge.mapping.transforms import stable_id
from bridge.settings import SourceConfig
from bridge.store.sql.store import SqlStore

from .bridge_server import BridgeServer, bridge_settings, eventually, start_bridge

pytestmark = pytest.mark.slow  # every test serves the facade on loopback

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sta"
ROOT = "http://frost.test/FROST-Server/v1.1/"
WASHER_STREAM = stable_id("frost/TaskingCapability/1")


def _doc(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@dataclass
class FakeFrost:
    """Things, an Actuator, two TaskingCapabilities (the recorded documents) and the Tasks created on it."""

    tasks: list[dict[str, Any]] = field(default_factory=list)
    posted: list[Any] = field(default_factory=list)
    refuse_next: bool = False
    lose_next: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def capabilities(self) -> list[dict[str, Any]]:
        deep = {
            k: v
            for k, v in _doc("frost-tests-taskingcapability-deep-insert-request.json").items()
            if k not in ("Actuator", "Tasks")
        }
        washer = {
            "name": "Washing machine",
            "description": "Washes laundry",
            "taskingParameters": _doc("frost-swecommon-taskingparameters-washer.json"),
        }
        return [
            {
                **cap,
                "@iot.id": i,
                "@iot.selfLink": f"{ROOT}TaskingCapabilities({i})",
                "Thing": {"@iot.id": 5},
                "Actuator": {"@iot.id": 6},
            }
            for i, cap in ((1, washer), (2, deep))
        ]

    def _task(self, task: dict[str, Any]) -> dict[str, Any]:
        return {**task, "@iot.selfLink": f"{ROOT}Tasks({task['@iot.id']})"}

    def _create(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.posted.append(body)
        if self.refuse_next:
            self.refuse_next = False
            return httpx.Response(400, json={"code": 400, "type": "error", "message": "Invalid taskingParameters"})
        task = {
            "@iot.id": len(self.tasks) + 1,
            "creationTime": "2030-01-01T00:00:00.000Z",
            "taskingParameters": body["taskingParameters"],
            "TaskingCapability": body["TaskingCapability"],
        }
        self.tasks.append(task)
        if self.lose_next:  # created, but the answer never arrives
            self.lose_next = False
            raise httpx.ReadError("connection reset by peer", request=request)
        return httpx.Response(201, headers={"Location": f"{ROOT}Tasks({task['@iot.id']})"})

    def _entity(self, kind: str, number: int, nav: str | None) -> httpx.Response:
        """`Tasks(n)`, `TaskingCapabilities(n)` and their `Thing`/`Actuator`."""
        if kind == "Tasks" and nav is None:
            return httpx.Response(200, json=self._task(self.tasks[number - 1]))
        if kind == "TaskingCapabilities":
            found = next(c for c in self.capabilities() if c["@iot.id"] == number)
            return httpx.Response(200, json=found[nav] if nav else {"@iot.id": number})
        return httpx.Response(404, json={"code": 404, "type": "error", "message": "Not Found"})

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            path = request.url.path.removeprefix("/FROST-Server/v1.1/")
            sets = ("Things", "Actuators", "TaskingCapabilities", "Tasks")
            if path == "":
                return httpx.Response(200, json={"value": [{"name": s, "url": ROOT + s} for s in sets]})
            if request.method == "POST" and path == "Tasks":
                return self._create(request)
            listings: dict[str, list[dict[str, Any]]] = {
                "Things": [{"@iot.id": 5, "name": "Laundry room", "@iot.selfLink": f"{ROOT}Things(5)"}],
                "Actuators": [{"@iot.id": 6, "name": "Washer", "@iot.selfLink": f"{ROOT}Actuators(6)"}],
                "TaskingCapabilities": self.capabilities(),
                "Tasks": [self._task(t) for t in self.tasks],
                "TaskingCapabilities(1)/Tasks": [
                    self._task(t) for t in self.tasks if t["TaskingCapability"]["@iot.id"] == 1
                ],
            }
            if path in listings:
                return httpx.Response(200, json={"value": listings[path]})
            entity = re.fullmatch(r"(\w+)\((\d+)\)(?:/(\w+))?", path)
            if entity is not None:
                return self._entity(entity.group(1), int(entity.group(2)), entity.group(3))
            if "(" not in path and "/" not in path:  # Sensors, Datastreams…: this server has none
                return httpx.Response(200, json={"value": []})
            return httpx.Response(404, json={"code": 404, "type": "error", "message": "Not Found"})


SOURCE = SourceConfig(name="frost", type="sta", url=ROOT, retries=1, timeout=5.0)


@pytest.fixture
def frost() -> FakeFrost:
    return FakeFrost()


async def _harvest(frost: FakeFrost, db: Path) -> None:
    store = await SqlStore.open(f"sqlite:///{db}")
    try:
        report = await run_harvest(SOURCE, store, transport=httpx.MockTransport(frost.handle))
    finally:
        await store.close()
    assert report.status == "completed", report.errors


@pytest.fixture
async def facade(frost: FakeFrost, tmp_path: Path) -> AsyncIterator[BridgeServer]:
    db = tmp_path / "bridge.db"
    await _harvest(frost, db)
    server = start_bridge(bridge_settings(db, [SOURCE]), transport=httpx.MockTransport(frost.handle))
    try:
        yield server
    finally:
        server.stop()


WASH = {"temperature": 60, "spindry": True, "program": "Cotton"}


async def test_command_creates_a_task_reported_accepted(facade: BridgeServer, frost: FakeFrost) -> None:
    async with httpx.AsyncClient(base_url=facade.url, timeout=10) as http:
        stream = (await http.get(f"/controlstreams/{WASHER_STREAM}")).json()
        assert stream["name"] == "Washing machine"
        schema = (await http.get(f"/controlstreams/{WASHER_STREAM}/schema")).json()["parametersSchema"]
        fields = {f["name"]: f for f in schema["fields"]}
        assert fields["temperature"]["constraint"]["values"] == [30, 40, 60, 90]
        assert fields["program"]["constraint"]["values"] == ["Wool", "Synthetics", "Cotton"]
        answer = await http.post(f"/controlstreams/{WASHER_STREAM}/commands", json={"parameters": WASH})
        assert answer.status_code == 201, answer.text
        cmd_id = answer.headers["Location"].rsplit("/", 1)[-1]
        command = (await http.get(f"/commands/{cmd_id}")).json()
        statuses = (await http.get(f"/commands/{cmd_id}/status")).json()["items"]
    assert frost.posted == [{"taskingParameters": WASH, "TaskingCapability": {"@iot.id": 1}}]
    assert command["currentStatus"] == "ACCEPTED"
    assert [s["statusCode"] for s in statuses] == ["PENDING", "ACCEPTED"]
    assert "STA 1.1 tasks carry no status" in statuses[-1]["message"]
    assert statuses[-1]["reportTime"] == "2030-01-01T00:00:00Z"  # the Task's creationTime


async def test_bad_parameters_refusals_and_what_sta_cannot_do(facade: BridgeServer, frost: FakeFrost) -> None:
    async with httpx.AsyncClient(base_url=facade.url, timeout=10) as http:
        path = f"/controlstreams/{WASHER_STREAM}/commands"
        bad = await http.post(path, json={"parameters": {**WASH, "temperature": 50}})
        assert bad.status_code == 400 and "temperature" in bad.json()["description"]
        assert frost.posted == []  # nothing sent
        frost.refuse_next = True
        refused = (await http.post(path, json={"parameters": WASH})).headers["Location"]
        assert (await http.get(refused)).json()["currentStatus"] == "REJECTED"
        created = (await http.post(path, json={"parameters": WASH})).headers["Location"]
        cancel = await http.post(f"{created}/status", json={"statusCode": "CANCELED"})
        assert cancel.status_code == 409 and "cannot be canceled" in cancel.json()["description"]
        patch = await http.patch(created, json={"parameters": {"temperature": 30}})
        assert patch.status_code == 409
        assert (await http.get(created)).json()["parameters"] == WASH
        deleted = await http.delete(created)  # nothing can be stopped upstream, but the record can go
        assert deleted.status_code == 204 and (await http.get(created)).status_code == 404


async def test_lost_task_answer_is_reconciled_by_listing_tasks(frost: FakeFrost, tmp_path: Path) -> None:
    db = tmp_path / "bridge.db"
    await _harvest(frost, db)
    transport = httpx.MockTransport(frost.handle)
    first = start_bridge(bridge_settings(db, [SOURCE]), transport=transport)
    try:
        frost.lose_next = True
        async with httpx.AsyncClient(base_url=first.url, timeout=10) as http:
            answer = await http.post(f"/controlstreams/{WASHER_STREAM}/commands", json={"parameters": WASH})
            location = answer.headers["Location"].removeprefix(first.url)
            assert (await http.get(location)).json()["currentStatus"] == "PENDING"  # outcome unknown, not resent
    finally:
        first.stop()
    assert len(frost.tasks) == 1
    second = start_bridge(bridge_settings(db, [SOURCE]), transport=transport)  # restart: reconciliation
    try:
        async with httpx.AsyncClient(base_url=second.url, timeout=10) as http:

            async def settled() -> Any:
                found = (await http.get(location)).json()
                return found if found["currentStatus"] != "PENDING" else None

            command = await eventually(settled)
    finally:
        second.stop()
    assert command["currentStatus"] == "ACCEPTED"
    assert len(frost.tasks) == 1 and len(frost.posted) == 1  # found by listing, never posted again
