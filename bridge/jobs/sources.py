"""The registry of legacy protocols: each source type builds its harvester and its batch mapper."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bridge.errors import ConfigError
from bridge.mapping.batch import BatchMapper
from bridge.mapping.engine import Mapper
from bridge.mapping.tables import load_table
from bridge.settings import SourceConfig
from bridge.sources.base import Harvester
from bridge.sources.http import HttpPolicy, PoliteClient

Builder = Callable[[SourceConfig, PoliteClient], tuple[Harvester, BatchMapper]]
BUILDERS: dict[str, Builder] = {}


def register(kind: str) -> Callable[[Builder], Builder]:
    """Register the builder of a source type (`sta`, `sos`, `sps`)."""

    def add(builder: Builder) -> Builder:
        BUILDERS[kind] = builder
        return builder

    return add


def http_client(source: SourceConfig, **kwargs: Any) -> PoliteClient:
    """The polite HTTP client of one source, from its configured limits."""
    policy = HttpPolicy(
        concurrency=source.concurrency, rate=source.rate, timeout=source.timeout, retries=source.retries
    )
    return PoliteClient(policy, headers=source.headers, **kwargs)


def mapper_for(source: SourceConfig, protocol: str, table: str = "entities") -> Mapper:
    """The validated mapping table of a source (with the deployment's overrides)."""
    return Mapper(load_table(protocol, table, source.mappings), source.name, f"mappings/{protocol}/{table}.yaml")


@register("sta")
def _sta(source: SourceConfig, client: PoliteClient) -> tuple[Harvester, BatchMapper]:
    from bridge.mapping.sta import StaRules
    from bridge.sources.sta.harvest import StaHarvester
    from bridge.sources.sta.reader import StaReaderConfig

    config = StaReaderConfig(page_size=min(source.page_size, 100), data_array_page_size=source.page_size)
    harvester = StaHarvester(source.name, source.url, client, config)
    return harvester, BatchMapper(mapper_for(source, "sta"), StaRules(source.name))


def build_source(source: SourceConfig, transport: Any = None) -> tuple[Harvester, BatchMapper, PoliteClient]:
    """Harvester, mapper and HTTP client of a configured source (ConfigError for an unknown type)."""
    builder = BUILDERS.get(source.type)
    if builder is None:
        raise ConfigError(
            f"source '{source.name}': no harvester for type '{source.type}' (known: {', '.join(BUILDERS)})"
        )
    client = http_client(source, transport=transport)
    harvester, mapper = builder(source, client)
    return harvester, mapper, client
