"""Settings: defaults < config file (TOML) < environment (`BRIDGE_*`) < command-line flags."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit, urlunsplit

from pydantic import BaseModel, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bridge.auth_config import AuthSettings, CorsSettings
from bridge.credentials import Secret, remember, remember_basic, reveal
from bridge.errors import ConfigError
from bridge.live.config import MqttSettings
from bridge.model.kinds import PART1_KINDS


class CollectionConfig(BaseModel):
    """A custom collection served under `/collections/{id}`."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    kind: str  # a Part 1 resource kind by its path (`systems`, `samplingFeatures`...)
    title: str
    description: str | None = None

    @field_validator("kind")
    @classmethod
    def _part1_kind(cls, value: str) -> str:
        paths = [desc.path for desc in PART1_KINDS]
        if value not in paths:
            raise ValueError(f"Input should be one of {', '.join(repr(p) for p in paths)}")
        return value


class Limits(BaseModel):
    """What a client may send; each is enforced before the work it bounds is done (413 / 414 / 400 naming it)."""

    json_bytes: int = Field(default=16 * 2**20, ge=1024)  # a JSON (or GeoJSON, SensorML, merge-patch) body
    swe_bytes: int = Field(default=256 * 2**20, ge=1024)  # a SWE Common bulk body (CSV/text, binary, SWE JSON)
    other_bytes: int = Field(default=2**20, ge=1024)  # anything else (uri-list…)
    url_length: int = Field(default=8192, ge=256)  # path + query string
    json_depth: int = Field(default=32, ge=4, le=200)  # nesting of objects/arrays in a stored JSON member
    string_length: int = Field(default=65_536, ge=256)  # characters of one string in a JSON body
    list_items: int = Field(default=500, ge=1)  # entries of an ID list, a uri-list, `q` keywords × 25
    keywords: int = Field(default=20, ge=1)  # `q` keywords
    geometry_vertices: int = Field(default=100_000, ge=4)  # positions of one geometry (body or `geom`)
    offload_bytes: int = Field(default=256 * 1024, ge=0)  # bodies above this are decoded off the event loop


class WebSocketSettings(BaseModel):
    """The live WebSocket streams of the facade (`[websocket]`)."""

    buffer: int = Field(default=10_000, ge=1)  # items waiting for one slow client before it is closed (1013)
    poll_interval: float = Field(default=0.5, gt=0)  # seconds between reads for writes of other processes
    gap_ttl: float = Field(default=30.0, gt=0)  # seconds a key skipped by an open transaction is waited for


class SourceConfig(BaseModel):
    """One legacy service to harvest (`[[sources]]` in the config file)."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    type: Literal["sta", "sos", "sps"]
    url: str
    schedule: str | None = None  # "interval:15m" or a 5-field cron expression
    page_size: int = Field(default=10_000, ge=1, le=100_000)  # STA: largest $top probed
    concurrency: int = Field(default=4, ge=1, le=64)
    rate: float | None = Field(default=None, gt=0)
    timeout: float = Field(default=60.0, gt=0)
    retries: int = Field(default=4, ge=0, le=20)
    since: str | None = None
    lag: str = "PT0S"  # re-read window for late observations (ISO 8601 duration)
    deletions: Literal["keep", "end", "delete"] = "end"
    mappings: str | None = None  # directory with override mapping tables
    max_window: str | None = None  # SOS: longest GetObservation time window (ISO 8601 duration)
    # extra request headers (e.g. Authorization): each a literal or a reference {env = "NAME"} / {file = "PATH"}
    headers: dict[str, Secret] = Field(default_factory=dict)
    username: str | None = None  # HTTP Basic towards the legacy service (a URL's user information lands here)
    password: Secret | None = None
    tasks: list[str] = Field(default_factory=list)  # SPS: ids of existing tasks to import (SPS 2.0 cannot list them)
    description: str | None = None  # what the source is, shown on `/sources/{name}` and the landing page
    # STA: follow the service in real time through its MQTT extension (bridge/live/sta_front.py)
    live: bool = False
    live_url: str | None = None  # the service's MQTT endpoint (mqtt:// or mqtts://); default mqtt://{host}:1883
    live_version: str = "v1.1"  # the topic prefix of the STA MQTT extension

    @model_validator(mode="after")
    def _credentials_apart(self) -> SourceConfig:
        """Move a URL's user information into `username`/`password`, so the URL shown anywhere carries none."""
        parts = urlsplit(self.url)
        if parts.username is not None or parts.password is not None:
            if self.username is None:
                self.username = unquote(parts.username or "")
            if self.password is None and parts.password is not None:
                self.password = SecretStr(unquote(parts.password))
            netloc = parts.netloc.rpartition("@")[2]
            self.url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
        for value in [*self.headers.values(), self.password]:
            if isinstance(value, SecretStr):
                remember(value.get_secret_value())
        if self.live:
            if self.type != "sta":
                raise ValueError('live = true needs a SensorThings source (type = "sta") with the MQTT extension')
            self.live_url = self.live_url or f"mqtt://{urlsplit(self.url).hostname or '127.0.0.1'}:1883"
        return self

    def request_headers(self) -> dict[str, str]:
        """The configured headers with their secrets read (from the config, the environment or files)."""
        return {name: reveal(value) for name, value in self.headers.items()}

    def basic_auth(self) -> tuple[str, str] | None:
        """HTTP Basic credentials towards the legacy service, if configured (the password read now)."""
        if self.username is None and self.password is None:
            return None
        user, password = self.username or "", reveal(self.password) if self.password is not None else ""
        remember_basic(user, password)
        return user, password


class Settings(BaseSettings):
    """All options of csapi-bridge; `config/bridge.example.toml` documents each one."""

    model_config = SettingsConfigDict(env_prefix="BRIDGE_", env_nested_delimiter="__", extra="ignore")

    store: str = "sqlite:///./csapi-bridge.db"
    migrate_on_start: bool = True  # upgrade an older store's schema when opening it (else: `migrate-store`)
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    base_url: str | None = None
    title: str = "csapi-bridge"
    description: str = "OGC API - Connected Systems facade over legacy SOS, SPS and SensorThings services"
    default_limit: int = Field(default=10, ge=1)
    max_limit: int = Field(default=10_000, ge=1)
    demo: bool = False
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_json: bool = False  # one JSON object per log line, with the request id / harvest run id
    # who may read /metrics: clients on loopback without credential (others need `admin`), anyone, or `admin` only
    metrics: Literal["loopback", "public", "admin"] = "loopback"
    # a process without the facade (`sync`, a worker) serves its own metrics on host:metrics_port (None: not at all)
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    collections: list[CollectionConfig] = Field(default_factory=list)
    sources: list[SourceConfig] = Field(default_factory=list)
    limits: Limits = Field(default_factory=Limits)
    command_poll_interval: float = Field(default=10.0, gt=0)
    command_poll_max_age: float = Field(default=7 * 86400, gt=0)
    # fleet: a job's lease lasts this long without a heartbeat (a dead worker's jobs are taken over after it)
    lease_ttl: float = Field(default=15.0, gt=0)
    # HTML pages: maps draw no base map unless a tile URL template is given (then tiles come from that server)
    html_basemap: str | None = None  # e.g. "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    html_basemap_attribution: str | None = None
    auth: AuthSettings = Field(default_factory=AuthSettings)  # who may do what (bridge/api/auth)
    cors: CorsSettings = Field(default_factory=CorsSettings)  # cross-origin browser clients (off by default)
    mqtt: MqttSettings = Field(default_factory=MqttSettings)  # live data and resource events over MQTT (bridge/live)
    websocket: WebSocketSettings = Field(default_factory=WebSocketSettings)  # live streams (bridge/api/live)

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Read constructor values and `BRIDGE_*` variables only (no .env, no secrets dir); see `load_settings`."""
        return init_settings, env_settings


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Build settings from an optional TOML file, the environment and explicit overrides.

    Precedence: overrides (CLI flags) > environment (`BRIDGE_*`) > file > defaults.
    """
    file_values: dict[str, Any] = {}
    if config_file is not None:
        path = Path(config_file)
        try:
            file_values = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {path}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
        unknown = sorted(set(file_values) - set(Settings.model_fields))
        if unknown:
            raise ConfigError(f"config file {path}: unknown option(s) {', '.join(unknown)}")
    try:
        env_only = Settings()
        env_set = env_only.model_fields_set
        merged = {**file_values, **{k: _over(file_values.get(k), getattr(env_only, k)) for k in env_set}}
        merged.update({k: v for k, v in overrides.items() if v is not None})
        return Settings(**merged)
    except ValidationError as exc:
        raise ConfigError(f"invalid settings: {_describe(exc)}") from None


def _over(from_file: Any, from_env: Any) -> Any:
    """An option set in the environment over the file's: a table (`[auth]`, `[limits]`) keeps the file's other keys."""
    if isinstance(from_env, BaseModel) and isinstance(from_file, dict):
        return {**from_file, **{name: getattr(from_env, name) for name in from_env.model_fields_set}}
    return from_env


def _describe(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
