"""One MQTT 5 connection (paho-mqtt) shared by the publisher and the ingestion, driven by the event loop.

paho-mqtt does the protocol: packets, QoS 1 flows, keep-alive, TLS. It runs on the app's event loop through
its external-loop interface (socket readiness callbacks, as aiomqtt drives it), so no network thread competes
for the interpreter with the facade. This module adds what the bridge needs on top: reconnection in the
background, a connected/disconnected state the publisher waits on, rounds of QoS 1 publications whose PUBACKs
are awaited together (thousands of messages in flight at once), and client publications put on a queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.subscribeoptions import SubscribeOptions

from bridge.live.config import MqttSettings

log = logging.getLogger("bridge.live")
YIELD_EVERY = 200  # publications handed to paho between two returns to the event loop


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
        self._loop_thread = threading.get_ident()
        self.connected = asyncio.Event()
        self._lock = threading.Lock()
        self._round: _Round | None = None
        self._turn = asyncio.Lock()  # one round at a time (the publisher's and the ingestion's error reports)
        self._keeper: asyncio.Task[None] | None = None
        self._connected_once = False
        self.client = self._client()

    def _client(self) -> mqtt.Client:
        cfg = self.cfg
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=cfg.client_id or f"csapi-bridge-{uuid.uuid4().hex[:12]}",
            protocol=mqtt.MQTTv5,
            reconnect_on_failure=True,
        )
        if cfg.username is not None or cfg.password is not None:
            client.username_pw_set(cfg.username or "", cfg.secret())
        if cfg.tls:
            client.tls_set(ca_certs=cfg.tls_ca, cert_reqs=ssl.CERT_NONE if cfg.tls_insecure else ssl.CERT_REQUIRED)
            client.tls_insecure_set(cfg.tls_insecure)
        # paho's own in-flight window rescans its whole queue on every PUBACK: the window is the round instead
        client.max_inflight_messages_set(0)
        client.max_queued_messages_set(0)
        client.on_socket_open = self._on_socket_open
        client.on_socket_close = self._on_socket_close
        client.on_socket_register_write = self._on_register_write
        client.on_socket_unregister_write = self._on_unregister_write
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        client.on_message = self._on_message
        return client

    def start(self) -> None:
        """Connect in the background (the facade serves meanwhile) and keep reconnecting when the link drops."""
        self._keeper = asyncio.create_task(self._keep_connected(), name="mqtt-connection")

    async def stop(self) -> None:
        """Disconnect and stop reconnecting."""
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
        self.client.disconnect()

    async def _keep_connected(self) -> None:
        """(Re)connect whenever there is no socket; run paho's keep-alive housekeeping every second."""
        while True:
            if self.client.socket() is None:
                try:  # the TCP/TLS connect blocks: done off the event loop
                    await self.loop.run_in_executor(None, self._connect)
                except (OSError, ssl.SSLError) as exc:
                    log.warning("MQTT broker %s:%s unreachable (%s); retrying", self.cfg.host, self.cfg.port, exc)
                    await asyncio.sleep(self.cfg.reconnect)
                    continue
            self.client.loop_misc()
            await asyncio.sleep(1.0)

    def _connect(self) -> None:
        if self._connected_once:
            self.client.reconnect()
        else:
            self.client.connect(self.cfg.host, self.cfg.port, keepalive=30)
            self._connected_once = True

    # socket readiness (paho's external loop interface; open/register may come from the connecting thread) --
    def _on_loop(self, call: Callable[..., Any], *args: Any) -> None:
        """Run `call` now on the event loop's thread, or soon from another one (the connecting thread)."""
        if threading.get_ident() == self._loop_thread:
            call(*args)
        else:
            self.loop.call_soon_threadsafe(call, *args)

    def _on_socket_open(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self._on_loop(self.loop.add_reader, sock.fileno(), self._read)

    def _on_socket_close(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        fd = sock.fileno()  # before paho closes it
        self._on_loop(self.loop.remove_reader, fd)
        self._on_loop(self.loop.remove_writer, fd)

    def _on_register_write(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self._on_loop(self.loop.add_writer, sock.fileno(), client.loop_write)

    def _on_unregister_write(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self._on_loop(self.loop.remove_writer, sock.fileno())

    def _read(self) -> None:
        self.client.loop_read(max_packets=1000)

    # paho callbacks ----------------------------------------------------------------------------------
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
        self.loop.call_soon_threadsafe(self._deliver, Incoming(message.topic, bytes(message.payload)))

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
            if len(batch) >= self.cfg.inflight:
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
        publish = self.client.publish
        for n, message in enumerate(batch, 1):
            if n % YIELD_EVERY == 0:
                await asyncio.sleep(0)  # let HTTP requests and PUBACKs in between
            info = publish(message.topic, message.payload, qos=1, retain=message.retain)
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


async def cancel_all(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel a service's background tasks and wait until each has ended; the list is emptied."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    tasks.clear()
