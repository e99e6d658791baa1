"""`[mqtt]`: the MQTT broker the bridge publishes its live data and resource events on, and listens to."""

from __future__ import annotations

from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import BaseModel, Field, SecretStr, model_validator

from bridge.credentials import Secret, remember, reveal

FORMAT_TOKENS = ("json", "om-json", "swe-json", "swe-csv", "swe-binary")


class MqttSettings(BaseModel):
    """Broker, credentials, TLS and topic layout of the MQTT transport (off unless `enabled`)."""

    enabled: bool = False
    url: str = "mqtt://127.0.0.1:1883"  # mqtt:// or mqtts:// (TLS); user information moves to username/password
    username: str | None = None
    password: Secret | None = None  # a literal, {env = "NAME"} or {file = "PATH"}; never logged
    client_id: str | None = None  # MQTT client id; default `csapi-bridge-` + random (two bridges never collide)
    tls_ca: str | None = None  # CA bundle to verify the broker with (mqtts:// uses the system CAs without it)
    tls_insecure: bool = False  # accept any broker certificate (tests only)
    prefix: str = "csapi"  # topics are `{prefix}/datastreams/{id}/observations:data`…; empty: no prefix
    formats: list[Literal["json", "om-json", "swe-json", "swe-csv", "swe-binary"]] = Field(default_factory=list)
    legacy_topics: bool = False  # also publish the older OSH form (`/{prefix}/datastreams/{id}/observations`)
    ingest: bool = True  # accept observations and commands published by clients on the data topics
    batch: int = Field(default=500, ge=1, le=100_000)  # outbox rows read per drain round
    # QoS 1 messages awaiting their PUBACK at once (one round; packet ids are 16-bit, a round never wraps them)
    inflight: int = Field(default=10_000, ge=1, le=30_000)
    reconnect: float = Field(default=2.0, gt=0)  # seconds between reconnection attempts while the broker is down

    @model_validator(mode="after")
    def _credentials_apart(self) -> MqttSettings:
        parts = urlsplit(self.url)
        if parts.scheme not in ("mqtt", "mqtts"):
            raise ValueError("mqtt.url must start with mqtt:// or mqtts://")
        if parts.username is not None or parts.password is not None:
            self.username = self.username or unquote(parts.username or "")
            if self.password is None and parts.password is not None:
                self.password = SecretStr(unquote(parts.password))
            self.url = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"
        if isinstance(self.password, SecretStr):
            remember(self.password.get_secret_value())
        self.prefix = self.prefix.strip("/")
        return self

    @property
    def host(self) -> str:
        """The broker's host name."""
        return urlsplit(self.url).hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        """The broker's port (1883, or 8883 for mqtts:// when the URL names none)."""
        parts = urlsplit(self.url)
        return parts.port or (8883 if parts.scheme == "mqtts" else 1883)

    @property
    def tls(self) -> bool:
        """Whether the connection is TLS (mqtts://)."""
        return urlsplit(self.url).scheme == "mqtts"

    def secret(self) -> str | None:
        """The broker password, read now (from the config, the environment or a file)."""
        return reveal(self.password) if self.password is not None else None
