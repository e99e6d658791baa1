"""How observations are read: pages as large as the server grants, features of interest without `$expand` where
counts prove it correct, fallbacks where they do not, streams read concurrently."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import httpx

from bridge.model.harvest import Batch, HarvestState, Unit
from bridge.sources.sta.harvest import StaHarvester
from bridge.sources.sta.reader import StaReader, StaReaderConfig
from bridge.sources.sta.streams import StreamReads
from bridge.sources.sta.windows import WindowPlanner
from tests.sources.sta.fake_data import ROOT, START, FakeData, Quirks

UNTIL = START + timedelta(days=30)
CONFIG = StaReaderConfig(page_size=10_000, data_array_page_size=10_000)


def _state(**cursors: int) -> HarvestState:
    return HarvestState(cursors=dict(cursors), since=None, until=UNTIL)


async def _read(server: FakeData, streams: list[int], rows: int = 5000) -> tuple[list[Batch], Any]:
    """Every batch of the streams' observations, read the way the harvester reads them."""
    async with server.client() as client:
        reader = StaReader(client, ROOT, CONFIG)
        profile = await reader.probe()
        profile.costs_ms.update(await reader.probe_costs(server.stream(streams[0])))
        reads = StreamReads(reader, WindowPlanner(client, rows), profile)
        reads.fois = server.features()
        out = []
        for ds in streams:
            unit = Unit("Datastream", {"stream": ds}, str(ds))
            out += [batch async for batch in reads.batches(server.stream(ds), unit, _state())]
    return out, profile


def _rows(batches: list[Batch], once: bool = True) -> dict[str, str | None]:
    """Observation id → feature id, over every batch (each observation must arrive once, or always the same)."""
    found: dict[str, str | None] = {}
    for batch in batches:
        assert not batch.errors, batch.errors
        for page in batch.observations:
            for obs in page.records:
                assert obs.id not in found or (not once and found[obs.id] == obs.foi_id), f"{obs.id} read twice"
                found[obs.id] = obs.foi_id
    return found


async def _read_multi(server: FakeData, ds: int) -> tuple[list[Batch], Any]:
    async with server.client() as client:
        reader = StaReader(client, ROOT, CONFIG)
        profile = await reader.probe()
        reads = StreamReads(reader, WindowPlanner(client, 5000), profile)
        unit = Unit("MultiDatastream", {"stream": ds}, str(ds))
        return [b async for b in reads.batches(server.multi_stream(ds), unit, _state())], profile


def _truth(server: FakeData) -> dict[str, str | None]:
    return {str(o.id): str(o.foi) for o in server.observations}


def _reads(server: FakeData) -> list[dict[str, str]]:
    """Query options of the observation reads of streams (probes of the Observations collection left out)."""
    return [dict(r.url.params) for r in server.requests if "/Datastreams(" in r.url.path]


async def test_pages_are_as_large_as_the_server_grants() -> None:
    server = FakeData(Quirks(overshoot_at=10_000, data_array=False))  # istSOS4: $top=10000 gives 10,001 rows
    server.add(1, 12_000, [7])
    batches, profile = await _read(server, [1], rows=50_000)
    assert profile.page == {"json": 5000}
    assert any("$top=10000 answered 10001 rows" in note for note in profile.notes)
    assert {r["$top"] for r in _reads(server) if "$count" not in r and r["$top"] not in ("1", "100")} == {"5000"}
    assert _rows(batches) == _truth(server)

    silent = FakeData(Quirks(silent_cap=3000, data_array=False))  # pages end early, saying nothing
    silent.add(1, 12_000, [7])
    batches, profile = await _read(silent, [1], rows=50_000)
    assert profile.page == {"json": 2500} and _rows(batches) == _truth(silent)
    assert any("stopped after 3000 rows without a next link" in note for note in profile.notes)
    probes = [dict(r.url.params) for r in silent.requests if r.url.path == "/v1.1/Observations"]
    assert probes and not any("$count" in p for p in probes)  # no count of the whole collection

    refusing = FakeData(Quirks(json_max_top=100, data_array=False))  # django-ogc-sensorthings: 422 above 100
    refusing.add(1, 250, [7])
    batches, profile = await _read(refusing, [1])
    assert profile.page == {"json": 100} and _rows(batches) == _truth(refusing)


async def test_data_array_pages_without_next_links_are_not_used() -> None:
    server = FakeData(Quirks(data_array_links=False))
    server.add(1, 300, [7])
    batches, profile = await _read(server, [1])
    assert profile.data_array.startswith("not used") and "dataArray" not in profile.page
    assert not any(r.get("$resultFormat") for r in _reads(server))
    assert _rows(batches) == _truth(server)

    paging = FakeData(Quirks(data_array_links=True))
    paging.add(1, 300, [7])
    batches, profile = await _read(paging, [1])
    assert profile.data_array == "used" and _rows(batches) == _truth(paging)
    assert any(r.get("$resultFormat") == "dataArray" for r in _reads(paging))


async def test_features_are_read_one_by_one_when_their_counts_add_up() -> None:
    server = FakeData(Quirks(data_array=False))
    server.add(1, 900, [7])
    server.add(2, 1200, [8, 9, 10])
    batches, profile = await _read(server, [1, 2], rows=500)
    assert _rows(batches) == _truth(server)
    assert profile.strategies == {"per feature": 2}
    reads = [r for r in _reads(server) if r.get("$top") != "1" and r.get("$top") != "100"]
    assert reads and not any("$expand" in r for r in reads)
    assert all("FeatureOfInterest/id eq" in r["$filter"] for r in reads)
    for key in ("Datastream/1", "Datastream/2"):  # windows end one after the other; the last at the run's bound
        cursors = [p.cursor for b in batches for p in b.observations if p.stream_key == key and p.cursor]
        assert cursors == sorted(set(cursors)) and cursors[-1] == int(UNTIL.timestamp() * 1_000_000)


async def test_a_server_that_ignores_the_feature_filter_is_read_with_expand() -> None:
    server = FakeData(Quirks(data_array=False, feature_filter=False))
    server.add(1, 400, [7, 8])
    batches, profile = await _read(server, [1])
    assert profile.strategies == {"expand": 1}
    assert any("do not add up" in note for note in profile.notes)
    assert _rows(batches) == _truth(server)


async def test_features_not_listed_per_stream_are_all_tried() -> None:
    server = FakeData(Quirks(data_array=False, stream_features=False))
    server.add(1, 300, [7, 8])
    server.add(2, 300, [9])
    batches, profile = await _read(server, [1, 2])
    assert profile.strategies == {"per feature": 2}
    assert any("does not list a stream's features" in note for note in profile.notes)
    assert _rows(batches) == _truth(server)


async def test_a_window_that_reads_short_by_feature_is_read_again() -> None:
    server = FakeData(Quirks(data_array=False, hide_in_feature_reads={5, 17}))
    server.add(1, 300, [7, 8])
    batches, profile = await _read(server, [1])
    assert any("window read again" in note for note in profile.notes)
    assert _rows(batches, once=False) == _truth(server)  # the store drops the rows read twice


async def test_a_stream_with_many_features_is_read_the_general_way() -> None:
    server = FakeData(Quirks(data_array=False))
    server.add(1, 2100, list(range(100, 310)), step=timedelta(seconds=10))  # 210 features, 10 rows each
    batches, profile = await _read(server, [1])
    assert profile.strategies == {"expand": 1}
    assert _rows(batches) == _truth(server)


async def test_streams_are_read_concurrently_each_batch_one_stream() -> None:
    server = FakeData(Quirks(data_array=False))
    for ds in (1, 2, 3):
        server.add(ds, 600, [ds * 10])
    busy: dict[str, int] = {"now": 0, "max": 0}

    async def slow(request: httpx.Request) -> httpx.Response:
        busy["now"] += 1
        busy["max"] = max(busy["max"], busy["now"])
        await asyncio.sleep(0.01)
        busy["now"] -= 1
        return server.handle(request)

    client_policy = server.client().policy
    from bridge.sources.http import PoliteClient

    async with PoliteClient(client_policy, transport=httpx.MockTransport(slow)) as client:
        harvester = StaHarvester("t", ROOT, client, StaReaderConfig(page_size=200), parallel_streams=3)
        harvester.profile = await harvester.reader.probe()
        streams = [server.stream(ds) for ds in (1, 2, 3)]
        batches = [b async for b in harvester._observations(streams, {}, [], _state())]
    assert busy["max"] >= 2
    keys = [page.stream_key for b in batches for page in b.observations]
    assert all(len(b.observations) == 1 for b in batches if b.observations)
    first_done = max(i for i, k in enumerate(keys) if k == "Datastream/1")
    assert any(k != "Datastream/1" for k in keys[:first_done]), "the streams were read one after the other"
    assert _rows(batches) == _truth(server)


async def test_a_page_larger_than_its_top_halves_the_page_size() -> None:
    server = FakeData(Quirks(overshoot_at=600, data_array=False))
    server.add(1, 1500, [7])
    async with server.client() as client:
        reader = StaReader(client, ROOT, StaReaderConfig(page_size=1000))  # no probe: the read finds out itself
        pages = [b async for b in reader.observations(server.stream(1), foi=False)]
    assert {o.id for b in pages for o in b.observations} == {str(o.id) for o in server.observations}
    assert reader.quirks.max_top["json"] == 500 and pages[-1].last


async def test_a_window_read_short_is_an_error_and_keeps_its_cursor() -> None:
    server = FakeData(Quirks(data_array=False, feature_filter=False, hide_in_reads={42}))
    server.add(1, 300, [7, 8])
    batches, _ = await _read(server, [1])
    errors = [e for b in batches for e in b.errors]
    assert len(errors) == 1 and "read 299 of the 300 observations the server counted" in errors[0]
    cursors = [p.cursor for b in batches for p in b.observations if p.cursor is not None]
    assert int(UNTIL.timestamp() * 1_000_000) not in cursors  # the next run reads the window again


async def test_a_multi_datastream_is_read_feature_by_feature_too() -> None:
    server = FakeData(Quirks(data_array=False))
    server.add(1, 500, [7])  # a Datastream with the same id: not the MultiDatastream's observations
    server.add(1, 400, [8, 9], multi=True)
    batches, profile = await _read_multi(server, 1)
    assert profile.strategies == {"per feature": 1}
    assert _rows(batches) == {str(o.id): str(o.foi) for o in server.observations if o.multi}
    assert all(p.stream_key == "MultiDatastream/1" for b in batches for p in b.observations)
    first = next(o for b in batches for p in b.observations for o in p.records)
    assert isinstance(first.result, list) and first.multi_datastream_id == "1"
    listed = [dict(r.url.params) for r in server.requests if r.url.path.endswith("/FeaturesOfInterest")]
    assert listed[0]["$filter"] == "Observations/MultiDatastream/id eq 1"
