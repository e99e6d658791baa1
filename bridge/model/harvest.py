"""What flows through a harvest: legacy batches from a source, mapped batches to the store.

A harvester (`bridge.sources`) reads one legacy protocol and never maps or stores anything: it yields
`Batch`es of `Unit`s (one legacy entity with the related records its mapping-table entry reads, by name)
and `LegacyObservations` (legacy observations of one stream with the cursor value that is safe to commit
together with them). The mapping (`bridge.mapping`) turns a `Batch` into a `MappedBatch`, which the
harvest sink of the store writes in one transaction.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bridge.model.csapi import Command, CommandResult, CommandStatus, ControlStream, Datastream, Feature
from bridge.model.observations import ObsRow


@dataclass(slots=True)
class Unit:
    """One legacy entity to map: `entity` names its mapping-table entry, `ns` the records it reads."""

    entity: str
    ns: dict[str, Any]
    legacy_id: str
    via: str | None = None


@dataclass(slots=True)
class LegacyObservations:
    """Legacy observations of one stream (a Unit of the same batch or an earlier one).

    `cursor` (µs, or None) is the stream's new high-water mark, committed in the same transaction as the
    rows; streams the server cannot order report it only with the final page of a complete read.
    """

    stream_entity: str
    stream_ns: dict[str, Any]
    stream_key: str  # the cursor key, e.g. "Datastream/42"
    records: list[Any]
    cursor: int | None = None


@dataclass(slots=True)
class Batch:
    """What a harvester yields: entities, observations and the problems met on the way (the run goes on)."""

    units: list[Unit] = field(default_factory=list)
    observations: list[LegacyObservations] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seen_complete: dict[str, set[str]] = field(default_factory=dict)  # entity → every legacy id listed
    learned: dict[str, int] = field(default_factory=dict)  # LEARNED keys → values, stored with the cursors


LEARNED = "learned:"  # prefix of what a harvester learned about a service (kept among the cursors, set not advanced)


@dataclass(slots=True)
class HarvestState:
    """What a harvester needs from earlier runs and from the command line."""

    cursors: dict[str, int]
    since: datetime | None
    until: datetime
    lag_us: int = 0


@dataclass(slots=True)
class StreamRows:
    """Observation rows of one datastream and the cursor to commit with them."""

    datastream_id: str
    rows: list[ObsRow]
    cursor_key: str
    cursor: int | None


Resource = Feature | Datastream | ControlStream


@dataclass(slots=True)
class MappedBatch:
    """A batch ready for the store: resources (dependency order), observations, commands with history."""

    resources: list[Resource] = field(default_factory=list)
    result_kinds: dict[str, str] = field(default_factory=dict)
    observations: list[StreamRows] = field(default_factory=list)
    commands: list[tuple[Command, list[CommandStatus]]] = field(default_factory=list)
    command_results: dict[str, list[CommandResult]] = field(default_factory=dict)  # command id → its results
    errors: list[str] = field(default_factory=list)
    seen: dict[str, set[str]] = field(default_factory=dict)
    entities: dict[str, str] = field(default_factory=dict)  # resource id → legacy entity name
    learned: dict[str, int] = field(default_factory=dict)  # written with the batch (see `Batch.learned`)


@dataclass(slots=True)
class WriteStats:
    """What one stored batch changed: outcomes per (legacy entity, outcome), observations inserted."""

    outcomes: Counter[tuple[str, str]] = field(default_factory=Counter)
    observations: int = 0
    duplicates: int = 0


@dataclass(slots=True)
class RunRecord:
    """A recorded harvest run (times in µs; `report` as the run engine wrote it)."""

    id: str
    source: str
    started: int
    ended: int | None
    status: str
    report: dict[str, Any]


@dataclass(slots=True)
class SourceHealth:
    """How far a source's stored data reaches, and its last finished run (`/metrics`; times in µs)."""

    source: str
    newest_phenomenon: int | None  # the latest phenomenon time stored for the source's datastreams
    last_run: RunRecord | None
