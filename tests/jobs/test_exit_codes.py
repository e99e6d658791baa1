"""`csapi-bridge harvest` exits 0 (completed), 2 (completed with errors) or 1 (failed); `runs` and `--json` agree."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request

from bridge.cli import main
from tests.loopback import free_port, serve

OM = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"
SETS = ("Things", "Locations", "HistoricalLocations", "Sensors", "ObservedProperties", "Datastreams",
        "FeaturesOfInterest", "Observations")  # fmt: skip


def _sta(base: str, state: dict[str, bool]) -> FastAPI:
    """A one-stream SensorThings service; `state["loop"]` makes its observation pages link to themselves."""
    app = FastAPI()
    one = {"@iot.id": 1}
    stream = {
        "@iot.id": 1,
        "@iot.selfLink": f"{base}/Datastreams(1)",
        "Observations@iot.navigationLink": f"{base}/Datastreams(1)/Observations",
        "name": "level",
        "observationType": OM,
        "unitOfMeasurement": {"name": "metre", "symbol": "m", "definition": "ucum:m"},
        "Thing": one,
        "Sensor": one,
        "ObservedProperty": one,
    }
    entities: dict[str, list[dict[str, Any]]] = {
        "Things": [{"@iot.id": 1, "@iot.selfLink": f"{base}/Things(1)", "name": "gauge"}],
        "Sensors": [{"@iot.id": 1, "@iot.selfLink": f"{base}/Sensors(1)", "name": "logger", "metadata": "m"}],
        "ObservedProperties": [{"@iot.id": 1, "name": "level", "definition": "http://example.org/level"}],
        "Datastreams": [stream],
        "FeaturesOfInterest": [{"@iot.id": 1, "name": "river", "feature": {"type": "Point", "coordinates": [7, 51]}}],
    }

    @app.get("/v1.1/")
    async def root() -> dict[str, Any]:
        return {"value": [{"name": s, "url": f"{base}/{s}"} for s in SETS]}

    @app.get("/v1.1/Datastreams(1)/Observations")
    async def observations(request: Request) -> dict[str, Any]:
        rows = [{"@iot.id": i, "phenomenonTime": f"2024-01-0{i}T00:00:00Z", "result": i} for i in (1, 2, 3)]
        doc: dict[str, Any] = {"value": rows}
        if request.query_params.get("$count") == "true":
            doc["@iot.count"] = 3
        if state["loop"] and request.query_params.get("$top") != "1":
            doc["@iot.nextLink"] = str(request.url)  # the same page again: the read cannot advance
        return doc

    @app.get("/v1.1/{entity_set}")
    async def listing(entity_set: str) -> dict[str, Any]:
        return {"value": entities.get(entity_set, [])}

    return app


@pytest.fixture
def sta(tmp_path: Path) -> Iterator[tuple[str, dict[str, bool]]]:
    sock, port = free_port()
    base = f"http://127.0.0.1:{port}/v1.1"
    state = {"loop": False}
    served = serve(_sta(base, state), sock, "exit-code STA")
    yield base + "/", state
    served.stop()


def _harvest(url: str, store: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = main(["harvest", "--source", f"sta:{url}", "--name", "gauge", "--store", store, "--json"])
    return code, json.loads(capsys.readouterr().out)


@pytest.mark.slow  # a server on loopback
def test_exit_codes_say_completed_with_errors_and_failed(
    sta: tuple[str, dict[str, bool]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, state = sta
    store = f"sqlite:///{tmp_path / 'runs.db'}"
    code, report = _harvest(url, store, capsys)
    assert (code, report["status"], report["exitCode"], report["observations"]) == (0, "completed", 0, 3)

    state["loop"] = True  # a next link that does not advance: reported, and the run completed with errors
    code, report = _harvest(url, store, capsys)
    assert (code, report["status"], report["exitCode"]) == (2, "completed-with-errors", 2)
    assert any("paging does not advance" in e for e in report["errors"])

    sock, port = free_port()
    sock.close()  # nothing listens there: the run fails
    code, report = _harvest(f"http://127.0.0.1:{port}/v1.1/", store, capsys)
    assert (code, report["status"], report["exitCode"]) == (1, "failed", 1)

    assert main(["runs", "--store", store, "--json"]) == 0
    runs = json.loads(capsys.readouterr().out)
    expected = [("failed", 1), ("completed-with-errors", 2), ("completed", 0)]
    assert [(r["status"], r["exitCode"]) for r in runs] == expected
    monkeypatch.setenv("COLUMNS", "200")
    assert main(["runs", "--store", store]) == 0
    rows = [line.split("│") for line in capsys.readouterr().out.splitlines() if "│" in line]
    assert [(r[5].strip(), int(r[6])) for r in rows] == expected


def test_a_harvest_that_cannot_start_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["harvest", "--source", "nowhere", "--store", f"sqlite:///{tmp_path / 'x.db'}"]) == 1
    assert "unknown source 'nowhere'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        main(["harvest"])  # --source missing: a usage error is a failure too, never the 2 of "completed with errors"
    assert usage.value.code == 1
