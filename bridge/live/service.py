"""The MQTT transport as a background service of the facade (or of any process holding the store)."""

from __future__ import annotations

import asyncio
import logging

from bridge.commands.pipeline import CommandPipeline
from bridge.errors import ConfigError
from bridge.live.broker import Broker, cancel_all
from bridge.live.ingest import Ingestion
from bridge.live.publisher import Publisher
from bridge.live.topics import Topics
from bridge.settings import Settings
from bridge.store.base import Store
from bridge.store.sql.store import SqlStore

log = logging.getLogger("bridge.live")


class MqttService:
    """Publishes the outbox and (with `[mqtt] ingest`) stores what clients publish on the data topics.

    Starting never waits for the broker: the facade serves HTTP while it is unreachable, and publishing resumes
    from the stored position once it answers.
    """

    def __init__(self, settings: Settings, store: Store, pipeline: CommandPipeline) -> None:
        if not isinstance(store, SqlStore):
            raise TypeError("the MQTT transport needs the SQL store (its outbox)")
        url = store.engine.url
        if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
            # one shared connection: the publisher's transactions would interleave with the requests'
            raise ConfigError("[mqtt] needs a store in a file or on PostgreSQL, not sqlite:///:memory:")
        store.outbox.enabled = True  # every process of the store records its commits; the lease holder publishes
        self.settings: Settings = settings
        self.store: SqlStore = store
        self.pipeline: CommandPipeline = pipeline
        self.topics: Topics = Topics(settings.mqtt.prefix)
        self.broker: Broker | None = None
        self.publisher: Publisher | None = None
        self.ingestion: Ingestion | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Connect in the background, start publishing the outbox and listening to the data topics."""
        cfg = self.settings.mqtt
        self.broker = Broker(cfg, self.topics.subscriptions() if cfg.ingest else [])
        self.broker.start()
        base = self.settings.base_url or f"http://{self.settings.host}:{self.settings.port}"
        self.publisher = Publisher(self.store, self.broker, cfg, base)
        self._tasks.append(asyncio.create_task(self.publisher.run(), name="mqtt-publisher"))
        if cfg.ingest:
            self.ingestion = Ingestion(self.store, self.pipeline, self.broker, self.topics, self.settings.limits)
            self._tasks.append(asyncio.create_task(self.ingestion.run(), name="mqtt-ingestion"))

    async def stop(self) -> None:
        """Stop publishing and listening; what is not yet acknowledged is published by the next start."""
        await cancel_all(self._tasks)
        if self.broker is not None:
            await self.broker.stop()
