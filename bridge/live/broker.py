"""One MQTT 5 connection (paho-mqtt, its network thread) shared by the publisher and the ingestion.

paho-mqtt does the protocol: connection, reconnection with back-off, QoS 1 retransmission, TLS. This module
adds what the bridge needs on top: a connected/disconnected state the event loop can wait on, rounds of QoS 1
publications whose PUBACKs are awaited together (so thousands of messages are in flight at once), and the
delivery of client publications to an asyncio queue.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from bridge.live.config import MqttSettings

log = logging.getLogger("bridge.live")
ORIGIN = ("origin", "csapi-bridge")  # MQTT 5 user property on every message the bridge publishes
MAX_ROUND = 20_000  # messages of one round (QoS 1 packet ids are 16-bit: a round never wraps them)


@dataclass(slots=True, frozen=True)
class Message:
    """One publication: topic, payload and whether the broker retains it."""

    topic: str
    payload: bytes
    retain: bool = False


@dataclass(slots=True, frozen=True)
class Incoming:
    """A client publication received on a subscribed topic."""

    topic: str
    payload: bytes
    from_bridge: bool  # carries the bridge's origin property (another bridge instance published it)


class _Round:
    """The packet ids of one round of publications still waiting for their PUBACK."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.waiting: set[int] = set()
        self.early: set[int] = set()
        self.closed = False
        self.done = loop.create_future()

    def finish(self, ok: bool) -> None:
        """Resolve the round (from any thread)."""
        self.loop.call_soon_threadsafe(self._resolve, ok)

    def _resolve(self, ok: bool) -> None:
        if not self.done.done():
            self.done.set_result(ok)


class Broker:
    """The bridge's connection to the broker; `start()` connects in the background and keeps reconnecting."""

    def __init__(self, cfg: MqttSettings, subscriptions: list[str] | None = None) -> None:
        self.cfg = cfg
        self.subscriptions = subscriptions or []
        self.incoming: asyncio.Queue[Incoming] = asyncio.Queue(maxsize=10_000)
        self.loop = asyncio.get_running_loop()
        self.connected = asyncio.Event()
        self._lock = threading.Lock()
        self._round: _Round | None = None
        self._turn = asyncio.Lock()  # one round at a time (the publisher's and the ingestion's error reports)
        self._props = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
        self._props.UserProperty = [ORIGIN]
        self.client = self._client()

    def _client(self) -> mqtt.Client:
        cfg = self.cfg
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=cfg.client_id, protocol=mqtt.MQTTv5, reconnect_on_failure=True
        )
        if cfg.username is not None or cfg.password is not None:
            client.username_pw_set(cfg.username or "", cfg.secret())
        if cfg.tls:
            client.tls_set(ca_certs=cfg.tls_ca, cert_reqs=ssl.CERT_NONE if cfg.tls_insecure else ssl.CERT_REQUIRED)
            client.tls_insecure_set(cfg.tls_insecure)
        client.max_inflight_messages_set(cfg.inflight)
        client.max_queued_messages_set(0)
        client.reconnect_delay_set(min_delay=1, max_delay=max(1, int(cfg.reconnect)))
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        return client

    def start(self) -> None:
        """Connect in the background (the facade serves meanwhile) and keep reconnecting when the link drops."""
        self.client.connect_async(self.cfg.host, self.cfg.port, keepalive=30)
        self.client.loop_start()

    def stop(self) -> None:
        """Disconnect and stop the network thread."""
        self.client.disconnect()
        self.client.loop_stop()

    # paho callbacks (network thread) ----------------------------------------------------------------
    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            log.warning("MQTT broker %s:%s refused the connection: %s", self.cfg.host, self.cfg.port, reason)
            return
        log.info("MQTT connected to %s:%s", self.cfg.host, self.cfg.port)
        options = SubscribeOptions(qos=1, noLocal=True)  # never receive what this connection published
        for topic in self.subscriptions:
            client.subscribe(topic, options=options)
        self.loop.call_soon_threadsafe(self.connected.set)

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        log.warning("MQTT connection to %s:%s lost (%s); reconnecting", self.cfg.host, self.cfg.port, reason)
        self.loop.call_soon_threadsafe(self.connected.clear)
        with self._lock:
            current = self._round
        if current is not None:
            current.finish(False)

    def _on_publish(self, client: mqtt.Client, userdata: Any, mid: int, reason: Any, props: Any) -> None:
        with self._lock:
            current = self._round
            if current is None:
                return
            if mid in current.waiting:
                current.waiting.discard(mid)
                if current.closed and not current.waiting:
                    current.finish(True)
            else:
                current.early.add(mid)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        props = getattr(message, "properties", None)
        user = getattr(props, "UserProperty", None) or []
        item = Incoming(message.topic, bytes(message.payload), ORIGIN in user)
        self.loop.call_soon_threadsafe(self._deliver, item)

    def _deliver(self, item: Incoming) -> None:
        try:
            self.incoming.put_nowait(item)
        except asyncio.QueueFull:
            log.warning("MQTT ingestion queue full: a publication on %s is dropped", item.topic)

    # publishing -------------------------------------------------------------------------------------
    async def publish(self, messages: Iterable[Message], timeout: float = 30.0) -> bool:
        """Publish at QoS 1 and wait for every PUBACK; False when the connection dropped or the broker stalled."""
        batch: list[Message] = []
        for message in messages:
            batch.append(message)
            if len(batch) >= MAX_ROUND:
                if not await self._round_trip(batch, timeout):
                    return False
                batch = []
        return await self._round_trip(batch, timeout) if batch else True

    async def _round_trip(self, batch: list[Message], timeout: float) -> bool:
        async with self._turn:
            return await self._one_round(batch, timeout)

    async def _one_round(self, batch: list[Message], timeout: float) -> bool:
        if not self.connected.is_set():
            return False
        current = _Round(self.loop)
        with self._lock:
            self._round = current
        publish, props = self.client.publish, self._props
        for message in batch:
            info = publish(message.topic, message.payload, qos=1, retain=message.retain, properties=props)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                if info.rc != mqtt.MQTT_ERR_NO_CONN:
                    log.warning("MQTT publish on %s failed: %s", message.topic, mqtt.error_string(info.rc))
                current.finish(False)
                break
            with self._lock:
                if info.mid in current.early:
                    current.early.discard(info.mid)
                else:
                    current.waiting.add(info.mid)
        with self._lock:
            current.closed = True
            if not current.waiting:
                current.finish(True)
        try:
            return bool(await asyncio.wait_for(current.done, timeout))
        except TimeoutError:
            return False
        finally:
            with self._lock:
                self._round = None
