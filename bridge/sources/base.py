"""What a harvester yields to the run engine: batches of legacy records plus cursor movements.

A harvester reads one legacy protocol and never maps or stores anything: it yields `Unit`s (one legacy
entity with the related records the mapping table needs, by name) and `ObservationPage`s (legacy
observations of one stream, with the cursor value that is safe to commit together with them).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


@dataclass(slots=True)
class Unit:
    """One legacy entity to map: `entity` names its mapping-table entry, `ns` the records it reads."""

    entity: str
    ns: dict[str, Any]
    legacy_id: str
    via: str | None = None


@dataclass(slots=True)
class ObservationPage:
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
    observations: list[ObservationPage] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    seen_complete: dict[str, set[str]] = field(default_factory=dict)  # entity → every legacy id listed


@dataclass(slots=True)
class HarvestState:
    """What a harvester needs from earlier runs and from the command line."""

    cursors: dict[str, int]
    since: datetime | None
    until: datetime
    lag_us: int = 0


class Harvester(Protocol):
    """One legacy protocol's reader (STA, SOS, SPS)."""

    name: str

    def batches(self, state: HarvestState) -> AsyncIterator[Batch]:
        """Batches in dependency order (entities before the observations that refer to them)."""
        ...

    def counters(self) -> dict[str, int]:
        """Traffic so far: requests, bytes, retries."""
        ...
