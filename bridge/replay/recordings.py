"""The replay manifest: which recorded file answers which request of which legacy service, with provenance."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast
from urllib.parse import urlsplit

import yaml

from bridge.errors import ConfigError

ServiceType = Literal["sos", "sta", "sps"]
TYPES = ("sos", "sta", "sps")


@dataclass(frozen=True, slots=True)
class Answer:
    """One recorded response and the requests it answers (operation and parameters, or an STA path)."""

    file: str  # relative to the folder above the manifest's (fixtures/ in a checkout)
    match: dict[str, str]  # SOS/SPS: operation and parameters; STA: path
    body: bytes
    provenance: str
    envelope: bool = False  # STA: a recorded single entity served as its entity set (`{"value": [it]}`)


@dataclass(frozen=True, slots=True)
class ServiceRecording:
    """One legacy service of the demo: its recorded base URL, its answers, and what it is."""

    name: str
    type: ServiceType
    title: str
    description: str
    recorded_url: str
    answers: list[Answer] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)  # SPS: tasks to import (SPS 2.0 cannot list them)
    recorded_task: str | None = None  # SPS: the task the recorded answers are about (see `apps.OwsReplay`)

    @property
    def path(self) -> str:
        """The replay serves the service at the recorded URL's path (so only scheme, host and port change)."""
        return urlsplit(self.recorded_url).path or "/"


def provenance_of(folder: Path, name: str) -> str:
    """The line of `folder/PROVENANCE.md` about file `name` (every recording has one)."""
    text = (folder / "PROVENANCE.md").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith(f"- `{name}`"):
            return line[2:].strip()
    raise ConfigError(f"{folder / 'PROVENANCE.md'} has no line about {name}: a recording needs its provenance")


def _answer(base: Path, raw: dict[str, Any], where: str) -> Answer:
    if not isinstance(raw, dict) or "file" not in raw:
        raise ConfigError(f"{where}: each answer needs a `file`")
    path = base / str(raw["file"])
    if not path.is_file():
        raise ConfigError(f"{where}: recording not found: {raw['file']}")
    match = {k: str(v) for k, v in raw.items() if k not in ("file", "envelope")}
    body = path.read_bytes()
    return Answer(str(raw["file"]), match, body, provenance_of(path.parent, path.name), bool(raw.get("envelope")))


def load_manifest(manifest: Path) -> list[ServiceRecording]:
    """The services of a replay manifest (validated; recordings read, each with its provenance line)."""
    try:
        doc = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"replay manifest not found: {manifest}") from None
    services = doc.get("services") if isinstance(doc, dict) else None
    if not isinstance(services, list) or not services:
        raise ConfigError(f"{manifest}: expected `services`, a list of recorded legacy services")
    out = []
    for i, raw in enumerate(services):
        where = f"{manifest}: services[{i}]"
        missing = [k for k in ("name", "type", "title", "description", "recorded_url", "answers") if k not in raw]
        if missing or raw["type"] not in TYPES:
            raise ConfigError(f"{where}: needs {', '.join(missing) or 'a type among ' + ', '.join(TYPES)}")
        answers = [_answer(manifest.parent.parent, a, f"{where}.answers") for a in raw["answers"]]
        out.append(
            ServiceRecording(
                str(raw["name"]),
                cast(ServiceType, raw["type"]),
                str(raw["title"]),
                str(raw["description"]),
                str(raw["recorded_url"]),
                answers,
                [str(t) for t in raw.get("tasks", [])],
                str(raw["recorded_task"]) if raw.get("recorded_task") else None,
            )
        )
    return out


def rewrite(body: bytes, recorded_url: str, replay_url: str) -> bytes:
    """A recording with the recorded server's base URL replaced by the replay's (nothing else changes)."""
    return body.replace(recorded_url.encode(), replay_url.encode())
