"""Roles: `serve` is the facade alone (no polling, no harvests), `serve --sync` adds the jobs, `worker` runs the
jobs without HTTP and stops on its signal."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bridge import server
from bridge.cli import main
from bridge.settings import Settings


@pytest.mark.parametrize(("args", "jobs"), [([], False), (["--sync"], True)])
def test_serve_runs_the_jobs_only_with_sync(
    args: list[str], jobs: bool, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    built: dict[str, Any] = {}

    def spy(settings: Settings, **kwargs: Any) -> object:
        built.update(kwargs)
        return object()

    import uvicorn

    monkeypatch.setattr(server, "build_app", spy)
    monkeypatch.setattr(uvicorn, "run", lambda app, **_: None)
    assert main(["serve", "--store", f"sqlite:///{tmp_path / 'db'}", *args]) == 0
    assert built["poll"] is jobs and built["sync"] is jobs


async def test_worker_starts_and_stops(tmp_path: Path) -> None:
    stop = asyncio.Event()
    worker = asyncio.create_task(server.run_worker(Settings(store=f"sqlite:///{tmp_path / 'db'}"), stop=stop))
    await asyncio.sleep(0.5)
    assert not worker.done()  # running its (empty) jobs
    stop.set()
    await asyncio.wait_for(worker, 10)
