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
from bridge.sources.http import PoliteClient, source_client

Builder = Callable[[SourceConfig, PoliteClient], tuple[Harvester, BatchMapper]]
BUILDERS: dict[str, Builder] = {}


def register(kind: str) -> Callable[[Builder], Builder]:
    """Register the builder of a source type (`sta`, `sos`, `sps`)."""

    def add(builder: Builder) -> Builder:
        BUILDERS[kind] = builder
        return builder

    return add


def mapper_for(source: SourceConfig, protocol: str, table: str = "entities") -> Mapper:
    """The validated mapping table of a source (with the deployment's overrides)."""
    return Mapper(load_table(protocol, table, source.mappings), source.name, f"mappings/{protocol}/{table}.yaml")


@register("sta")
def _sta(source: SourceConfig, client: PoliteClient) -> tuple[Harvester, BatchMapper]:
    from bridge.mapping.sta import StaRules
    from bridge.sources.sta.harvest import StaHarvester
    from bridge.sources.sta.reader import StaReaderConfig

    # pages up to `page_size` (the harvester probes what the server grants); streams read `concurrency` at a time
    config = StaReaderConfig(page_size=source.page_size, data_array_page_size=source.page_size)
    harvester = StaHarvester(source.name, source.url, client, config, parallel_streams=source.concurrency)
    return harvester, BatchMapper(mapper_for(source, "sta"), StaRules(source.name))


@register("sos")
def _sos(source: SourceConfig, client: PoliteClient) -> tuple[Harvester, BatchMapper]:
    from bridge.mapping.sos2 import SosRules
    from bridge.sources.sos2.harvest import SosHarvester
    from bridge.sources.sos2.harvest_reads import SosHarvestConfig
    from bridge.sources.sos2.windows import duration_us

    try:
        max_window = duration_us(source.max_window) if source.max_window else None
    except ValueError as exc:
        raise ConfigError(f"source '{source.name}': max_window: {exc}") from None
    config = SosHarvestConfig(page_size=source.page_size, max_window_us=max_window, parallel_streams=source.concurrency)
    harvester = SosHarvester(source.name, source.url, client, config)
    return harvester, BatchMapper(mapper_for(source, "sos2"), SosRules(source.name))


@register("sps")
def _sps(source: SourceConfig, client: PoliteClient) -> tuple[Harvester, BatchMapper]:
    from bridge.mapping.sps2 import sps_batch_mapper
    from bridge.mapping.sps2_status import status_table_for
    from bridge.sources.sps2.harvest import SpsHarvester

    # SPS 2.0 cannot list tasks: existing tasks to import come from a `tasks` list in the source
    # configuration when it has one; tasks imported once are refreshed on every later run.
    tasks = list(source.tasks)
    harvester = SpsHarvester(source.name, source.url, client, task_ids=tasks)
    mapper = sps_batch_mapper(mapper_for(source, "sps2"), source.name, status_table_for(source.mappings))
    return harvester, mapper


def build_source(source: SourceConfig, transport: Any = None) -> tuple[Harvester, BatchMapper, PoliteClient]:
    """Harvester, mapper and HTTP client of a configured source (ConfigError for an unknown type)."""
    builder = BUILDERS.get(source.type)
    if builder is None:
        raise ConfigError(
            f"source '{source.name}': no harvester for type '{source.type}' (known: {', '.join(BUILDERS)})"
        )
    client = source_client(source, transport=transport)
    harvester, mapper = builder(source, client)
    return harvester, mapper, client
