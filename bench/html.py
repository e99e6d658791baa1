"""HTML benchmark: page weight and time to first render of a 100-item list in headless Chromium.

10,000 systems in the SQLite store, `csapi-bridge serve` in its own process on loopback; the page is
`/systems?limit=100` (a map of the 100 geometries over the land outline, the table, paging links). Chromium
(the system's, driven through its chromedriver) loads it `--loads` times with an empty cache and as many times
with a warm one (a reload); each load reports, from the browser's own timing API, the bytes transferred and
decoded (the document and every asset), first contentful paint, DOMContentLoaded, the load event and the map
drawn (the page's `bridge:map` mark). The server side: median time to answer the same page as HTML and as
GeoJSON (`--requests` sequential requests).
Usage: python -m bench.html [--systems N] [--loads N] [--requests N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.server import BridgeServer, percentile
from bench.systems import _fill

PAGE = "/systems?limit=100"
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1280,1000",
)  # fmt: skip
MEASURE = """
const nav = performance.getEntriesByType('navigation')[0];
const resources = performance.getEntriesByType('resource');
const paint = performance.getEntriesByName('first-contentful-paint')[0];
const map = performance.getEntriesByName('bridge:map')[0];
return {
  transferred: nav.transferSize + resources.reduce((s, r) => s + r.transferSize, 0),
  decoded: nav.decodedBodySize + resources.reduce((s, r) => s + r.decodedBodySize, 0),
  document: nav.encodedBodySize, documentDecoded: nav.decodedBodySize, requests: 1 + resources.length,
  fcp: paint ? paint.startTime : null, dcl: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
  map: map ? map.startTime : null,
};
"""


def _driver(profile: str) -> Any:
    os.environ.setdefault("SE_OFFLINE", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not chromium or not driver:
        raise SystemExit("headless Chromium is needed: apt-get install -y chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(driver), options=options)


def _load(driver: Any, url: str, cold: bool) -> dict[str, Any]:
    if cold:
        driver.execute_cdp_cmd("Network.clearBrowserCache", {})
    driver.get(url)
    deadline = time.monotonic() + 30
    while driver.execute_script("return performance.getEntriesByName('bridge:map').length") == 0:
        if time.monotonic() > deadline:
            raise RuntimeError("the map was never drawn")
        time.sleep(0.02)
    time.sleep(0.2)  # the land outline's fetch, for the byte count
    return dict(driver.execute_script(MEASURE))


def _summary(loads: list[dict[str, Any]]) -> dict[str, Any]:
    def med(key: str) -> float:
        return round(statistics.median(float(x[key]) for x in loads if x[key] is not None), 1)

    def p90(key: str) -> float:
        return round(percentile([float(x[key]) for x in loads if x[key] is not None], 90), 1)

    return {
        "transferred_kB": round(med("transferred") / 1000, 1), "decoded_kB": round(med("decoded") / 1000, 1),
        "document_kB": round(med("document") / 1000, 1), "document_decoded_kB": round(med("documentDecoded") / 1000, 1),
        "requests": med("requests"), "fcp_ms": med("fcp"), "fcp_p90_ms": p90("fcp"), "dcl_ms": med("dcl"),
        "load_ms": med("load"), "map_drawn_ms": med("map"),
    }  # fmt: skip


def _server_times(url: str, n: int) -> dict[str, float]:
    out = {}
    with httpx.Client(base_url=url, timeout=60) as client:
        for name, accept in (("html", BROWSER), ("geojson", "application/geo+json")):
            client.get(PAGE, headers={"Accept": accept}).raise_for_status()
            times = []
            for _ in range(n):
                start = time.perf_counter()
                client.get(PAGE, headers={"Accept": accept, "Accept-Encoding": "gzip"}).raise_for_status()
                times.append((time.perf_counter() - start) * 1000)
            out[f"{name}_median_ms"] = round(statistics.median(times), 2)
            out[f"{name}_p99_ms"] = round(percentile(times, 99), 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--systems", type=int, default=10_000)
    parser.add_argument("--loads", type=int, default=20)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = f"sqlite:///{Path(tmp) / 'systems.db'}"
        asyncio.run(_fill(store, args.systems))
        server = BridgeServer(store)
        driver = _driver(str(Path(tmp) / "profile"))
        try:
            url = server.url + PAGE
            _load(driver, url, cold=True)  # warm-up: the server's first page, the browser's start
            cold = [_load(driver, url, cold=True) for _ in range(args.loads)]
            warm = [_load(driver, url, cold=False) for _ in range(args.loads)]
            served = _server_times(server.url, args.requests)
        finally:
            driver.quit()
            server.stop()
    print(f"{PAGE} with {args.systems} systems in the store, {args.loads} loads each:")
    for name, loads in (("cold cache", cold), ("warm cache", warm)):
        print(f"  {name}: {_summary(loads)}")
    print(f"  server, {args.requests} sequential requests: {served}")


if __name__ == "__main__":
    main()
