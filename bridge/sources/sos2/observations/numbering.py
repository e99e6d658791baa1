"""`seq`: the position of an observation among those of one identity in one response (e.g. a profile's levels).

It keeps each such observation's legacy key apart; numbering is bounded, as it restarts whenever the time changes
(responses are in time order).
"""

from __future__ import annotations

from typing import Any

from bridge.model.legacy.sos2 import Observation
from bridge.model.time import to_us
from bridge.sources.sos2.records import foi_key


class Numbering:
    """`seq` of the records of one response: per identity, counted since the time last changed."""

    def __init__(self) -> None:
        self.time: Any = None
        self.counts: dict[tuple[Any, ...], int] = {}

    def next(self, time: Any, key: tuple[Any, ...]) -> int:
        """The `seq` of one more record at `time` with identity `key`."""
        if time != self.time:
            self.time = time
            self.counts.clear()
        seq = self.counts.get(key, 0)
        self.counts[key] = seq + 1
        return seq

    def __call__(self, obs: Observation) -> int:
        """The `seq` of a decoded observation on its own: identity (feature, end, procedure, property)."""
        extent = obs.phenomenon_time
        return self.next(extent.start, (foi_key(obs), extent.end, obs.procedure, obs.observed_property))

    def streamed(self, obs: Observation) -> int:
        """The `seq` of a decoded observation among the compact rows of its stream: identity (feature, end µs)."""
        start, end = obs.phenomenon_time.start, obs.phenomenon_time.end
        return self.next(None if start is None else to_us(start), (obs.foi, None if end is None else to_us(end)))
