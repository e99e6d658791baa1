"""The Dockerfile's install path, run without Docker: its build stage's COPY lines make a build context from which
the wheel builds; the wheel installs into a fresh virtual environment; the image's entrypoint commands
(`migrate-store`, the default `serve`, the HEALTHCHECK) run with the image's environment on a data directory
standing for the volume. The image itself is not built here (no registry access for the base image); what Docker
alone would add — the base image, `useradd` — is checked from the Dockerfile's text.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path
from typing import Any

import httpx
import pytest
from dockerfile_parse import DockerfileParser

from tests.sta_server.server import free_port

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]


def _stages() -> list[list[dict[str, Any]]]:
    """The Dockerfile's instructions, one list per stage (comments left out)."""
    stages: list[list[dict[str, Any]]] = []
    for item in DockerfileParser(path=str(REPO / "Dockerfile")).structure:
        if item["instruction"] == "FROM":
            stages.append([])
        if item["instruction"] != "COMMENT":
            stages[-1].append(item)
    return stages


def _values(stage: list[dict[str, Any]], instruction: str) -> list[str]:
    return [str(i["value"]) for i in stage if i["instruction"] == instruction]


def _image_env() -> dict[str, str]:
    return dict(DockerfileParser(path=str(REPO / "Dockerfile")).envs)


def test_the_runtime_stage_installs_a_wheel_as_a_non_root_user_on_a_data_volume() -> None:
    build, runtime = _stages()
    assert _values(build, "RUN") == ["pip wheel --no-deps --wheel-dir /wheels ."]
    assert _values(runtime, "RUN")[0] == "pip install /wheels/*.whl && rm -rf /wheels"
    assert _values(runtime, "COPY")[0] == "--from=build /wheels /wheels"  # no source tree in the image
    assert not any(v.split()[0] in ("bridge", "mappings", "fixtures", ".") for v in _values(runtime, "COPY"))
    (user,) = _values(runtime, "USER")
    assert user not in ("root", "0")
    assert f"useradd --system --uid 10001 --home /data {user}" in _values(runtime, "RUN")[1]
    assert _values(runtime, "VOLUME") == ['["/data"]'] and _values(runtime, "WORKDIR")[-1] == "/data"
    assert _image_env()["BRIDGE_STORE"] == "sqlite:////data/csapi-bridge.db"  # the store lives on the volume
    assert json.loads(_values(runtime, "ENTRYPOINT")[0]) == ["csapi-bridge"]
    assert json.loads(_values(runtime, "CMD")[0]) == ["serve"]


def _build_context(into: Path) -> Path:
    """The build stage's WORKDIR after its COPY lines, from this checkout (minus `.dockerignore`d caches)."""
    build = _stages()[0]
    for line in _values(build, "COPY"):
        *sources, dest = shlex.split(line)
        target = into / dest
        for source in sources:
            path = REPO / source
            if path.is_dir():
                shutil.copytree(path, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.db"))
            else:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, target / path.name)
    return into


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], Path]:
    """The image's `csapi-bridge` (wheel built from the build stage's context, installed in a fresh venv), the
    image's environment, and the data directory standing for `/data`."""
    base = tmp_path_factory.mktemp("image")
    context = _build_context(base / "src")
    dist = base / "wheels"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-build-isolation", "--no-index", "--wheel-dir", str(dist), "."],
                   cwd=context, check=True, timeout=300)  # fmt: skip
    (wheel,) = dist.glob("csapi_bridge-*.whl")
    root = base / "venv"
    venv.EnvBuilder(with_pip=False).create(root)
    subprocess.run([*pip, "--python", str(root / "bin" / "python"), "install", "--no-deps", "--no-index", str(wheel)],
                   check=True, timeout=300)  # fmt: skip
    site = next(root.glob("lib/python*/site-packages"))
    ours = sorted({p for p in sys.path if p.endswith("site-packages")})  # third-party packages of the test env
    (site / "test-environment.pth").write_text("".join(f"{p}\n" for p in ours))
    data = base / "data"
    data.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME") and not k.startswith("BRIDGE_")}
    for key, value in _image_env().items():
        env[key] = value.replace("/data/", f"{data}/")
    env["PATH"] = f"{root / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["HOME"] = str(data)
    return root, env, data


def _run(image: tuple[Path, dict[str, str], Path], *args: str) -> subprocess.CompletedProcess[str]:
    root, env, data = image
    return subprocess.run([str(root / "bin" / "csapi-bridge"), *args], cwd=data, env=env, capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip


def test_migrate_store_then_the_default_command_serves_from_the_volume(
    image: tuple[Path, dict[str, str], Path],
) -> None:
    root, env, data = image
    migrated = _run(image, "migrate-store")
    assert migrated.returncode == 0, migrated.stderr
    assert migrated.stdout.startswith("created a new store at schema revision")
    assert (data / "csapi-bridge.db").is_file()
    assert _run(image, "migrate-store").stdout.endswith("nothing to do\n")
    port = free_port()
    env = {**env, "BRIDGE_PORT": str(port)}
    command = [str(root / "bin" / "csapi-bridge"), *json.loads(_values(_stages()[1], "CMD")[0])]
    log = data / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=data, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        assert httpx.get(f"{url}/ready", timeout=5).json() == {"status": "ready"}
        assert "bridge_http_request_duration_seconds" in httpx.get(f"{url}/metrics", timeout=5).text
        assert httpx.get(f"{url}/systems", timeout=5).status_code == 200
        healthcheck = _values(_stages()[1], "HEALTHCHECK")[0]
        probe = json.loads(healthcheck.split("CMD", 1)[1].strip())
        assert probe[0] == "python"
        done = subprocess.run([str(root / "bin" / "python"), *probe[1:]], env=env, timeout=30, check=False)
        assert done.returncode == 0
    finally:
        process.terminate()
        process.wait(timeout=15)
    assert sorted(p.name for p in data.iterdir() if not p.name.startswith("serve.log")) == [
        "csapi-bridge.db", *(["csapi-bridge.db-shm", "csapi-bridge.db-wal"] if (data / "csapi-bridge.db-wal").exists()
                             else []),
    ]  # fmt: skip
