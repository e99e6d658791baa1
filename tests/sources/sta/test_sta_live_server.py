"""StaReader against a REAL SensorThings server (django-ogc-sensorthings 1.2.0 on loopback)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime
from typing import Any

import pytest

from bridge.sources.http import HttpPolicy, PoliteClient
from bridge.sources.sta import StaReader, StaReaderConfig
from tests.sta_server.seed import SeededStream, SeedResult, seed_small

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def seeded(sta_server: str) -> SeedResult:
    return asyncio.run(seed_small(sta_server))


def reader_for(client: PoliteClient, url: str, **config: Any) -> StaReader:
    return StaReader(client, url, StaReaderConfig(**config))


def client() -> PoliteClient:
    return PoliteClient(HttpPolicy(concurrency=4, backoff=0.01, retries=2, timeout=30))


def expected(stream: SeededStream) -> Counter[tuple[datetime, float]]:
    return Counter((o.phenomenon_time, o.result) for o in stream.observations)


async def test_metadata_arrives_exactly_once_with_correct_relations(sta_server: str, seeded: SeedResult) -> None:
    async with client() as http:
        reader = reader_for(http, sta_server)
        root = await reader.service_root()
        assert root.version == "1.1" and root.has("data_array") and not root.has("multi_datastream")
        things = [t async for t in reader.things()]
        locations = [loc async for loc in reader.locations()]
        sensors = [s async for s in reader.sensors()]
        props = [o async for o in reader.observed_properties()]
        streams = [d async for d in reader.datastreams()]
        features = [f async for f in reader.features_of_interest()]
        assert [h async for h in reader.historical_locations()] == []  # the server creates none
        assert [m async for m in reader.multi_datastreams()] == []
        assert [t async for t in reader.tasking_capabilities()] == []
    assert {t.id: t.name for t in things} == seeded.things
    assert {loc.id: loc.name for loc in locations} == seeded.locations
    assert all(loc.geometry and loc.geometry["type"] == "Point" for loc in locations)
    assert {s.id: s.name for s in sensors} == seeded.sensors
    assert {o.id: o.name for o in props} == seeded.observed_properties
    assert {f.id: f.name for f in features} == seeded.features
    got = {(d.id, d.thing_id, d.sensor_id, d.observed_property_id) for d in streams}
    want = {(s.id, s.thing_id, s.sensor_id, s.observed_property_id) for s in seeded.streams}
    assert got == want and len(streams) == 3
    assert reader.expand.state == "broken"  # the server's collection $expand bug was caught
    assert all(d.unit_of_measurement and d.unit_of_measurement.symbol == "°C" for d in streams)


@pytest.mark.parametrize("use_data_array", [True, False], ids=["dataArray", "json"])
async def test_every_observation_arrives_exactly_once(
    sta_server: str, seeded: SeedResult, use_data_array: bool
) -> None:
    async with client() as http:
        reader = reader_for(http, sta_server, use_data_array=use_data_array)
        streams = {d.id: d async for d in reader.datastreams()}
        for seeded_stream in seeded.streams:
            batches = [b async for b in reader.observations(streams[seeded_stream.id], foi=False)]
            observations = [o for b in batches for o in b.observations]
            assert len({o.id for o in observations}) == len(observations)
            got = Counter((o.phenomenon_start, o.result) for o in observations)
            assert got == expected(seeded_stream)
            assert all(
                o.datastream_id == seeded_stream.id and o.result_time == o.phenomenon_start for o in observations
            )
            assert batches[-1].last and not any(b.last for b in batches[:-1])
            assert not batches[-1].ordered  # $orderby=phenomenonTime answers 500 here
            assert batches[-1].high_water == max(o.phenomenon_time for o in seeded_stream.observations)
        assert reader.quirks.orderby == {"phenomenonTime": False}
        assert reader.quirks.data_array is (True if use_data_array else None)


async def test_result_time_window_is_ordered_and_exact(sta_server: str, seeded: SeedResult) -> None:
    target = seeded.streams[0]
    times = sorted(o.phenomenon_time for o in target.observations)
    since, until = times[40], times[160]
    async with client() as http:
        reader = reader_for(http, sta_server, data_array_page_size=50)
        stream = next(d for d in [d async for d in reader.datastreams()] if d.id == target.id)
        batches = [b async for b in reader.observations(stream, since, until, order_field="resultTime", foi=False)]
    observations = [o for b in batches for o in b.observations]
    assert [o.result_time for o in observations] == times[40:160]
    assert all(b.ordered for b in batches) and len(batches) >= 3
    assert [b.high_water for b in batches][-1] == times[159]


async def test_feature_of_interest_ids_are_never_wrong(sta_server: str, seeded: SeedResult) -> None:
    async with client() as http:
        reader = reader_for(http, sta_server, expand_related="auto")
        streams = {d.id: d for d in [d async for d in reader.datastreams(url=None)]}
        reader.expand.state = "unknown"  # forget what the Datastreams listing found out
        alternating = seeded.streams[2]
        batches = [b async for b in reader.observations(streams[alternating.id])]
    observations = [o for b in batches for o in b.observations]
    assert len(observations) == len(alternating.observations)
    truth = {(o.phenomenon_time, o.result): o.foi_id for o in alternating.observations}
    wrong = [o for o in observations if o.foi_id is not None and o.foi_id != truth[(o.phenomenon_start, o.result)]]
    assert wrong == []
    assert reader.expand.state == "broken" and all(o.foi_id is None for o in observations)
