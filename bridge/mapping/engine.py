"""The mapping engine: legacy record in, CSAPI resource out — pure (no I/O, clock or settings).

`Mapper.build(entity, ns)` evaluates the table entry of `entity` against the namespace `ns`
(named legacy records, e.g. `{"thing": Thing(...), "sensor": Sensor(...)}`, plus `source`)
and constructs the CSAPI resource with its deterministic id and provenance.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from typing import Any

from bridge.errors import ConfigError, UpstreamError
from bridge.mapping.tables import TARGETS, FieldSpec, MappingTable, ResourceSpec
from bridge.mapping.transforms import REGISTRY, uri_segment
from bridge.model.csapi import Link, Provenance

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][\w.]*)(?:\|(\w+))?\}")
_FILTERS: dict[str, Callable[[Any], str]] = {"seg": uri_segment, "lower": lambda v: str(v).lower(), "str": str}


class MappingError(UpstreamError):
    """A legacy record cannot be mapped (a required member is missing or unusable)."""

    code = "MappingError"


def resolve(ns: Mapping[str, Any], path: str) -> Any:
    """`thing.properties.owner` looked up through mappings and attributes; missing → None."""
    head, *rest = path.split(".")
    value = ns.get(head)
    for part in rest:
        if value is None:
            return None
        value = value.get(part) if isinstance(value, Mapping) else getattr(value, part, None)
    return value


class Mapper:
    """A validated mapping table bound to one source."""

    def __init__(self, table: MappingTable, source: str, name: str = "mapping") -> None:
        self.table = table
        self.source = source
        self.name = name
        self._check()

    def _check(self) -> None:
        for entity, spec in self.table.resources.items():
            allowed = {f.name for f in dataclasses.fields(TARGETS[spec.kind])}
            for field_name, field_spec in spec.fields.items():
                if field_name not in allowed:
                    raise ConfigError(f"{self.name}: {entity}.fields.{field_name} is not a field of {spec.kind}")
                self._check_spec(f"{entity}.fields.{field_name}", field_spec)
            self._check_spec(f"{entity}.id", spec.id)

    def _check_spec(self, where: str, spec: FieldSpec) -> None:
        for _, flt in _PLACEHOLDER.findall(spec.template or ""):
            if flt and flt not in _FILTERS:
                raise ConfigError(
                    f"{self.name}: {where} uses unknown template filter '{flt}' (known: {', '.join(_FILTERS)})"
                )
        for name in spec.transform:
            base = name.split(":", 1)[0]
            if base not in REGISTRY:
                raise ConfigError(
                    f"{self.name}: {where} uses unknown transform '{base}' (known: {', '.join(sorted(REGISTRY))})"
                )
            if base == "lookup" and name.split(":", 1)[-1] not in self.table.lookups:
                raise ConfigError(f"{self.name}: {where} uses unknown lookup '{name.split(':', 1)[-1]}'")

    def lookup(self, name: str) -> Mapping[str, Any]:
        """A lookup table (e.g. observation types → SWE components)."""
        return self.table.lookups.get(name, {})

    def value(self, spec: FieldSpec, ns: Mapping[str, Any], where: str) -> Any:
        """Evaluate one field spec against a namespace."""
        if spec.source is not None:
            value = resolve(ns, spec.source)
        elif spec.template is not None:
            value = _PLACEHOLDER.sub(lambda m: _fill(ns, m.group(1), m.group(2)), spec.template)
        else:
            value = spec.const
        for name in spec.transform:
            base, _, arg = name.partition(":")
            ctx = {
                "source": self.source,
                "arg": arg,
                "lookup_table": self.table.lookups.get(arg, {}),
                "lookups": self.table.lookups,
                "ns": ns,
            }
            value = REGISTRY[base](value, ctx)
        if value is None:
            value = spec.default
        if value is None and spec.required:
            raise MappingError(f"{where}: required value missing")
        return value

    def build(self, entity: str, ns: Mapping[str, Any], *, legacy_id: str, via: str | None = None) -> Any:
        """The CSAPI resource for one legacy entity (raises MappingError naming what is missing)."""
        spec: ResourceSpec = self.table.resources[entity]
        scope = {"source": self.source, **ns}
        values: dict[str, Any] = {}
        for field_name, field_spec in spec.fields.items():
            value = self.value(field_spec, scope, f"{entity} {legacy_id}: {field_name}")
            if value is not None:
                values[field_name] = value
        values["id"] = self.value(spec.id, scope, f"{entity} {legacy_id}: id")
        cls = TARGETS[spec.kind]
        if "provenance" in {f.name for f in dataclasses.fields(cls)}:
            values["provenance"] = Provenance(self.source, entity, legacy_id, via)
        if via and "links" in {f.name for f in dataclasses.fields(cls)}:
            values["links"] = [
                *values.get("links", []),
                Link(href=via, rel="via", title=f"{entity} on the legacy service"),
            ]
        try:
            return cls(**values)
        except TypeError as exc:
            raise MappingError(f"{entity} {legacy_id}: {exc}") from None

    def resource_id(self, entity: str, ns: Mapping[str, Any]) -> str:
        """Only the deterministic local id of an entity (to link resources without building them)."""
        return str(self.value(self.table.resources[entity].id, {"source": self.source, **ns}, f"{entity}.id"))


def _fill(ns: Mapping[str, Any], path: str, flt: str | None) -> str:
    value = resolve(ns, path)
    if value is None:
        raise MappingError(f"template value '{path}' is missing")
    return _FILTERS[flt](value) if flt else str(value)
