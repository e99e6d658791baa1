"""Observations in the SQL store, on SQLite and PostgreSQL: batch inserts (COPY on PostgreSQL above 1000 rows),
duplicates dropped by legacy key, server-generated extents, keyset pages, `resultTime=latest` per datastream."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import pytest

from bridge.errors import InvalidParameter, NotFound
from bridge.model.csapi import Datastream, Kind, System
from bridge.model.observations import ObsRow
from bridge.model.query import IdList, ObservationQuery, TimeFilter
from bridge.model.time import from_us
from bridge.store.sql.store import SqlStore

T0 = 1_700_000_000_000_000  # µs
SCHEMA = {
    "obsFormat": "application/json",
    "resultSchema": {"name": "t", "type": "Quantity", "definition": "urn:x:t", "label": "T", "uom": {"code": "Cel"}},
}


async def _datastream(store: SqlStore, name: str, system_uid: str = "urn:x-store:sys") -> str:
    system_id = await store.find_feature_uid(Kind.SYSTEM, system_uid)
    if system_id is None:
        system_id = (await store.create_feature(System(uid=system_uid, name="S"))).id
    ds = await store.create_stream(Datastream(system_id=system_id, name=name, schema=SCHEMA), "num")
    return ds.id


def _rows(times: Sequence[tuple[int, int]], key_base: int | None = None) -> list[ObsRow]:
    """Rows from (phenomenon offset s, result offset s); value = index."""
    return [
        ObsRow(
            T0 + p * 1_000_000,
            T0 + r * 1_000_000,
            None,
            float(i),
            None,
            None,
            None if key_base is None else key_base + i,
        )
        for i, (p, r) in enumerate(times)
    ]


async def _all(store: SqlStore, query: ObservationQuery) -> list[Sequence[Any]]:
    """Every row of a query, page after page (following the keyset tokens)."""
    rows: list[Sequence[Any]] = []
    while True:
        page = await store.open_observations(query)
        rows += [row async for batch in page.stream for row in batch]
        if page.next_token is None:
            return rows
        query.token = page.next_token


async def test_large_batches_are_inserted_whole_and_paged_in_phenomenon_time_order(any_store: SqlStore) -> None:
    ds_id = await _datastream(any_store, "big")
    times = [(i // 3, 10_000 - i) for i in range(2500)]  # ties in phenomenon time, resultTime decreasing
    random.Random(3).shuffle(times)
    assert await any_store.insert_observations(ds_id, _rows(times), want_ids=False) == 2500  # a count: COPY on PG
    rows = await _all(any_store, ObservationQuery(datastream_id=ds_id, limit=1000))
    assert len(rows) == 2500 and len({r.pk for r in rows}) == 2500
    keys = [(r.phenomenon_time, r.pk) for r in rows]
    assert keys == sorted(keys)
    ds = await any_store.get_stream(Kind.DATASTREAM, ds_id)
    assert isinstance(ds, Datastream) and ds.phenomenon_time and ds.result_time
    assert ds.phenomenon_time.start == from_us(T0) and ds.phenomenon_time.end == from_us(T0 + 833_000_000)
    assert ds.result_time.start == from_us(T0 + 7_501_000_000) and ds.result_time.end == from_us(T0 + 10_000_000_000)


async def test_batches_with_ids_return_them_in_the_order_of_the_rows(any_store: SqlStore) -> None:
    ds_id = await _datastream(any_store, "with-ids")
    times = [(2500 - i, i) for i in range(2500)]  # more than one chunk of RETURNING
    ids = await any_store.insert_observations(ds_id, _rows(times), want_ids=True)
    assert isinstance(ids, list) and len(set(ids)) == 2500
    for i in (0, 999, 1000, 2499):
        assert (await any_store.get_observation(ids[i]))[0][2] == T0 + (2500 - i) * 1_000_000


async def test_small_batches_return_the_new_ids_in_order(any_store: SqlStore) -> None:
    ds_id = await _datastream(any_store, "small")
    ids = await any_store.insert_observations(ds_id, _rows([(5, 5), (1, 1), (3, 3)]), want_ids=True)
    assert isinstance(ids, list) and len(ids) == 3
    values = [(await any_store.get_observation(i))[0][5] for i in ids]
    assert values == [0.0, 1.0, 2.0]
    assert await any_store.insert_observations(ds_id, _rows([(7, 7)]), want_ids=False) == 1
    with pytest.raises(NotFound):
        await any_store.insert_observations("nope", _rows([(1, 1)]), want_ids=True)


async def test_duplicates_are_dropped_by_legacy_key(any_store: SqlStore) -> None:
    ds_id = await _datastream(any_store, "harvested")
    other = await _datastream(any_store, "other")
    obs = any_store.observations
    first = _rows([(i, i) for i in range(1500)], key_base=0)
    second = _rows([(i, i) for i in range(1000, 2500)], key_base=1000)  # 500 already stored
    async with any_store.engine.begin() as conn:
        ds_pk = await obs.ds_pk(conn, ds_id)
        assert await obs.insert_rows(conn, ds_pk, first, dedupe=True) == 1500
    async with any_store.engine.begin() as conn:
        assert await obs.insert_rows(conn, ds_pk, second, dedupe=True) == 1000
        assert await obs.insert_rows(conn, ds_pk, second[:10], dedupe=True) == 0
        other_pk = await obs.ds_pk(conn, other)
        assert await obs.insert_rows(conn, other_pk, second[:10], dedupe=True) == 10  # per datastream
    assert len(await _all(any_store, ObservationQuery(datastream_id=ds_id, limit=10_000))) == 2500
    assert len(await _all(any_store, ObservationQuery(datastream_id=other, limit=10_000))) == 10


async def test_extents_are_recomputed_after_replacement_and_deletion(any_store: SqlStore) -> None:
    ds_id = await _datastream(any_store, "edited")
    ids = await any_store.insert_observations(ds_id, _rows([(0, 0), (10, 20), (20, 40)]), want_ids=True)
    assert isinstance(ids, list)
    await any_store.delete_observation(ids[2])
    ds = await any_store.get_stream(Kind.DATASTREAM, ds_id)
    assert isinstance(ds, Datastream) and ds.phenomenon_time and ds.result_time
    assert ds.phenomenon_time.end == from_us(T0 + 10_000_000) and ds.result_time.end == from_us(T0 + 20_000_000)
    await any_store.replace_observation(ids[0], _rows([(-5, 100)])[0])
    ds = await any_store.get_stream(Kind.DATASTREAM, ds_id)
    assert isinstance(ds, Datastream) and ds.phenomenon_time and ds.result_time
    assert ds.phenomenon_time.start == from_us(T0 - 5_000_000) and ds.result_time.end == from_us(T0 + 100_000_000)
    await any_store.delete_observation(ids[0])
    await any_store.delete_observation(ids[1])
    ds = await any_store.get_stream(Kind.DATASTREAM, ds_id)
    assert isinstance(ds, Datastream) and ds.phenomenon_time is None and ds.result_time is None


async def test_result_time_latest_is_per_datastream(any_store: SqlStore) -> None:
    a = await _datastream(any_store, "a")
    b = await _datastream(any_store, "b", "urn:x-store:sys2")
    await any_store.insert_observations(a, _rows([(0, 0), (1, 50), (2, 50), (3, 10)]), want_ids=False)
    await any_store.insert_observations(b, _rows([(0, 5), (1, 7)]), want_ids=False)
    await _datastream(any_store, "empty")
    latest = TimeFilter(None, None, latest=True)
    everywhere = await _all(any_store, ObservationQuery(result_time=latest, limit=100))
    assert sorted((r.result_time - T0) // 1_000_000 for r in everywhere) == [7, 50, 50]
    only_a = await _all(any_store, ObservationQuery(datastream_id=a, result_time=latest, limit=100))
    assert [r.num for r in only_a] == [1.0, 2.0]  # phenomenon time order
    by_list = await _all(any_store, ObservationQuery(datastreams=IdList(local=(b,)), result_time=latest, limit=100))
    assert [r.num for r in by_list] == [1.0]
    combined = ObservationQuery(result_time=latest, phenomenon_time=TimeFilter(T0 + 2_000_000, None), limit=100)
    assert [r.num for r in await _all(any_store, combined)] == [2.0]


async def test_forged_page_tokens_are_parameter_errors(any_store: SqlStore) -> None:
    ds_id = await _datastream(any_store, "tokens")
    for token in ("eyJrIjoiYSJ9", "eyJrIjoxZTMwMH0", "eyJ0IjpbXSwiayI6MX0", "bm9wZQ"):
        with pytest.raises(InvalidParameter):
            await _all(any_store, ObservationQuery(datastream_id=ds_id, token=token, limit=10))


async def test_bulk_text_results_survive_every_character(any_store: SqlStore) -> None:
    """The COPY text path (PostgreSQL) escapes tabs, newlines, backslashes; SQLite binds them as they are."""
    from bridge.model.csapi import Datastream, System

    system = await any_store.create_feature(System(uid="urn:x-test:copy", name="copy"))
    result = {"type": "Text", "name": "note", "label": "Note", "definition": "http://x/note"}
    schema = {"obsFormat": "application/json", "resultSchema": result}
    ds = await any_store.create_stream(Datastream(system_id=system.id, name="notes", schema=schema), "text")
    tricky = ["tab\there", "line\nbreak", "back\\slash", "cr\rlf", "unicode ✓ °C", "\\N", ""]
    rows = [ObsRow(i * 1_000_000, i * 1_000_000, None, None, tricky[i % len(tricky)], None, None) for i in range(1500)]
    assert await any_store.insert_observations(ds.id, rows, want_ids=False) == 1500
    from bridge.model.query import ObservationQuery

    page = await any_store.open_observations(ObservationQuery(limit=1500, datastream_id=ds.id))
    texts = [row.txt async for batch in page.stream for row in batch]
    assert texts == [tricky[i % len(tricky)] for i in range(1500)]
