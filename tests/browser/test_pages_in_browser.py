"""The pages in a real browser (headless Chromium) on `serve --demo`: from the landing page to an observation chart
(zoom, pan) and back, maps drawn without a tile server, the command form round trip to the replayed SPS, the API
documentation — with no console error and no request beyond loopback. Screenshots: artefacts/screenshots/."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.conftest import Browser, Site

pytestmark = pytest.mark.slow
WAIT = 20  # seconds, for anything a page does after loading
SPS = "ogc-camera-sps"


def wait(browser: Browser, condition: Callable[[Any], Any], what: str) -> Any:
    """Wait for a condition on the driver, failing with `what` (and the page's console) when it never holds."""
    try:
        return WebDriverWait(browser.driver, WAIT).until(condition)
    except Exception:
        browser.collect()
        raise AssertionError(f"{what} never happened; console: {browser.console}") from None


def attr(browser: Browser, css: str, name: str) -> str | None:
    """An attribute of the first element matching `css`."""
    found = browser.driver.find_elements(By.CSS_SELECTOR, css)
    return found[0].get_attribute(name) if found else None


def click_link(browser: Browser, text: str, within: str = "main") -> None:
    """Click the first link of `within` whose text contains `text`, and wait for the next page."""
    old = browser.driver.current_url
    link = browser.driver.find_element(By.CSS_SELECTOR, within).find_element(By.PARTIAL_LINK_TEXT, text)
    link.click()
    wait(browser, lambda d: d.current_url != old and d.execute_script("return document.readyState") == "complete",
         f"navigation by '{text}'")  # fmt: skip


def test_from_the_landing_page_to_a_chart_zoom_pan_and_back(site: Site, browser: Browser) -> None:
    driver = browser.driver
    driver.get(site.url + "/")
    assert "Where the content comes from" in driver.page_source and "NIWA climate SOS" in driver.page_source
    browser.screenshot("01-landing")
    click_link(browser, "Datastreams with observations")
    assert driver.title.startswith("Datastreams")
    listing = driver.current_url
    click_link(browser, "EXTREME MAXIMUM TEMPERATURE", "table#items")
    wait(browser, lambda d: attr(browser, "#chart", "data-state") == "ready", "the chart")
    assert int(attr(browser, "#chart", "data-points") or 0) == 13  # monthly values at two sites, 1999-01 … 2000-01
    assert "KERIKERI EWS" in driver.find_element(By.CSS_SELECTOR, "#chart").text  # series named by their site
    browser.screenshot("03-datastream-chart")
    start = driver.find_element(By.ID, "range-start").get_attribute("value")
    canvas = driver.find_element(By.CSS_SELECTOR, "#chart .u-over")
    width = canvas.size["width"]
    ActionChains(driver).move_to_element_with_offset(canvas, -width // 4, 0).click_and_hold().move_by_offset(
        width // 4, 0).release().perform()  # fmt: skip  # drag across the second quarter: zoom in
    wait(browser, lambda d: d.find_element(By.ID, "range-start").get_attribute("value") != start, "a zoom")
    wait(browser, lambda d: attr(browser, "#chart", "data-state") == "ready", "the zoomed chart")
    zoomed = int(attr(browser, "#chart", "data-points") or 0)
    assert 0 < zoomed < 13
    before = driver.find_element(By.ID, "range-start").get_attribute("value")
    driver.find_element(By.CSS_SELECTOR, "button[data-action=left]").click()  # pan to earlier times
    wait(browser, lambda d: d.find_element(By.ID, "range-start").get_attribute("value") < before, "a pan")
    driver.find_element(By.CSS_SELECTOR, "button[data-action=all]").click()
    wait(browser, lambda d: attr(browser, "#chart", "data-points") == "13", "the whole history again")
    driver.back()
    wait(browser, lambda d: d.current_url == listing, "back to the list")
    driver.back()
    wait(browser, lambda d: d.current_url == site.url + "/", "back to the landing page")
    browser.collect()


def test_a_chart_follows_its_datastream_live(site: Site, browser: Browser) -> None:
    driver = browser.driver
    driver.get(site.url + "/")
    click_link(browser, "Datastreams with observations")
    click_link(browser, "EXTREME MAXIMUM TEMPERATURE", "table#items")
    wait(browser, lambda d: attr(browser, "#chart", "data-state") == "ready", "the chart")
    points = int(attr(browser, "#chart", "data-points") or 0)
    observations = driver.current_url.split("?")[0] + "/observations"
    driver.find_element(By.ID, "chart-live").click()
    wait(browser, lambda d: attr(browser, "#chart", "data-state") == "live", "the live socket")
    body = {"phenomenonTime": "2000-02-01T00:00:00Z", "resultTime": "2000-02-01T00:00:00Z", "result": 31.5}
    answer = httpx.post(observations, json=body, headers={"Authorization": f"Bearer {site.key}"})
    assert answer.status_code == 201, answer.text
    try:
        wait(browser, lambda d: int(attr(browser, "#chart", "data-points") or 0) == points + 1, "the live point")
        assert "following live" in driver.find_element(By.ID, "chart-status").text
        browser.screenshot("03b-datastream-chart-live")
    finally:
        location = httpx.URL(observations).join(answer.headers["location"])
        httpx.delete(location, headers={"Authorization": f"Bearer {site.key}"}).raise_for_status()
    driver.find_element(By.ID, "chart-live").click()  # off: the socket is closed
    browser.collect()


def test_maps_are_drawn_without_a_tile_server(site: Site, browser: Browser) -> None:
    driver = browser.driver
    driver.get(site.url + "/samplingFeatures?limit=50")
    wait(browser, lambda d: attr(browser, "#map", "data-land") == "drawn", "the land outline")
    features = int(attr(browser, "#map", "data-features") or 0)
    listed = httpx.get(site.url + "/samplingFeatures", params={"limit": 50}, timeout=10).json()["features"]
    assert features == len([f for f in listed if f["geometry"]]) >= 5  # the examples' and the harvested SOS sites
    assert len(driver.find_elements(By.CSS_SELECTOR, "#map path.leaflet-interactive")) >= features
    assert driver.find_elements(By.CSS_SELECTOR, "#map img.leaflet-tile") == []  # no base map: no tile at all
    browser.screenshot("02-sampling-features-map")
    driver.get(site.url + "/systems")
    wait(browser, lambda d: attr(browser, "#map", "data-land") == "drawn", "the systems map")
    browser.screenshot("04-systems")
    click_link(browser, "Toulouse", "table#items")
    wait(browser, lambda d: attr(browser, "#map", "data-features") == "1", "the system's map")
    assert driver.find_element(By.PARTIAL_LINK_TEXT, "Sampling features").get_attribute("href")
    browser.screenshot("05-system")
    browser.collect()


def _tasking_stream(browser: Browser, site: Site) -> None:
    driver = browser.driver
    driver.get(site.url + "/controlstreams")
    click_link(browser, "Tasking of", "table#items")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#command-fields input"), "the command form")


def _set(browser: Browser, css: str, value: str) -> None:
    """Set an input's value as a user would (datetime inputs are typed in the browser's locale, so by script)."""
    element = browser.driver.find_element(By.CSS_SELECTOR, css)
    browser.driver.execute_script(
        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
        element, value,
    )  # fmt: skip


def test_command_form_round_trip_to_the_replayed_sps(site: Site, browser: Browser) -> None:
    driver = browser.driver
    sps = site.demo.apps[SPS]
    _tasking_stream(browser, site)
    rows = len(driver.find_elements(By.CSS_SELECTOR, "#commands-table tbody tr"))
    submits = sum(r.request.startswith("Submit") for r in sps.received)
    driver.find_element(By.CSS_SELECTOR, "#command-form button[type=submit]").click()  # nothing filled in
    wait(browser, lambda d: attr(browser, "#command-result", "data-state") == "invalid", "the browser's check")
    assert "A value is required." in driver.find_element(By.ID, "command-form").text
    times = driver.find_elements(By.CSS_SELECTOR, "#command-fields input[type=datetime-local]")
    _set(browser, f"#{times[0].get_attribute('id')}", "2030-01-01T10:00:00")
    _set(browser, f"#{times[1].get_attribute('id')}", "2030-01-01T11:30:00")
    focal = driver.find_element(By.CSS_SELECTOR, "#command-fields input[type=number][max='10']")
    focal.send_keys("50")
    driver.find_element(By.CSS_SELECTOR, "#command-form button[type=submit]").click()
    wait(browser, lambda d: "Allowed: 3.5 … 10." in d.find_element(By.ID, "command-form").text, "the interval check")
    assert sum(r.request.startswith("Submit") for r in sps.received) == submits  # nothing was sent
    browser.screenshot("06-command-form-refused")
    focal.clear()
    focal.send_keys("5")
    driver.find_element(By.CSS_SELECTOR, "#command-form button[type=submit]").click()  # no credential given
    wait(browser, lambda d: attr(browser, "#command-result", "data-state") == "unauthorized", "the server's refusal")
    assert "The server refused the command (401)" in driver.find_element(By.ID, "command-result").text
    assert sum(r.request.startswith("Submit") for r in sps.received) == submits  # nothing reached the SPS
    browser.screenshot("06b-command-form-401")
    driver.find_element(By.ID, "command-credential").send_keys(site.key)
    driver.find_element(By.CSS_SELECTOR, "#command-form button[type=submit]").click()
    wait(browser, lambda d: attr(browser, "#command-result", "data-state") == "accepted", "the server's answer")
    wait(browser, lambda d: len(d.find_elements(By.CSS_SELECTOR, "#commands-table tbody tr")) == rows + 1,
         "the new command in the table")  # fmt: skip
    assert sum(r.request.startswith("Submit") for r in sps.received) == submits + 1  # forwarded to the SPS replay
    first = driver.find_element(By.CSS_SELECTOR, "#commands-table tbody tr")
    assert "focalLength" in first.text and ("EXECUTING" in first.text or "ACCEPTED" in first.text)
    browser.screenshot("07-command-sent")
    driver.find_element(By.ID, "new-command").click()
    wait(browser, lambda d: "Status history" in d.page_source, "the command's page")
    browser.screenshot("08-command")
    browser.collect()


def test_api_documentation_and_sources_pages(site: Site, browser: Browser) -> None:
    driver = browser.driver
    driver.get(site.url + "/api.html")
    wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".swagger-ui .opblock"), "Swagger UI")
    browser.screenshot("09-api-documentation")
    driver.get(site.url + "/sources/niwa-climate-sos")  # an admin page: no credential, no runs
    assert "Unauthorized" in driver.page_source and "DescribeSensor" not in driver.page_source
    browser.send_credential(site.key)
    try:
        driver.get(site.url + "/sources/niwa-climate-sos")
        assert "completed-with-errors" in driver.page_source and "DescribeSensor" in driver.page_source
        browser.screenshot("10-source-runs")
    finally:
        browser.send_credential(None)
    browser.collect()


def test_no_console_error_and_no_request_beyond_loopback(site: Site, browser: Browser) -> None:
    browser.collect()
    errors = [e for e in browser.console if e["level"] in ("SEVERE", "ERROR")]
    refusals = [e for e in errors if "status of 401" in e["message"]]  # the command and admin page without credential
    assert len(refusals) <= 2 and [e for e in errors if e not in refusals] == []
    assert browser.requests  # the pages above were all recorded
    network = [u for u in browser.requests if u.split(":", 1)[0].lower() in ("http", "https", "ws", "wss", "ftp")]
    assert network and all(u.startswith(site.url + "/") for u in network), sorted(set(network))
    internal = {u.split(":", 1)[0] for u in browser.requests} - {"http", "https"}
    assert internal <= {"data", "blob", "about", "chrome", "chrome-untrusted"}, internal  # none leaves the browser
