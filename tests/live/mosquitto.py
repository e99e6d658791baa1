"""A real Mosquitto for the MQTT tests, and a real MQTT client that records what it receives.

A private broker is started on a free port when the `mosquitto` binary is installed (so a test may stop and
restart it); otherwise the broker on 127.0.0.1:1883 is used when it answers; otherwise the tests skip, except
under CI=true where they fail.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from tests.conftest import IN_CI


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_as() -> str:
    """Keep a root-started broker as root (it would switch to `mosquitto`, who cannot read the test's files)."""
    return "user root\n" if os.geteuid() == 0 else ""


class Mosquitto:
    """A broker on loopback; `stop()`/`start()` restart a private one on the same port (its state persisted)."""

    def __init__(self, workdir: Path) -> None:
        self.binary = shutil.which("mosquitto") or (
            "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
        )
        self.private = self.binary is not None
        self.port = _free_port() if self.private else 1883
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start the private broker (persistence on: QoS 1 sessions survive a restart) and wait for it."""
        if not self.private:
            return
        conf = self.workdir / "mosquitto.conf"
        conf.write_text(
            f"{run_as()}listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
            f"persistence_location {self.workdir}/\nmax_queued_messages 0\nmax_inflight_messages 0\n"
        )
        self.process = subprocess.Popen(
            [str(self.binary), "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 10
        while not _answers(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"mosquitto did not start on port {self.port}")
            time.sleep(0.05)
        if self.process.poll() is not None:  # the port was taken meanwhile: another broker answered, not ours
            raise RuntimeError(f"port {self.port} is taken")

    def stop(self) -> None:
        """Stop the private broker (SIGTERM: it saves its sessions)."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None

    @property
    def url(self) -> str:
        """The broker's mqtt:// URL."""
        return f"mqtt://127.0.0.1:{self.port}"


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    """A real Mosquitto (private when the binary exists, else the one on 127.0.0.1:1883)."""
    broker = Mosquitto(tmp_path)
    if not broker.private and not _answers(1883):
        reason = "no mosquitto binary and no MQTT broker on 127.0.0.1:1883"
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    for _ in range(5):  # a free port may be taken between choosing it and binding it
        try:
            broker.start()
            break
        except RuntimeError:
            broker.port = _free_port()
    else:
        pytest.fail("could not start a private mosquitto")
    yield broker
    broker.stop()


def prefix() -> str:
    """A topic prefix of one test (the shared broker may carry other tests' traffic)."""
    return f"t{uuid.uuid4().hex[:10]}/api"


class Recorder:
    """A real MQTT 5 client subscribed to some topics, recording (topic, payload) as it receives them.

    Its session persists across broker restarts (clean start off, long expiry), as a client that must miss
    nothing would connect.
    """

    def __init__(self, port: int, topics: list[str], persistent: bool = False) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self.lock = threading.Lock()
        self.subscribed = threading.Event()
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"rec-{uuid.uuid4().hex[:8]}", protocol=mqtt.MQTTv5
        )
        self.topics = topics
        self.client.on_connect = self._on_connect
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        self.client.on_message = self._on_message
        props = None
        if persistent:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = 3600
        self.client.reconnect_delay_set(1, 1)
        self.client.connect("127.0.0.1", port, clean_start=not persistent, properties=props)
        self.client.loop_start()
        assert self.subscribed.wait(10), "the recorder could not subscribe"

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        for topic in self.topics:
            client.subscribe(topic, qos=1)

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self.lock:
            self.messages.append((message.topic, bytes(message.payload)))

    def on(self, topic: str) -> list[bytes]:
        """Payloads received on one topic, in order."""
        with self.lock:
            return [p for t, p in self.messages if t == topic]

    def json_on(self, topic: str) -> list[Any]:
        """JSON payloads received on one topic."""
        return [orjson.loads(p) for p in self.on(topic)]

    async def until(self, check: Any, timeout: float = 15.0) -> None:
        """Wait (letting the event loop run) until `check()` is true; fails the test after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; received {len(self.messages)} messages")
            await asyncio.sleep(0.02)

    def close(self) -> None:
        """Disconnect."""
        self.client.disconnect()
        self.client.loop_stop()


def publish(port: int, topic: str, payload: bytes) -> None:
    """Publish one message at QoS 1 as a client would (a fresh connection, waiting for the PUBACK)."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect("127.0.0.1", port)
    client.loop_start()
    client.publish(topic, payload, qos=1).wait_for_publish(10)
    client.disconnect()
    client.loop_stop()
