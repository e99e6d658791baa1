"""Seed a SensorThings server THROUGH ITS OWN API, and remember what was created.

Entities are created with POST on the entity sets (Things with a deep-inserted Location);
observations either one by one (`POST /Observations` with `"Datastream": {"@iot.id": ...}`,
since `POST Datastreams('id')/Observations` answers 405 on django-ogc-sensorthings) or in bulk
with the dataArray extension's `POST /CreateObservations` (at most 10,000 rows per request).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

OM_MEASUREMENT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"
BULK_LIMIT = 10_000


@dataclass
class SeededObservation:
    phenomenon_time: datetime
    result: float
    foi_id: str | None = None


@dataclass
class SeededStream:
    id: str
    name: str
    thing_id: str
    sensor_id: str
    observed_property_id: str
    observations: list[SeededObservation] = field(default_factory=list)


@dataclass
class SeedResult:
    things: dict[str, str] = field(default_factory=dict)  # id -> name
    locations: dict[str, str] = field(default_factory=dict)
    sensors: dict[str, str] = field(default_factory=dict)
    observed_properties: dict[str, str] = field(default_factory=dict)
    features: dict[str, str] = field(default_factory=dict)
    streams: list[SeededStream] = field(default_factory=list)

    @property
    def observation_count(self) -> int:
        return sum(len(s.observations) for s in self.streams)


def id_from_location(response: httpx.Response) -> str:
    """The new entity's id from the `Location` header `...Set('id')` (test helper only)."""
    response.raise_for_status()
    location = response.headers["Location"]
    return location[location.rindex("(") + 1 : location.rindex(")")].strip("'")


async def create(client: httpx.AsyncClient, entity_set: str, body: dict[str, Any]) -> str:
    """POST one entity and return its id."""
    return id_from_location(await client.post(entity_set, json=body))


async def create_thing(client: httpx.AsyncClient, result: SeedResult, name: str, lon: float, lat: float) -> str:
    """A Thing with one deep-inserted Location."""
    body = {
        "name": name,
        "description": f"test thing {name}",
        "properties": {"seed": True},
        "Locations": [
            {
                "name": f"{name} location",
                "description": "seeded",
                "encodingType": "application/geo+json",
                "location": {"type": "Point", "coordinates": [lon, lat]},
            }
        ],
    }
    thing_id = await create(client, "Things", body)
    result.things[thing_id] = name
    locations = (await client.get(f"Things('{thing_id}')/Locations")).json()["value"]
    for loc in locations:
        result.locations[loc["@iot.id"]] = loc["name"]
    return thing_id


async def create_stream(
    client: httpx.AsyncClient, result: SeedResult, name: str, thing: str, sensor: str, prop: str
) -> SeededStream:
    """A Datastream (OM_Measurement) linked by @iot.id to existing entities."""
    body = {
        "name": name,
        "description": f"test datastream {name}",
        "observationType": OM_MEASUREMENT,
        "unitOfMeasurement": {
            "name": "degree Celsius",
            "symbol": "°C",
            "definition": "http://qudt.org/vocab/unit/DEG_C",
        },
        "Thing": {"@iot.id": thing},
        "Sensor": {"@iot.id": sensor},
        "ObservedProperty": {"@iot.id": prop},
    }
    stream = SeededStream(await create(client, "Datastreams", body), name, thing, sensor, prop)
    result.streams.append(stream)
    return stream


def series(start: datetime, count: int, step: timedelta, base: float) -> list[SeededObservation]:
    """`count` observations every `step` with distinct values."""
    return [SeededObservation(start + i * step, round(base + i * 0.25, 2)) for i in range(count)]


async def post_observations(
    client: httpx.AsyncClient, stream: SeededStream, rows: list[SeededObservation], *, concurrency: int = 1
) -> None:
    """One `POST /Observations` per row (optionally with an explicit FeatureOfInterest)."""
    gate = asyncio.Semaphore(concurrency)

    async def one(row: SeededObservation) -> None:
        body: dict[str, Any] = {
            "phenomenonTime": row.phenomenon_time.isoformat().replace("+00:00", "Z"),
            "result": row.result,
            "Datastream": {"@iot.id": stream.id},
        }
        if row.foi_id:
            body["FeatureOfInterest"] = {"@iot.id": row.foi_id}
        async with gate:
            (await client.post("Observations", json=body)).raise_for_status()

    await asyncio.gather(*(one(r) for r in rows))
    stream.observations.extend(rows)


async def bulk_observations(
    client: httpx.AsyncClient, stream: SeededStream, rows: list[SeededObservation], *, chunk: int = BULK_LIMIT
) -> None:
    """`POST /CreateObservations` (dataArray) in chunks; the server answers one selfLink or "error" per row."""
    for offset in range(0, len(rows), chunk):
        part = rows[offset : offset + chunk]
        components = ["phenomenonTime", "result"]
        data = [[r.phenomenon_time.isoformat().replace("+00:00", "Z"), r.result] for r in part]
        if any(r.foi_id for r in part):
            components.append("FeatureOfInterest/id")
            for values, r in zip(data, part, strict=True):
                values.append(r.foi_id)
        body = [{"Datastream": {"@iot.id": stream.id}, "components": components, "dataArray": data}]
        response = await client.post("CreateObservations", json=body, timeout=300)
        response.raise_for_status()
        answers = response.json()
        if len(answers) != len(part) or "error" in answers:
            raise RuntimeError(f"CreateObservations rejected rows: {answers[:3]}")
    stream.observations.extend(rows)


async def seed_small(base_url: str, *, per_stream: tuple[int, int, int] = (250, 150, 200)) -> SeedResult:
    """2 Things, 2 Sensors, 3 ObservedProperties, 3 Datastreams, ~600 observations.

    Datastreams use different Sensors/ObservedProperties/Things (so a broken collection `$expand`
    shows), and the third one alternates two FeaturesOfInterest (so a broken FoI `$expand` shows).
    """
    result = SeedResult()
    start = datetime(2024, 3, 1, tzinfo=UTC)
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        thing_a = await create_thing(client, result, "Station A", 7.6, 51.9)
        thing_b = await create_thing(client, result, "Station B", 8.1, 52.3)
        sensors = []
        for name in ("Thermometer", "Hygrometer"):
            body = {"name": name, "description": name, "encodingType": "application/pdf", "metadata": "http://x/y"}
            sensors.append(await create(client, "Sensors", body))
            result.sensors[sensors[-1]] = name
        props = []
        for name in ("air temperature", "dew point", "water temperature"):
            body = {"name": name, "description": name, "definition": f"http://example.org/{name.replace(' ', '_')}"}
            props.append(await create(client, "ObservedProperties", body))
            result.observed_properties[props[-1]] = name
        s1 = await create_stream(client, result, "A air temperature", thing_a, sensors[0], props[0])
        s2 = await create_stream(client, result, "A dew point", thing_a, sensors[1], props[1])
        s3 = await create_stream(client, result, "B water temperature", thing_b, sensors[0], props[2])
        await bulk_observations(client, s1, series(start, per_stream[0], timedelta(minutes=10), 10.0))
        await post_observations(client, s2, series(start, per_stream[1], timedelta(minutes=15), -3.0))
        features = []
        for i, (lon, lat) in enumerate(((8.1, 52.3), (8.2, 52.4))):
            body = {
                "name": f"pond {i}",
                "description": "seeded feature",
                "encodingType": "application/geo+json",
                "feature": {"type": "Point", "coordinates": [lon, lat]},
            }
            features.append(await create(client, "FeaturesOfInterest", body))
            result.features[features[-1]] = body["name"]
        rows = series(start, per_stream[2], timedelta(minutes=5), 4.0)
        for i, row in enumerate(rows):
            row.foi_id = features[i % 2]
        await bulk_observations(client, s3, rows)
        all_features = (await client.get("FeaturesOfInterest", params={"$top": "100"})).json()["value"]
        result.features.update({f["@iot.id"]: f["name"] for f in all_features})
    return result
