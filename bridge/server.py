"""The processes of a deployment: the facade (`csapi-bridge serve`), the worker (`csapi-bridge worker`), and
both in one (`serve --sync`).

`bridge.api` knows nothing of legacy protocols or schedulers; this is where they meet it: the command
forwarders of the configured SPS/STA sources (a facade submits the commands it receives), the status poller
and crash reconciliation of forwarded commands, and the scheduled harvests of the configuration file — the
worker's jobs, each run by one process at a time under its lease in the store (`bridge.store.sql.leases`).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import FastAPI

from bridge.api.app import Service, ServiceFactory, create_app
from bridge.commands.pipeline import CommandPipeline
from bridge.commands.registry import build_forwarders
from bridge.credentials import install_log_redaction
from bridge.errors import ConfigError
from bridge.jobs.leased import LeasedService
from bridge.jobs.poller import build_poller
from bridge.jobs.worker import HarvestWorker
from bridge.live.service import MqttService
from bridge.live.sta_front import StaLiveFront
from bridge.replay.demo import Demo, DemoHarvest, LoopbackOnly, with_demo_sources
from bridge.settings import Settings, SourceConfig
from bridge.store.base import Store
from bridge.store.factory import open_store
from bridge.store.sql.store import SqlStore

log = logging.getLogger("bridge.worker")


def poller_service(settings: Settings) -> ServiceFactory:
    """Reconciles unrecorded submissions at start, then polls forwarded commands until they are final."""

    def build(store: Store, pipeline: CommandPipeline) -> Service:
        return build_poller(settings, store, pipeline)

    return build


def scheduler_service(settings: Settings, transport: Any = None) -> ServiceFactory:
    """Runs the configuration's scheduled harvests beside the facade (`serve --sync`), under their leases."""

    def build(store: Store, pipeline: CommandPipeline) -> Service:
        if not isinstance(store, SqlStore):
            raise ConfigError("scheduled harvests need the SQL store (its leases)")
        return HarvestWorker(settings, store, transport=transport)

    return build


def mqtt_service(settings: Settings) -> ServiceFactory:
    """Publishes every committed change on MQTT and stores what clients publish there (`[mqtt] enabled`)."""

    def build(store: Store, pipeline: CommandPipeline) -> Service:
        if not isinstance(store, SqlStore):
            raise ConfigError("the MQTT transport needs the SQL store (its outbox and leases)")
        return LeasedService("live:mqtt", MqttService(settings, store, pipeline), store.leases)

    return build


def live_front_service(source: SourceConfig, transport: Any = None) -> ServiceFactory:
    """Follows an STA source in real time through its MQTT extension (`live = true` on the source)."""

    def build(store: Store, pipeline: CommandPipeline) -> Service:
        if not isinstance(store, SqlStore):
            raise ConfigError("the live front needs the SQL store (its leases)")
        return LeasedService(f"live:{source.name}", StaLiveFront(source, store, transport), store.leases)

    return build


def live_services(settings: Settings, transport: Any = None) -> list[ServiceFactory]:
    """The MQTT transport (`[mqtt] enabled`) and the STA live fronts (`live = true`), each run by one process of
    a fleet at a time (the holder of its lease), whichever facades and workers are configured with them."""
    services = [mqtt_service(settings)] if settings.mqtt.enabled else []
    return services + [live_front_service(s, transport) for s in settings.sources if s.live]


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
        services.append(scheduler_service(settings, transport))
    services += live_services(settings, transport)
    forwarders = build_forwarders(settings, transport=transport)
    app = create_app(settings, demo_dir=demo_dir, forwarders=forwarders, services=services)
    if demo is not None:
        app.state.content_origins = demo.origins()
    return app


async def run_worker(settings: Settings, *, stop: asyncio.Event | None = None, transport: Any = None) -> None:
    """`csapi-bridge worker`: scheduled harvests, command polling, crash reconciliation, live services, until `stop`.

    Any number of workers share one PostgreSQL store: each job is run by the worker holding its lease.
    """
    install_log_redaction()
    store = await open_store(settings)
    forwarders = build_forwarders(settings, transport=transport)
    pipeline = CommandPipeline(store, forwarders)
    harvests = HarvestWorker(settings, store, transport=transport)
    services: list[Service] = [build_poller(settings, store, pipeline), harvests]
    services += [factory(store, pipeline) for factory in live_services(settings, transport)]
    started: list[Service] = []
    try:
        for service in services:
            await service.start()
            started.append(service)
        log.info("worker %s: %d scheduled source(s), command polling every %ss", store.leases.holder,
                 len(harvests.sources), settings.command_poll_interval)  # fmt: skip
        await (stop or asyncio.Event()).wait()
    finally:
        for service in reversed(started):
            await service.stop()
        for forwarder in forwarders:
            close = getattr(forwarder, "aclose", None)
            if close is not None:
                await close()
        await store.close()
