"""Shared helpers for the SensorThings source tests: recorded fixtures and a scripted mock server."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from bridge.sources.http import HttpPolicy, PoliteClient

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "sta"
ROOT = "http://sta.test/v1.1/"

Responder = Callable[[httpx.Request], httpx.Response]


def fixture_bytes(name: str) -> bytes:
    """A recorded document, byte for byte."""
    return (FIXTURES / name).read_bytes()


def fixture_json(name: str) -> Any:
    """A recorded document, decoded."""
    return json.loads(fixture_bytes(name))


class FakeSta:
    """A scripted STA server for `httpx.MockTransport`: routes on the decoded path and query options."""

    def __init__(self, root: str = ROOT) -> None:
        self.root = root
        self.routes: list[tuple[str, Callable[[dict[str, str]], bool], list[Responder]]] = []
        self.requests: list[httpx.Request] = []

    def on(
        self,
        path: str,
        *responses: Responder | httpx.Response | Any,
        when: Callable[[dict[str, str]], bool] = lambda q: True,
    ) -> FakeSta:
        """Answer GET/POST on `path` (relative to the host) with the responses in turn (the last repeats)."""
        responders = [self._responder(r) for r in responses]
        self.routes.append((path, when, responders))
        return self

    @staticmethod
    def _responder(value: Responder | httpx.Response | Any) -> Responder:
        if isinstance(value, httpx.Response):
            return lambda request: value
        if callable(value):
            return value
        return lambda request: httpx.Response(200, json=value)

    def root_doc(self, *sets: str, conformance: list[str] | None = None) -> FakeSta:
        """Serve a service root listing `sets`."""
        doc: dict[str, Any] = {"value": [{"name": s, "url": self.root + s} for s in sets]}
        if conformance is not None:
            doc["serverSettings"] = {"conformance": conformance}
        return self.on(httpx.URL(self.root).path, doc)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        query = dict(request.url.params)
        for path, when, responders in self.routes:
            if request.url.path == path and when(query):
                responder = responders.pop(0) if len(responders) > 1 else responders[0]
                response = responder(request)
                return response
        return httpx.Response(404, json={"code": 404, "type": "error", "message": "Not Found"})

    def client(self, **policy: Any) -> PoliteClient:
        """A PoliteClient on this fake with tiny backoffs."""
        settings: dict[str, Any] = {"backoff": 0.001, "max_backoff": 0.01, "retries": 3, "timeout": 2.0}
        settings.update(policy)
        return PoliteClient(HttpPolicy(**settings), transport=httpx.MockTransport(self.handle))

    def paths(self) -> list[str]:
        """Requested paths with raw query strings, in order."""
        return [request.url.raw_path.decode() for request in self.requests]


@pytest.fixture
def fake_sta() -> FakeSta:
    return FakeSta()


@pytest.fixture
def sta_doc() -> Callable[[str], Any]:
    """Loader of recorded documents in fixtures/sta/."""
    return fixture_json


@pytest.fixture
def sta_bytes() -> Callable[[str], bytes]:
    """Loader of recorded documents in fixtures/sta/, as bytes."""
    return fixture_bytes
