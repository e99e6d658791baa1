"""Typed query objects passed from the API to the store (one per resource family)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from bridge.model.csapi import Kind

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class IdList:
    """An OGC ID_List: either local ids or UIDs (URIs), never mixed. UIDs may end with `*` (prefix)."""

    local: tuple[str, ...] = ()
    uids: tuple[str, ...] = ()

    @property
    def exact_uids(self) -> tuple[str, ...]:
        """The UIDs to match exactly (those without a trailing `*`)."""
        return tuple(u for u in self.uids if not u.endswith("*"))

    @property
    def uid_prefixes(self) -> tuple[str, ...]:
        """The UID prefixes to match, from the entries ending with `*` (the `*` removed)."""
        return tuple(u[:-1] for u in self.uids if u.endswith("*"))

    def values(self) -> tuple[str, ...]:
        """Every entry as one tuple: the local ids, then the UIDs."""
        return self.local + self.uids


@dataclass(frozen=True, slots=True)
class TimeFilter:
    """A `datetime`-style filter in store microseconds; None bounds are open (`..`).

    `latest` selects only the newest value (Part 2 `resultTime=latest`).
    """

    start: int | None
    end: int | None
    latest: bool = False

    def intersects(self, start: int | None, end: int | None) -> bool:
        """Whether [start, end] (None = open) intersects this filter."""
        lo = self.start if self.start is not None else -(2**62)
        hi = self.end if self.end is not None else 2**62
        s = start if start is not None else -(2**62)
        e = end if end is not None else 2**62
        return s <= hi and e >= lo


@dataclass(frozen=True, slots=True)
class BBox:
    """A `bbox` filter in CRS84 (lon/lat); `minx > maxx` crosses the antimeridian."""

    minx: float
    miny: float
    maxx: float
    maxy: float

    def boxes(self) -> list[tuple[float, float, float, float]]:
        """One box, or two when the bbox crosses the antimeridian (minx > maxx)."""
        if self.minx <= self.maxx:
            return [(self.minx, self.miny, self.maxx, self.maxy)]
        return [(self.minx, self.miny, 180.0, self.maxy), (-180.0, self.miny, self.maxx, self.maxy)]


@dataclass(slots=True)
class FeatureQuery:
    """Filters of a Part 1 resources endpoint (`/systems`, nested lists, collection items)."""

    kind: Kind
    limit: int = 10
    token: str | None = None
    ids: IdList | None = None
    q: tuple[str, ...] = ()
    bbox: BBox | None = None
    geom: Any = None  # shapely geometry
    datetime: TimeFilter | None = None
    parent: IdList | None = None
    children_of: str | None = None  # nested /systems/{id}/subsystems, /deployments/{id}/subdeployments
    recursive: bool = False
    top_level_only: bool = False
    of_system: str | None = None  # /systems/{id}/samplingFeatures, /systems/{id}/deployments
    procedure: IdList | None = None
    foi: IdList | None = None
    observed_property: IdList | None = None
    controlled_property: IdList | None = None
    system: IdList | None = None
    base_property: IdList | None = None
    object_type: IdList | None = None
    collection: str | None = None
    source: str | None = None


# The FeatureQuery attribute of each association filter, by its query parameter name.
FILTER_ATTRIBUTES = {
    "parent": "parent",
    "procedure": "procedure",
    "system": "system",
    "foi": "foi",
    "observedProperty": "observed_property",
    "controlledProperty": "controlled_property",
    "baseProperty": "base_property",
    "objectType": "object_type",
}


@dataclass(slots=True)
class Page(Generic[T]):
    """One page of results: items, opaque keyset tokens, and the total when known."""

    items: list[T]
    next_token: str | None = None
    prev_token: str | None = None
    matched: int | None = None


@dataclass(slots=True)
class StreamQuery:
    """Filters of `/datastreams` and `/controlstreams` (and the nested lists)."""

    kind: Kind
    limit: int = 10
    token: str | None = None
    ids: IdList | None = None
    q: tuple[str, ...] = ()
    datetime: TimeFilter | None = None  # on validTime
    phenomenon_time: TimeFilter | None = None  # datastreams
    result_time: TimeFilter | None = None  # datastreams
    issue_time: TimeFilter | None = None  # control streams
    execution_time: TimeFilter | None = None  # control streams
    properties: IdList | None = None  # observedProperty / controlledProperty
    foi: IdList | None = None
    system: IdList | None = None
    of_system: str | None = None  # /systems/{id}/datastreams (subsystems included, Req 13)
    of_deployment: str | None = None
    source: str | None = None


@dataclass(slots=True)
class ObservationQuery:
    """Filters of `/observations` and `/datastreams/{id}/observations`."""

    limit: int = 10
    token: str | None = None
    datastream_id: str | None = None
    datastreams: IdList | None = None
    system: IdList | None = None
    ids: IdList | None = None
    phenomenon_time: TimeFilter | None = None
    result_time: TimeFilter | None = None
    foi: IdList | None = None
    observed_property: IdList | None = None


@dataclass(slots=True)
class CommandQuery:
    """Filters of `/commands`, `/controlstreams/{id}/commands` and feasibility lists."""

    limit: int = 10
    token: str | None = None
    controlstream_id: str | None = None
    controlstreams: IdList | None = None
    system: IdList | None = None
    ids: IdList | None = None
    issue_time: TimeFilter | None = None
    execution_time: TimeFilter | None = None
    status: tuple[str, ...] = ()
    sender: tuple[str, ...] = ()
    foi: IdList | None = None
    controlled_property: IdList | None = None
    feasibility: bool = False


@dataclass(slots=True)
class StatusQuery:
    """Filters of `/commands/{id}/status`."""

    command_id: str
    limit: int = 10
    token: str | None = None
    status: tuple[str, ...] = ()
    report_time: TimeFilter | None = None


@dataclass(slots=True)
class EventQuery:
    """Filters of `/systemEvents` and `/systems/{id}/events`."""

    limit: int = 10
    token: str | None = None
    ids: IdList | None = None
    q: tuple[str, ...] = ()
    system_id: str | None = None
    system: IdList | None = None
    event_type: tuple[str, ...] = ()
    datetime: TimeFilter | None = None
