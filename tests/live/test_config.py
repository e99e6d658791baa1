"""`[mqtt]` settings: URL forms, credentials kept apart and redacted, topic names."""

from __future__ import annotations

import pytest

from bridge.credentials import redact
from bridge.errors import ConfigError
from bridge.live.config import MqttSettings
from bridge.live.topics import DataTopic, Topics
from bridge.settings import load_settings


def test_credentials_in_the_url_move_out_and_are_masked() -> None:
    cfg = MqttSettings(url="mqtts://bridge:s3cr%40t-pw@broker.example.org")
    assert cfg.url == "mqtts://broker.example.org" and cfg.username == "bridge"
    assert cfg.secret() == "s3cr@t-pw" and cfg.tls and cfg.port == 8883
    assert "s3cr@t-pw" not in redact("connect failed with s3cr@t-pw") and "s3cr@t-pw" not in repr(cfg)


def test_password_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MQTT_PW", "from-env-pw")
    cfg = MqttSettings(username="u", password={"env": "MQTT_PW"})  # type: ignore[arg-type]
    assert cfg.secret() == "from-env-pw" and "from-env-pw" not in redact("x from-env-pw y")


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"mqtt\.url"):
        load_settings(None, mqtt={"url": "http://broker"})
    with pytest.raises(ConfigError, match=r"mqtt\.formats"):
        load_settings(None, mqtt={"formats": ["xml"]})


def test_topic_names() -> None:
    t = Topics("/csapi/")
    assert t.observations("d1") == "csapi/datastreams/d1/observations:data"
    assert t.observations("d1", "swe-csv") == "csapi/datastreams/d1/observations:data/swe-csv"
    assert t.commands("c1") == "csapi/controlstreams/c1/commands:data"
    assert t.legacy("datastreams", "d1", "observations") == "/csapi/datastreams/d1/observations"
    assert t.parse_data("csapi/datastreams/d1/observations:data/swe-binary") == DataTopic(
        "datastreams", "d1", "swe-binary"
    )
    assert t.parse_data("csapi/controlstreams/c1/commands:data") == DataTopic("controlstreams", "c1", None)
    assert (
        t.parse_data("csapi/datastreams/d1/observations") is None
        and t.parse_data("other/datastreams/d1/observations:data") is None
    )
    assert Topics("").observations("d1") == "datastreams/d1/observations:data"
