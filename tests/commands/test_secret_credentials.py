"""Legacy credentials stay secret: an SPS that demands a token header (from an environment variable), a site key
(from a file) and HTTP Basic (a password written in the source URL) is harvested and tasked through the bridge,
and then every output of the run is searched for those secrets: the log (DEBUG, every logger), the run report
(stored and printed), the store (every table: provenance, `via` links, documents), the API's answers (JSON and
HTML pages, `/api`, `/sources`, `/audit`) — none may hold one, in clear, percent-encoded or base64 (Basic)."""

from __future__ import annotations

import base64
import io
import logging
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from rich.console import Console

from bridge.credentials import SecretRef, install_log_redaction
from bridge.jobs.progress import print_report
from bridge.jobs.run import run_harvest
from bridge.settings import SourceConfig
from bridge.store.sql.store import SqlStore
from tests.loopback import free_port, read_body, serve
from tests.sps_server.app import SpsTestApp, parse_request, render_error
from tests.sps_server.fixtures import CAMERA, default_procedures
from tests.sps_server.state import OwsError, ServerState

from .bridge_server import bridge_settings, start_bridge
from .conftest import CAMERA_PARAMS

pytestmark = pytest.mark.slow
TOKEN = "tok-S3cr3t-7f1e9a42"
SITE_KEY = "site-S3cr3t-0b5d"
USER, PASSWORD = "bridge", "pw-S3cr3t-c0ffee/+="
BASIC = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
SECRETS = [TOKEN, SITE_KEY, PASSWORD, quote(PASSWORD, safe=""), BASIC]


class Guarded:
    """The SPS test server behind a credential check; for task `echo-me` it answers an exception report that
    quotes the credentials it received (as a careless server might), so the bridge's masking is exercised."""

    def __init__(self, inner: SpsTestApp) -> None:
        self.inner = inner
        self.seen: list[tuple[str | None, str | None, str | None]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        got = (headers.get("x-api-token"), headers.get("x-site-key"), headers.get("authorization"))
        self.seen.append(got)
        body = await read_body(receive)
        if got != (TOKEN, SITE_KEY, f"Basic {BASIC}"):
            await _answer(send, 401, b"credentials required", "text/plain")
        elif b"echo-me" in body:
            error = OwsError("InvalidParameterValue", "task", f"unknown task; you sent {got}", status=400)
            content, content_type = render_error(error, parse_request(scope["method"], b"", body))
            await _answer(send, 400, content, content_type)
        else:
            sent = False

            async def again() -> dict[str, Any]:
                nonlocal sent
                if sent:
                    return {"type": "http.disconnect"}
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}

            await self.inner(scope, again, send)


async def _answer(send: Any, status: int, content: bytes, content_type: str) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", content_type.encode())]})
    await send({"type": "http.response.body", "body": content})


def _store_text(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return "\n".join(conn.iterdump())


async def _api_outputs(http: httpx.AsyncClient) -> list[str]:
    """Every document the facade serves about this content, as JSON and as pages."""
    outputs: list[str] = []
    urls = ["/", "/api", "/conformance", "/collections", "/sources", "/sources/guarded-sps", "/audit", "/api.html"]
    for kind in ("systems", "procedures", "controlstreams", "commands", "samplingFeatures", "properties"):
        listing = (await http.get(f"/{kind}", params={"limit": 100})).json()
        urls.append(f"/{kind}")
        for item in listing.get("features") or listing.get("items") or []:
            urls.append(f"/{kind}/{item['id']}")
            if kind == "commands":
                urls += [f"/commands/{item['id']}/status", f"/commands/{item['id']}/result"]
    for url in urls:
        for accept in ("application/json", "text/html"):
            answer = await http.get(url, headers={"Accept": accept})
            assert answer.status_code < 500, (url, answer.text)
            outputs.append(f"{url} {answer.headers} {answer.text}")
    return outputs


async def test_no_output_of_a_run_holds_a_source_credential(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    install_log_redaction()
    for name in ("", "httpx", "httpcore", "bridge", "uvicorn"):  # every logger (another test may have quietened one)
        caplog.set_level(logging.DEBUG, logger=name)
    state = ServerState(default_procedures())
    guarded = Guarded(SpsTestApp(state))
    sock, port = free_port()
    state.url = f"http://127.0.0.1:{port}/sps"
    served = serve(guarded, sock, "guarded SPS", startup=10)
    monkeypatch.setenv("TEST_SPS_TOKEN", TOKEN)
    (tmp_path / "site-key").write_text(SITE_KEY + "\n")
    source = SourceConfig(
        name="guarded-sps",
        type="sps",
        url=f"http://{USER}:{quote(PASSWORD, safe='')}@127.0.0.1:{port}/sps",
        headers={
            "X-Api-Token": SecretRef(env="TEST_SPS_TOKEN"),
            "X-Site-Key": SecretRef(file=str(tmp_path / "site-key")),
        },
        tasks=["echo-me"],
        retries=0,
        timeout=5.0,
    )
    assert "@" not in source.url and PASSWORD not in repr(source)  # the password left the URL
    db = tmp_path / "bridge.db"
    try:
        store = await SqlStore.open(f"sqlite:///{db}")
        try:
            report = await run_harvest(source, store)
        finally:
            await store.close()
        printed = io.StringIO()
        print_report(report, Console(file=printed, width=200))
        assert report.status == "completed-with-errors", report.errors
        errors = report.to_json()["errors"]
        assert any("echo-me" in e and "***" in e for e in errors), errors  # the echo, masked
        bridge = start_bridge(bridge_settings(db, [source]))
        try:
            async with httpx.AsyncClient(base_url=bridge.url, timeout=10) as http:
                systems = (await http.get("/systems", params={"id": CAMERA})).json()["features"]
                streams = (await http.get(f"/systems/{systems[0]['id']}/controlstreams")).json()["items"]
                stream = next(s for s in streams if s["name"].startswith("Tasking of"))
                r = await http.post(f"/controlstreams/{stream['id']}/commands", json={"parameters": CAMERA_PARAMS})
                assert r.status_code == 201, r.text
                assert (await http.delete(r.headers["location"])).status_code in (200, 204)
                outputs = await _api_outputs(http)
        finally:
            bridge.stop()
    finally:
        served.stop()
    assert len(state.tasks_of(CAMERA)) == 1 and state.tasks_of(CAMERA)[0].final  # submitted, then cancelled
    assert guarded.seen and all(seen == (TOKEN, SITE_KEY, f"Basic {BASIC}") for seen in guarded.seen)
    everything = {
        "log": caplog.text + "\n".join(r.getMessage() for r in caplog.records),
        "report": str(report.to_json()) + printed.getvalue(),
        "store": _store_text(db),
        "api": "\n".join(outputs),
    }
    assert "guarded-sps" in everything["store"] and "via" in everything["api"]  # there was output to search
    assert "HTTP Request: POST" in everything["log"]
    for where, text in everything.items():
        for secret in SECRETS:
            assert secret not in text, f"a source credential appears in the {where}"
