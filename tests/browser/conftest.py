"""A real browser for the page tests: the system's headless Chromium driven through its chromedriver (Selenium,
no driver download), against `csapi-bridge serve --demo` served on loopback.

Chromium is a Debian package (`apt-get install chromium chromium-driver`; `.ci/run` installs it when missing).
Without it the browser tests are skipped with that reason — except under CI=true, where they must run.
Screenshots of the pages are kept in `artefacts/screenshots/` (gitignored).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bridge.cli_auth import demo_credential
from bridge.replay.demo import Demo, prepare_demo
from bridge.resources import data_path
from bridge.server import build_app
from bridge.settings import Settings
from tests.loopback import Served, free_port, serve

IN_CI = os.environ.get("CI", "").lower() == "true"
ARTEFACTS = Path(__file__).resolve().parents[2] / "artefacts" / "screenshots"
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-default-apps",
    "--disable-extensions",
    "--window-size=1280,1000", "--lang=en-US",
)  # fmt: skip


def _binaries() -> tuple[str, str]:
    """Chromium and chromedriver, or skip (fail under CI) saying what is missing."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if browser and driver:
        return browser, driver
    reason = "headless Chromium is not installed (apt-get install -y chromium chromium-driver)"
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


@dataclass
class Site:
    """The demo served on loopback: its URL and replays (what the replayed services received)."""

    url: str
    demo: Demo
    served: Served
    key: str  # the demo credential `serve --demo` prints (every role)


@dataclass
class Browser:
    """The driver, and the console messages and network requests of everything it loaded so far."""

    driver: Any
    console: list[dict[str, Any]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def collect(self) -> None:
        """Move the browser's logs (console, network) into `console` and `requests`."""
        import json

        self.console += self.driver.get_log("browser")
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                self.requests.append(message["params"]["request"]["url"])

    def send_credential(self, key: str | None) -> None:
        """Send `Authorization: Bearer <key>` with every request from now on (None: stop), as a proxy would."""
        self.driver.execute_cdp_cmd("Network.enable", {})
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": headers})

    def screenshot(self, name: str) -> Path:
        """Save a screenshot of the whole page as `artefacts/screenshots/<name>.png`."""
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        height = int(self.driver.execute_script("return document.documentElement.scrollHeight"))
        self.driver.set_window_size(1280, min(max(height, 800), 4000))
        path = ARTEFACTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        self.driver.set_window_size(1280, 1000)
        return path


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """`serve --demo` (replays harvested at start-up, examples loaded) on a free loopback port."""
    _binaries()
    demo = prepare_demo()
    store = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'demo.db'}"
    sock, port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = Settings(store=store, command_poll_interval=0.5)  # the default access rules, as `make run`
    key = demo_credential(settings)
    assert key is not None
    app = build_app(settings, demo_dir=str(data_path("demo")), demo=demo)
    served = serve(app, sock, "demo for the browser", lifespan="on", startup=60)
    yield Site(url, demo, served, key)
    served.stop()


@pytest.fixture(scope="module")
def browser(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """Headless Chromium with console and network logging (a fresh profile)."""
    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium must never try to download a driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, chromedriver = _binaries()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*FLAGS, f"--user-data-dir={tmp_path_factory.mktemp('profile')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield Browser(driver)
    finally:
        driver.quit()
