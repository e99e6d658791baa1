"""Seed istSOS4 THROUGH ITS OWN API and remember what was created (ids, features of interest per row).

Observations go in with istSOS4's `POST /BulkObservations` (its own extension: about 10,000 rows/s, at most
3,000 rows a request here because the server binds one query argument per cell and PostgreSQL allows 32,767).
That call gives each row the feature of interest generated from the Thing's current Location, so a stream
with several features is seeded chunk by chunk, linking its Thing to the next Location before each chunk:
what a moving platform's history looks like.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

OM_MEASUREMENT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"
BULK_ROWS = 3000
START = datetime(2024, 1, 1, tzinfo=UTC)


@dataclass
class StreamPlan:
    """One Datastream to seed: `count` rows every `step` from `start`, feature changing every `chunk` rows."""

    name: str
    count: int
    step: timedelta = timedelta(minutes=1)
    start: datetime = START
    chunk: int = BULK_ROWS


@dataclass
class ThingPlan:
    """A Thing with its Locations (each becomes a feature of interest) and its Datastreams."""

    name: str
    places: list[tuple[float, float]]
    streams: list[StreamPlan]


@dataclass
class SeededStream:
    """A seeded Datastream: its id and, per row in time order, the name of its feature's Location."""

    id: int
    name: str
    thing: str
    times: list[datetime] = field(default_factory=list)
    places: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.times)


@dataclass
class Seeded:
    """What a seeding created; `features` maps Location names to their generated FeatureOfInterest ids."""

    things: dict[str, int] = field(default_factory=dict)
    streams: list[SeededStream] = field(default_factory=list)
    features: dict[str, int] = field(default_factory=dict)

    @property
    def observation_count(self) -> int:
        return sum(s.count for s in self.streams)

    def stream(self, name: str) -> SeededStream:
        return next(s for s in self.streams if s.name == name)


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


async def create(client: httpx.AsyncClient, entity_set: str, body: dict[str, Any]) -> int:
    """POST one entity; its id from the `Location` header `…Set(id)`."""
    response = await client.post(entity_set, json=body)
    if response.status_code >= 400:
        raise RuntimeError(f"POST {entity_set}: HTTP {response.status_code} {response.text[:300]}")
    location = response.headers["Location"]
    return int(location[location.rindex("(") + 1 : location.rindex(")")])


def _location(name: str, lon: float, lat: float) -> dict[str, Any]:
    point = {"type": "Point", "coordinates": [lon, lat]}
    return {"name": name, "description": "seeded", "encodingType": "application/geo+json", "location": point}


async def _bulk(client: httpx.AsyncClient, stream: int, rows: list[list[Any]]) -> None:
    components = ["result", "phenomenonTime", "resultTime"]
    body = [{"Datastream": {"@iot.id": stream}, "components": components, "dataArray": rows}]
    response = await client.post("BulkObservations", json=body, timeout=300)
    if response.status_code >= 400:
        raise RuntimeError(f"BulkObservations: HTTP {response.status_code} {response.text[:300]}")


async def _seed_stream(
    client: httpx.AsyncClient, thing_id: int, locations: list[tuple[int, str]], ds: SeededStream, plan: StreamPlan
) -> None:
    base = float(len(plan.name))
    for offset in range(0, plan.count, plan.chunk):
        location_id, place = locations[(offset // plan.chunk) % len(locations)]
        if len(locations) > 1:
            relink = await client.patch(f"Things({thing_id})", json={"Locations": [{"@iot.id": location_id}]})
            relink.raise_for_status()
        times = [plan.start + i * plan.step for i in range(offset, min(plan.count, offset + plan.chunk))]
        rows = [[round(base + (offset + i) * 0.01, 2), _iso(t), _iso(t)] for i, t in enumerate(times)]
        for start in range(0, len(rows), BULK_ROWS):
            await _bulk(client, ds.id, rows[start : start + BULK_ROWS])
        ds.times += times
        ds.places += [place] * len(times)


async def seed(base_url: str, things: list[ThingPlan], tag: str = "") -> Seeded:
    """Create the planned Things, Locations, Sensors, properties, Datastreams and observations."""
    out = Seeded()
    async with httpx.AsyncClient(base_url=base_url.rstrip("/") + "/", timeout=120) as client:
        logger = {"name": f"{tag}logger", "description": "d", "encodingType": "text/html", "metadata": "m"}
        sensor = await create(client, "Sensors", logger)
        for thing in things:
            name = f"{tag}{thing.name}"
            places = [(f"{name} place {i}", lon, lat) for i, (lon, lat) in enumerate(thing.places)]
            body = {"name": name, "description": "seeded", "Locations": [_location(*places[0])]}
            thing_id = out.things[name] = await create(client, "Things", body)
            first = (await client.get(f"Things({thing_id})/Locations")).json()["value"][0]["@iot.id"]
            locations = [(int(first), places[0][0])]
            for place in places[1:]:
                locations.append((await create(client, "Locations", _location(*place)), place[0]))
            for plan in thing.streams:
                prop = await create(
                    client,
                    "ObservedProperties",
                    {"name": f"{tag}{plan.name}", "description": "d", "definition": f"http://example.org/{plan.name}"},
                )
                body = {
                    "name": f"{tag}{plan.name}",
                    "description": "seeded",
                    "observationType": OM_MEASUREMENT,
                    "unitOfMeasurement": {"name": "degree Celsius", "symbol": "°C", "definition": "ucum:Cel"},
                    "Thing": {"@iot.id": thing_id},
                    "Sensor": {"@iot.id": sensor},
                    "ObservedProperty": {"@iot.id": prop},
                }
                ds = SeededStream(await create(client, "Datastreams", body), f"{tag}{plan.name}", name)
                out.streams.append(ds)
                await _seed_stream(client, thing_id, locations, ds, plan)
        fois = (await client.get("FeaturesOfInterest", params={"$top": "5000", "$select": "id,name"})).json()["value"]
        out.features = {f["name"]: int(f["@iot.id"]) for f in fois}
    return out


async def clear(base_url: str) -> None:
    """Delete every Thing, Location, feature, Sensor and property (observations go with them: ON DELETE CASCADE)."""
    async with httpx.AsyncClient(base_url=base_url.rstrip("/") + "/", timeout=300) as client:
        for entity_set in ("Things", "Locations", "FeaturesOfInterest", "Sensors", "ObservedProperties"):
            while True:
                items = (await client.get(entity_set, params={"$top": "1000", "$select": "id"})).json()["value"]
                if not items:
                    break
                for item in items:
                    (await client.delete(f"{entity_set}({item['@iot.id']})")).raise_for_status()


def bench_plan(total: int) -> list[ThingPlan]:
    """The benchmark's data: 6 Datastreams sharing `total` rows; two of them move between features of interest."""
    each = total // 6
    return [
        ThingPlan(
            "Station Essen",
            [(6.97, 51.40)],
            [StreamPlan("air temperature", each), StreamPlan("relative humidity", each)],
        ),
        ThingPlan("Station Bochum", [(7.22, 51.48)], [StreamPlan("air pressure", each)]),
        ThingPlan("Gauge Ruhr", [(7.01, 51.43)], [StreamPlan("water level", each)]),
        ThingPlan(
            "Buoy Baldeneysee",
            [(7.00, 51.40), (7.02, 51.405), (7.04, 51.41)],
            [StreamPlan("water temperature", each, chunk=1000)],
        ),
        ThingPlan(
            "Survey boat",
            [(6.9 + i * 0.02, 51.38 + i * 0.01) for i in range(5)],
            [StreamPlan("turbidity", total - 5 * each, step=timedelta(seconds=30), chunk=500)],
        ),
    ]
