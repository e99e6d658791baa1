"""Start (or reuse) istSOS4, a real SensorThings API 1.1 server, from the shared servers folder.

The folder holds istSOS4's sources with `up.sh`/`down.sh` (see its README): `up.sh` needs root, installs
PostgreSQL + PostGIS from Debian when missing, builds the server's venv (about a minute the first time in a
working folder) and starts PostgreSQL and the API. Where the folder is: `$BRIDGE_ISTSOS4_DIR`, else
`../shared/servers/istsos4` beside the repository checkout. Each use (tests, benchmark) runs its own instance
(working folder and ports), so a harvest sees only what that use seeded; an instance that already answers is
reused.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
DIR_VARIABLE = "BRIDGE_ISTSOS4_DIR"
DEFAULT_DIR = REPO_ROOT.parent / "shared" / "servers" / "istsos4"
START_TIMEOUT = 900.0  # apt-get and pip the first time on a machine; seconds once installed


class Istsos4Unavailable(RuntimeError):
    """istSOS4 cannot run here (no servers folder, not root, start failed); the message says why."""


def servers_dir() -> Path:
    """The istSOS4 folder (`up.sh`, `down.sh`, the sources); Istsos4Unavailable when there is none."""
    configured = os.environ.get(DIR_VARIABLE)
    folder = Path(configured) if configured else DEFAULT_DIR
    if not (folder / "up.sh").is_file():
        where = f"${DIR_VARIABLE}={configured}" if configured else f"{DEFAULT_DIR} (set ${DIR_VARIABLE} to change)"
        raise Istsos4Unavailable(f"no istSOS4 servers folder with up.sh at {where}")
    return folder


@dataclass(frozen=True)
class Istsos4:
    """One istSOS4 instance: its API and PostgreSQL ports and its working folder (`name` under the temp dir)."""

    name: str
    api_port: int
    pg_port: int

    @property
    def home(self) -> Path:
        return Path(tempfile.gettempdir()) / f"csapi-bridge-istsos4-{self.name}"

    @property
    def base_url(self) -> str:
        """The service root (no trailing slash, as istSOS4 writes its links)."""
        return f"http://127.0.0.1:{self.api_port}/istsos4/v1.1"

    def env(self) -> dict[str, str]:
        ports = {"API_PORT": str(self.api_port), "PGPORT": str(self.pg_port)}
        return {**os.environ, **ports, "ISTSOS4_HOME": str(self.home)}

    def answers(self) -> bool:
        """True when the service root answers 200."""
        try:
            return httpx.get(self.base_url, timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def start(self, timeout: float = START_TIMEOUT) -> str:
        """The service root of a running instance: reused when it answers, else started with `up.sh`."""
        if self.answers():
            return self.base_url
        folder = servers_dir()
        if os.geteuid() != 0:
            raise Istsos4Unavailable("istSOS4's up.sh must run as root (apt-get, PostgreSQL as user postgres)")
        try:
            done = subprocess.run(
                ["bash", str(folder / "up.sh")], env=self.env(), capture_output=True, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise Istsos4Unavailable(f"istSOS4 did not start within {timeout:.0f} s") from None
        if done.returncode != 0 or not self.answers():
            tail = (done.stdout + done.stderr).decode("utf-8", "replace")[-1500:]
            raise Istsos4Unavailable(f"istSOS4's up.sh failed (exit {done.returncode}): {tail}")
        return self.base_url

    def stop(self, *, wipe: bool = False) -> None:
        """Stop the instance (`down.sh`); `wipe` also deletes its data."""
        env = {**self.env(), "WIPE": "1" if wipe else "0"}
        subprocess.run(["bash", str(servers_dir() / "down.sh")], env=env, capture_output=True, timeout=120, check=False)


TESTS = Istsos4("tests", int(os.environ.get("BRIDGE_ISTSOS4_TEST_PORT", "8028")), 55442)
BENCH = Istsos4("bench", int(os.environ.get("BRIDGE_ISTSOS4_BENCH_PORT", "8038")), 55452)
