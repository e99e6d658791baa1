"""The facade as a process: the app of `csapi-bridge serve` with its forwarders and background services.

`bridge.api` knows nothing of legacy protocols or schedulers; this is where they meet it: the command
forwarders of the configured SPS/STA sources, the status poller of forwarded commands, and (`--sync`)
the scheduled harvests of the configuration file.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from bridge.api.app import Service, ServiceFactory, create_app
from bridge.commands.pipeline import CommandPipeline
from bridge.commands.registry import build_forwarders
from bridge.credentials import install_log_redaction
from bridge.jobs.poller import build_poller
from bridge.jobs.scheduler import build_scheduler
from bridge.live.service import MqttService
from bridge.live.sta_front import StaLiveFront
from bridge.replay.demo import Demo, DemoHarvest, LoopbackOnly, with_demo_sources
from bridge.settings import Settings, SourceConfig
from bridge.store.base import Store
from bridge.store.sql.store import SqlStore


class _Scheduled:
    """The scheduled harvests of the configuration as an app service."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self.scheduler = build_scheduler(settings, store)

    async def start(self) -> None:
        """Start the scheduler (its jobs run on the app's event loop)."""
        self.scheduler.start()

    async def stop(self) -> None:
        """Stop scheduling; a run in progress is abandoned (its next run resumes from the stored cursors)."""
        self.scheduler.shutdown(wait=False)


def poller_service(settings: Settings) -> ServiceFactory:
    """Reconciles unrecorded submissions at start, then polls forwarded commands until they are final."""

    def build(store: Store, pipeline: CommandPipeline) -> Service:
        return build_poller(settings, store, pipeline)

    return build


def scheduler_service(settings: Settings) -> ServiceFactory:
    """Runs the configuration's scheduled harvests beside the facade (`serve --sync`)."""

    def build(store: Store, pipeline: CommandPipeline) -> Service:
        return _Scheduled(settings, store)

    return build


def mqtt_service(settings: Settings) -> ServiceFactory:
    """Publishes every committed change on MQTT and stores what clients publish there (`[mqtt] enabled`)."""

    def build(store: Store, pipeline: CommandPipeline) -> Service:
        return MqttService(settings, store, pipeline)

    return build


def live_front_service(source: SourceConfig, transport: Any = None) -> ServiceFactory:
    """Follows an STA source in real time through its MQTT extension (`live = true` on the source)."""

    def build(store: Store, pipeline: CommandPipeline) -> Service:
        if not isinstance(store, SqlStore):
            raise TypeError("the live front needs the SQL store")
        return StaLiveFront(source, store, transport)

    return build


def demo_service(demo: Demo) -> ServiceFactory:
    """Serves the replayed legacy services of the demo and harvests them when the app starts."""

    def build(store: Store, pipeline: CommandPipeline) -> Service:
        return DemoHarvest(demo, store)

    return build


def build_app(
    settings: Settings,
    *,
    demo_dir: str | None = None,
    sync: bool = False,
    poll: bool = True,
    transport: Any = None,
    demo: Demo | None = None,
) -> FastAPI:
    """The app `csapi-bridge serve` runs: forwarders for the configured sources, polling, optional sync.

    `demo`: replayed legacy services (`bridge.replay.demo.prepare_demo`) harvested at start-up before the other
    services start; their control streams forward commands back to the replays (through loopback only).
    """
    install_log_redaction()  # the configured sources' credentials never reach a log line
    services = [demo_service(demo)] if demo is not None else []
    if demo is not None:
        settings = with_demo_sources(settings, demo)
        transport = transport or LoopbackOnly()
    services += [poller_service(settings)] if poll else []
    if sync:
        services.append(scheduler_service(settings))
    if settings.mqtt.enabled:
        services.append(mqtt_service(settings))
    services += [live_front_service(s, transport) for s in settings.sources if s.live]
    forwarders = build_forwarders(settings, transport=transport)
    app = create_app(settings, demo_dir=demo_dir, forwarders=forwarders, services=services)
    if demo is not None:
        app.state.content_origins = demo.origins()
    return app
