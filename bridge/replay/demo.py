"""The demo of `csapi-bridge serve --demo`: recorded legacy services replayed on loopback, harvested at start-up
by the real harvest code (`run_harvest`), their control streams forwarding commands back to the replays."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bridge.jobs.run import run_harvest
from bridge.replay.apps import ReplayApp, make_app
from bridge.replay.recordings import ServiceRecording, load_manifest
from bridge.replay.server import LoopbackServer
from bridge.resources import data_path
from bridge.settings import Settings, SourceConfig
from bridge.store.base import HarvestSink

log = logging.getLogger("bridge.demo")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


class LoopbackOnly(httpx.AsyncBaseTransport):
    """An httpx transport that reaches loopback only: the demo's harvests never leave the machine."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send a request to a loopback host; refuse any other host."""
        if request.url.host not in LOOPBACK:
            raise httpx.ConnectError(f"the demo reaches loopback only, not {request.url.host}", request=request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        """Close the connections."""
        await self.inner.aclose()


@dataclass
class Demo:
    """The replayed services, each bound to a loopback port (served between `start()` and `stop()`)."""

    services: list[ServiceRecording]
    servers: list[LoopbackServer] = field(default_factory=list)

    @property
    def apps(self) -> dict[str, ReplayApp]:
        """The replay app of each service, by source name (what each received is in `received`)."""
        return {s.app.service.name: s.app for s in self.servers}

    def sources(self) -> list[SourceConfig]:
        """The harvest sources of the replays (their URL on loopback, their description)."""
        return [
            SourceConfig(
                name=s.app.service.name,
                type=s.app.service.type,
                url=s.url,
                tasks=s.app.service.tasks,
                description=s.app.service.description,
                timeout=30.0,
            )
            for s in self.servers
        ]

    def origins(self) -> list[dict[str, Any]]:
        """What the landing page says of each replayed service: its title and its recordings with provenance."""
        return [
            {
                "source": s.name,
                "title": s.title,
                "description": s.description,
                "recordings": [{"file": a.file, "provenance": a.provenance} for a in s.answers],
            }
            for s in self.services
        ]

    def start(self) -> None:
        """Serve every replay."""
        for server in self.servers:
            server.start()

    def stop(self) -> None:
        """Stop every replay."""
        for server in self.servers:
            server.stop()


def prepare_demo(manifest: Path | None = None) -> Demo:
    """The replays of a manifest (default: the one shipped with the package), each bound to a free loopback port."""
    services = load_manifest(manifest or data_path("replay", "manifest.yaml"))
    return Demo(services, [LoopbackServer(make_app(s)) for s in services])


def with_demo_sources(settings: Settings, demo: Demo) -> Settings:
    """The settings with the replays as harvest sources (so their commands are forwarded and `/sources` lists them)."""
    return settings.model_copy(update={"sources": [*settings.sources, *demo.sources()]})


class DemoHarvest:
    """App service: serve the replays, harvest each into the store at start-up, stop them at shutdown."""

    def __init__(self, demo: Demo, store: HarvestSink) -> None:
        self.demo = demo
        self.store = store

    async def start(self) -> None:
        """Start the replays and harvest them (a failed run is logged; the server starts anyway)."""
        self.demo.start()
        for source in self.demo.sources():
            try:
                report = await run_harvest(source, self.store, transport=LoopbackOnly())
            except Exception:
                log.exception("demo harvest of %s failed", source.name)
                continue
            log.info(
                "demo harvest of %s: %s, %d observations, %d errors reported",
                source.name,
                report.status,
                report.observations,
                len(report.errors),
            )

    async def stop(self) -> None:
        """Stop the replays."""
        self.demo.stop()
