"""The wheel, installed into a fresh virtual environment, harvests the SOS, SPS and STA test servers and serves.

The wheel is built from this checkout and installed without its dependencies; the fresh environment sees the
test environment's third-party packages through a `.pth` line, but `bridge` itself is the wheel's copy (checked).
Every command runs the installed `csapi-bridge` script from a directory outside the checkout.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import re
import subprocess
import sys
import sysconfig
import time
import venv
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.sos_server.state import ServerState as SosState
from tests.sos_server.worlds import multi_offering
from tests.sps_server.state import ServerState as SpsState
from tests.sta_server.fixtures import running_sta_server
from tests.sta_server.seed import seed_small
from tests.sta_server.server import free_port

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
IN_CI = os.environ.get("CI", "").lower() == "true"


@dataclass
class Installed:
    """A fresh virtual environment holding the wheel: its `csapi-bridge` script, run outside the checkout."""

    root: Path
    workdir: Path
    env: dict[str, str]

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    @property
    def script(self) -> Path:
        return self.root / "bin" / "csapi-bridge"

    def run(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
        """Run the installed script to completion."""
        command = [str(self.script), *args]
        return subprocess.run(command, cwd=self.workdir, env=self.env, capture_output=True, text=True, timeout=timeout)

    def harvest(self, source: str, name: str, store: str) -> dict[str, Any]:
        """`csapi-bridge harvest --json`: exit status 0 and a completed run; returns the report."""
        done = self.run("harvest", "--source", source, "--name", name, "--store", store, "--json")
        assert done.returncode == 0, f"harvest of {source} failed:\n{done.stdout}\n{done.stderr}"
        report: dict[str, Any] = json.loads(done.stdout)
        assert report["status"] == "completed", report["errors"]
        return report


def _clean_env() -> dict[str, str]:
    """The environment without anything that would import the checkout (PYTHONPATH) or configure the bridge."""
    dropped = ("PYTHONPATH", "PYTHONHOME")
    return {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("BRIDGE_")}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """The wheel of this checkout, built and installed into a fresh virtual environment."""
    if importlib.util.find_spec("hatchling") is None:  # the build backend, from the `test` extra
        reason = "hatchling is not installed: install the `test` extra"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)
    base = tmp_path_factory.mktemp("wheel")
    dist, root, workdir = base / "dist", base / "venv", base / "work"
    workdir.mkdir()
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    build = [*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "--wheel-dir", str(dist), str(REPO)]
    subprocess.run(build, cwd=workdir, check=True, timeout=300)
    (wheel,) = dist.glob("csapi_bridge-*.whl")
    venv.EnvBuilder(with_pip=False).create(root)
    install = [*pip, "--python", str(root / "bin" / "python"), "install", "--no-deps", "--no-index", str(wheel)]
    subprocess.run(install, cwd=workdir, check=True, timeout=300)
    site = subprocess.run(
        [str(root / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True, capture_output=True, text=True, env=_clean_env(),
    ).stdout.strip()  # fmt: skip
    ours = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}  # the test environment's packages
    (Path(site) / "test-environment.pth").write_text("".join(f"{p}\n" for p in sorted(ours)))
    return Installed(root, workdir, _clean_env())


def test_the_installed_package_is_the_wheel_and_finds_its_data(installed: Installed) -> None:
    code = (
        "import json, bridge\n"
        "from bridge.resources import LOCATIONS, data_path\n"
        "print(json.dumps([bridge.__file__] + [str(data_path(kind)) for kind in sorted(LOCATIONS)]))\n"
    )
    done = subprocess.run([str(installed.python), "-c", code], cwd=installed.workdir, env=installed.env,
                          capture_output=True, text=True, check=True)  # fmt: skip
    paths = [Path(p) for p in json.loads(done.stdout)]
    assert all(p.is_relative_to(installed.root) for p in paths), paths
    assert all(p.is_dir() for p in paths[1:]), paths


def test_harvests_of_sos_sps_and_sta_are_served(
    installed: Installed, sos_server: SosState, sps_server: SpsState, tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path / 'store.db'}"
    multi_offering(sos_server, count=100, with_broken=False)
    sos = installed.harvest(f"sos:{sos_server.url}", "sos", store)
    assert sos["entities"]["Procedure"]["created"] > 0
    assert sos["entities"]["Datastream"]["created"] > 0
    assert sos["observations"] > 0
    sps = installed.harvest(f"sps:{sps_server.url}", "sps", store)  # reads the packaged SPS status table
    assert sps["entities"]["SpsProcedure"]["created"] > 0
    assert sps["entities"]["SpsTasking"]["created"] > 0
    with running_sta_server() as sta:
        seeded = asyncio.run(seed_small(sta.base_url))
        sta_report = installed.harvest(f"sta:{sta.base_url}", "sta", store)
    assert sta_report["entities"]["Datastream"]["created"] == len(seeded.streams)
    assert sta_report["observations"] == seeded.observation_count

    with served(installed, "--store", store) as (url, _), httpx.Client(base_url=url, timeout=10) as http:
        landing = http.get("/")
        assert landing.status_code == 200
        assert landing.json()["links"]
        pages = {
            "/systems": "features",
            "/datastreams": "items",
            "/controlstreams": "items",
            "/observations": "items",
        }
        listed: dict[str, list[Any]] = {}
        for page, member in pages.items():
            response = http.get(page, params={"limit": 1000})
            assert response.status_code == 200, (page, response.text)
            listed[page] = response.json()[member]
            assert listed[page], page
        for name in ("sos", "sps", "sta"):  # each source's systems, as a client finds them
            assert http.get(f"/collections/source-{name}-systems/items").json()["features"], name
    assert len(listed["/datastreams"]) == sos["entities"]["Datastream"]["created"] + len(seeded.streams)
    assert len(listed["/controlstreams"]) >= sps["entities"]["SpsTasking"]["created"]


def test_serve_demo_loads_the_packaged_demo_set(installed: Installed, tmp_path: Path) -> None:
    with served(installed, "--store", f"sqlite:///{tmp_path / 'demo.db'}", "--demo") as (url, log):
        systems = httpx.get(f"{url}/systems", params={"recursive": "true", "limit": 100}, timeout=10)
        assert systems.status_code == 200
        assert "urn:x-ogc:systems:001" in {s["properties"]["uid"] for s in systems.json()["features"]}
        # the replayed legacy services (recordings packaged with the wheel) were harvested at start-up; `/sources`
        # needs the admin role: the demo credential printed at start-up has it
        assert httpx.get(f"{url}/sources", timeout=10).status_code == 401
        printed = re.search(r"Demo credential \(every role, this run only\): (csb_demo_\S+)", log.read_text("utf-8"))
        assert printed is not None
        admin = {"Authorization": f"Bearer {printed.group(1)}"}
        listed = httpx.get(f"{url}/sources", headers=admin, timeout=10).json()["sources"]
        runs = {s["name"]: s["lastRun"] for s in listed}
        assert set(runs) == {"niwa-climate-sos", "examind-sta", "ogc-camera-sps"}
        assert runs["niwa-climate-sos"]["observations"] == 26 and runs["ogc-camera-sps"]["status"] == "completed"
        landing = httpx.get(url, headers={"Accept": "text/html"}, timeout=10)
        assert landing.headers["content-type"].startswith("text/html") and "NIWA climate SOS" in landing.text
        for asset in ("vendor/swagger-ui-dist-5.36.0/swagger-ui-bundle.js", "js/chart.js", "css/bridge.css"):
            assert httpx.get(f"{url}/static/{asset}", timeout=10).status_code == 200, asset
    manifest = installed.root.glob("lib/python*/site-packages/bridge/_data/csapi/demo/manifest.yaml")
    steps = len(yaml.safe_load(next(manifest).read_text(encoding="utf-8")))
    created = re.search(r"demo content: (\d+) resources created from (\S+)", log.read_text(encoding="utf-8"))
    assert created is not None
    assert int(created.group(1)) == steps  # every step of the manifest loaded
    assert Path(created.group(2)).is_relative_to(installed.root)


@contextmanager
def served(installed: Installed, *args: str) -> Iterator[tuple[str, Path]]:
    """`csapi-bridge serve` of the installed package on a free loopback port: its URL and its log file."""
    port = free_port()
    url, log = f"http://127.0.0.1:{port}", installed.workdir / f"serve-{port}.log"
    with log.open("wb") as out:
        command = [str(installed.script), "serve", "--port", str(port), *args]
        process = subprocess.Popen(
            command, cwd=installed.workdir, env=installed.env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while not _answers(url):
            if process.poll() is not None:
                raise AssertionError(f"serve exited with {process.returncode}:\n{log.read_text()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"serve did not answer within 60 s:\n{log.read_text()}")
            time.sleep(0.1)
        yield url, log
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/", timeout=2).status_code == 200
    except httpx.TransportError:
        return False
