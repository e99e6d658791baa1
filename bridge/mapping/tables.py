"""Mapping tables: YAML files in `mappings/<protocol>/`, validated at startup.

A table file holds `resources` (one entry per legacy entity: the CSAPI kind it becomes and how each
field is computed) and plain lookup tables (`lookups`: observation types → SWE components, unit
codes → UCUM, status codes...). A deployment overrides any file by pointing `mappings` in its
source configuration to a directory holding files of the same names; override files replace the
default file's top-level entries they define and keep the others.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bridge.errors import ConfigError
from bridge.model.csapi import Kind
from bridge.model.kinds import KINDS
from bridge.resources import data_path

DEFAULT_ROOT = data_path("mappings")


class FieldSpec(BaseModel):
    """How one target field is computed: from a path, a constant or a template, then transforms."""

    model_config = ConfigDict(extra="forbid")

    source: str | None = Field(default=None, alias="from")
    const: Any = None
    template: str | None = None
    transform: list[str] = Field(default_factory=list)
    default: Any = None
    required: bool = False

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"from": data}
        if isinstance(data, dict) and isinstance(data.get("transform"), str):
            return {**data, "transform": [data["transform"]]}
        return data

    @model_validator(mode="after")
    def _one_origin(self) -> FieldSpec:
        origins = [o for o in (self.source, self.template) if o is not None] + ([1] if self.const is not None else [])
        if len(origins) > 1:
            raise ValueError("give only one of 'from', 'const', 'template'")
        return self


# What a mapping-table entry may build (`kind:`): every resource kind the harvest stores as a resource
# (observations are rows mapped by the protocol rules; system events are not harvested).
TARGETS: dict[str, type[Any]] = {
    desc.path: desc.model for desc in KINDS.values() if desc.kind not in (Kind.OBSERVATION, Kind.SYSTEM_EVENT)
}


class ResourceSpec(BaseModel):
    """One legacy entity → one CSAPI resource kind."""

    model_config = ConfigDict(extra="forbid")

    kind: str  # a key of TARGETS
    id: FieldSpec
    fields: dict[str, FieldSpec] = Field(default_factory=dict)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in TARGETS:
            raise ValueError(f"Input should be one of {', '.join(repr(k) for k in TARGETS)}")
        return value


class MappingTable(BaseModel):
    """A whole table file."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = 1
    resources: dict[str, ResourceSpec] = Field(default_factory=dict)
    lookups: dict[str, dict[str, Any]] = Field(default_factory=dict)


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(f"mapping table not found: {path}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"mapping table {path} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"mapping table {path}: expected a mapping at the top level")
    return data


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for section in ("resources", "lookups"):
        if section in override:
            merged[section] = {**base.get(section, {}), **override[section]}
    return merged


def load_table(protocol: str, name: str, override_dir: str | Path | None = None) -> MappingTable:
    """The table `mappings/<protocol>/<name>.yaml`, with a deployment's override merged in.

    Raises ConfigError naming the file and the offending entry.
    """
    path = DEFAULT_ROOT / protocol / f"{name}.yaml"
    data = _read(path)
    sources = [str(path)]
    if override_dir is not None:
        candidate = Path(override_dir) / f"{name}.yaml"
        if candidate.is_file():
            data = _merge(data, _read(candidate))
            sources.append(str(candidate))
    try:
        return MappingTable.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        raise ConfigError(f"mapping table {' + '.join(sources)} is invalid: {problems}") from None
