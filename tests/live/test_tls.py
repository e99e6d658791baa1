"""The broker over TLS with a password (a private Mosquitto with its own CA): the bridge verifies the broker's
certificate against `tls_ca`, logs in, publishes; its password appears in no log line."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import orjson
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from bridge.store.sql.store import SqlStore
from tests.api.part2_support import AIR_TEMP, datastream_body, new_stream, new_system, post_observations, quantity
from tests.live.conftest import live_app, live_settings
from tests.live.mosquitto import Mosquitto, _free_port, run_as

PASSWORD = "tls-test-pw-7c1e"


def _tools() -> None:
    if not (shutil.which("openssl") and shutil.which("mosquitto_passwd")):
        pytest.skip("needs openssl and mosquitto_passwd")


def _pki(d: Path) -> None:
    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    run(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=test-ca",
    )
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    (d / "ext.cnf").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run(
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    )


async def test_tls_and_password(mosquitto: Mosquitto, tmp_path: Path, caplog: Any) -> None:
    if not mosquitto.private:
        pytest.skip("needs the mosquitto binary")
    _tools()
    _pki(tmp_path)
    subprocess.run(["mosquitto_passwd", "-b", "-c", str(tmp_path / "passwd"), "bridge", PASSWORD], check=True)
    port = _free_port()
    conf = tmp_path / "tls.conf"
    conf.write_text(
        f"{run_as()}listener {port} 127.0.0.1\nallow_anonymous false\npassword_file {tmp_path}/passwd\n"
        f"cafile {tmp_path}/ca.pem\ncertfile {tmp_path}/server.pem\nkeyfile {tmp_path}/server.key\n"
    )
    broker = subprocess.Popen([str(mosquitto.binary), "-c", str(conf)], stderr=subprocess.DEVNULL)
    received: list[bytes] = []
    sub = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    sub.username_pw_set("bridge", PASSWORD)
    sub.tls_set(ca_certs=str(tmp_path / "ca.pem"))
    sub.on_connect = lambda c, *a: c.subscribe("tls/#", qos=1)
    sub.on_message = lambda c, u, m: received.append(bytes(m.payload))
    try:
        for _ in range(100):
            try:
                sub.connect("127.0.0.1", port)
                break
            except OSError:
                time.sleep(0.05)
        sub.loop_start()
        store = await SqlStore.open(f"sqlite:///{tmp_path / 'tls.db'}")
        settings = live_settings(f"mqtts://bridge:{PASSWORD}@127.0.0.1:{port}", "tls", tls_ca=str(tmp_path / "ca.pem"))
        async with live_app(store, settings) as (http, _):
            sys_id = await new_system(http, "urn:x:tls")
            ds = await new_stream(http, sys_id, "datastreams", datastream_body("t", quantity("t", AIR_TEMP)))
            await post_observations(http, ds, [{"resultTime": "2024-01-01T00:00:00Z", "result": 1.5}])
            for _ in range(300):
                if any(b'"result":1.5' in m for m in received):
                    break
                await asyncio.sleep(0.02)
        await store.close()
    finally:
        sub.disconnect()
        sub.loop_stop()
        broker.terminate()
        broker.wait(10)
    assert any(orjson.loads(m).get("result") == 1.5 for m in received)
    assert PASSWORD not in caplog.text
