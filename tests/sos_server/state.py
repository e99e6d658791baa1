"""State of the SOS 2.0 test server: offerings, their data, switches, and the requests received (thread-safe)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

SML20 = "http://www.opengis.net/sensorml/2.0"
SML101 = "http://www.opengis.net/sensorML/1.0.1"
NIL = "http://www.opengis.net/def/nil/OGC/0/unknown"
BASE = datetime(2024, 1, 1, tzinfo=UTC)

Row = tuple[datetime, "Foi", float]


@dataclass(frozen=True)
class Foi:
    """A sampling point (lat/lon in degrees)."""

    identifier: str
    name: str
    lat: float
    lon: float
    sampled: str = NIL

    @property
    def gml_id(self) -> str:
        return "".join(c if c.isalnum() else "_" for c in self.identifier)


@dataclass
class OfferingSpec:
    """One offering = one procedure (as on 52°North servers) with its properties, units and features."""

    identifier: str
    procedure: str
    properties: list[str]
    uoms: dict[str, str]
    fois: list[Foi]
    formats: list[str] = field(default_factory=lambda: [SML20, SML101])  # procedureDescriptionFormats it serves
    name: str | None = None
    label: str = "Station"
    description: str = "A test station"
    fail: str | None = None  # exception code every GetObservation of this offering answers with
    waterml: bool = False  # hydrology profile: GetObservation answers WaterML 2.0 only

    @property
    def gml_id(self) -> str:
        return "".join(c if c.isalnum() else "_" for c in self.identifier)


def series(count: int, start: datetime = BASE, step: timedelta = timedelta(minutes=10), scale: float = 0.1,
           offset: float = 0.0) -> list[tuple[datetime, float]]:  # fmt: skip
    """`count` evenly spaced values (deterministic)."""
    return [(start + i * step, round(offset + (i % 97) * scale, 3)) for i in range(count)]


class ServerState:
    """Everything the server answers from; tests change it between (or during) harvests."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.url = ""
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.offerings: list[OfferingSpec] = []
            self.data: dict[tuple[str, str], list[Row]] = {}
            self.size_limit: int | None = None
            self.window_limit: timedelta | None = None  # longer GetObservation/GetResult periods are refused
            self.refused: list[str] = []  # the offering of every request refused as too large
            self.result_retrieval = False
            self.data_availability = False
            self.soap_only: set[str] = set()
            self.delay = 0.0
            self.in_flight = self.max_in_flight = 0  # GetObservation answers being sent at once
            self.requests: list[tuple[str, str, dict[str, str]]] = []
            self.errors: list[str] = []

    def add_offering(self, spec: OfferingSpec, points: dict[str, list[tuple[datetime, float]]] | None = None) -> None:
        """Add an offering; `points` per property are spread over its features in turn."""
        with self.lock:
            self.offerings.append(spec)
            for prop in spec.properties:
                self.data[(spec.identifier, prop)] = []
        for prop, values in (points or {}).items():
            self.add_points(spec.identifier, prop, values)

    def add_points(self, offering: str, prop: str, values: list[tuple[datetime, float]]) -> None:
        """New observations (e.g. for an incremental run), features taken in turn."""
        spec = self.offering(offering)
        with self.lock:
            rows = self.data[(offering, prop)]
            for when, value in values:
                rows.append((when, spec.fois[len(rows) % len(spec.fois)], value))
            rows.sort(key=lambda r: r[0])

    def offering(self, identifier: str) -> OfferingSpec:
        return next(o for o in self.offerings if o.identifier == identifier)

    def by_procedure(self, procedure: str) -> OfferingSpec | None:
        return next((o for o in self.offerings if o.procedure == procedure), None)

    def count(self, operation: str) -> int:
        with self.lock:
            return sum(1 for op, _, _ in self.requests if op == operation)

    def total(self) -> int:
        """Observations held by the server."""
        with self.lock:
            return sum(len(rows) for rows in self.data.values())
