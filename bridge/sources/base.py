"""The harvester protocol: what the run engine asks of a legacy protocol's reader.

A harvester reads one legacy protocol and never maps or stores anything: it yields `Batch`es
(`bridge.model.harvest`) of legacy records plus the cursor movements that are safe to commit with them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

from bridge.model.harvest import Batch, HarvestState


class Harvester(Protocol):
    """One legacy protocol's reader (STA, SOS, SPS)."""

    name: str

    def batches(self, state: HarvestState) -> AsyncIterator[Batch]:
        """Batches in dependency order (entities before the observations that refer to them)."""
        ...

    def counters(self) -> dict[str, int]:
        """Traffic so far: requests, bytes, retries."""
        ...

    def reading(self) -> dict[str, Any]:
        """How the service was read (what probing found, what was learned) for the run report; {} when nothing."""
        ...
