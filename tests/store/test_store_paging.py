"""Keyset paging in the SQL store: page N runs the same statements as page 1 plus `pk >` (no OFFSET)."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event

from bridge.errors import InvalidParameter
from bridge.model.csapi import Kind, System
from bridge.model.query import FeatureQuery, IdList
from bridge.store.sql.store import SqlStore
from bridge.store.tokens import encode_token


@contextmanager
def statements(store: SqlStore) -> Iterator[list[str]]:
    """The SQL text of every statement the store executes inside the block; SQLite's `OFFSET ?`
    (SQLAlchemy always renders one after LIMIT) is rewritten with its value."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        sql = " ".join(statement.split())
        if sql.endswith("OFFSET ?"):
            sql = sql[: -len("?")] + str(parameters[-1])
        seen.append(sql)

    event.listen(store.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(store.engine.sync_engine, "before_cursor_execute", record)


def shape(sql: str) -> str:
    """A statement without its keyset boundary and bound-parameter names, to compare query shapes."""
    sql = re.sub(r" AND systems\.pk [<>] \S+", "", sql)
    return re.sub(r"(%\(\w+\)s|\?|__\[POSTCOMPILE_\w+\])(::\w+)?", "?", sql)


async def fill(store: SqlStore, count: int) -> None:
    for i in range(count):
        name = f"System {i} {'even' if i % 2 == 0 else 'odd'}"
        await store.create_feature(System(uid=f"urn:x:{i:04d}", name=name))


async def test_page_n_costs_the_same_query_as_page_1(any_store: SqlStore) -> None:
    await fill(any_store, 60)
    query = FeatureQuery(kind=Kind.SYSTEM, limit=5, q=("even",))
    with statements(any_store) as first:
        page = await any_store.list_features(query)
    pages = [page]
    while page.next_token:
        query.token = page.next_token
        with statements(any_store) as later:
            page = await any_store.list_features(query)
        pages.append(page)
        assert len(later) == len(first)
        assert [shape(s) for s in later] == [shape(s) for s in first]
        scan = next(s for s in later if "ORDER BY systems.pk" in s)
        assert "systems.pk >" in scan and "LIMIT" in scan
        assert "OFFSET" not in scan or scan.endswith("OFFSET 0")
    assert [f.uid for p in pages for f in p.items] == [f"urn:x:{i:04d}" for i in range(0, 60, 2)]
    assert all(p.matched == 30 for p in pages)


async def test_prev_pages_use_pk_below(any_store: SqlStore) -> None:
    await fill(any_store, 12)
    query = FeatureQuery(kind=Kind.SYSTEM, limit=5)
    page1 = await any_store.list_features(query)
    assert page1.prev_token is None
    query.token = page1.next_token
    page2 = await any_store.list_features(query)
    query.token = page2.next_token
    page3 = await any_store.list_features(query)
    assert [len(p.items) for p in (page1, page2, page3)] == [5, 5, 2] and page3.next_token is None
    query.token = page3.prev_token
    with statements(any_store) as sql:
        back = await any_store.list_features(query)
    assert [f.uid for f in back.items] == [f.uid for f in page2.items]
    assert any("systems.pk <" in s and "DESC" in s for s in sql)
    query.token = back.prev_token
    assert [f.uid for f in (await any_store.list_features(query)).items] == [f.uid for f in page1.items]


async def test_deleting_the_boundary_row_does_not_break_paging(any_store: SqlStore) -> None:
    await fill(any_store, 10)
    query = FeatureQuery(kind=Kind.SYSTEM, limit=4)
    page1 = await any_store.list_features(query)
    await any_store.delete_feature(Kind.SYSTEM, page1.items[-1].id, cascade=False)
    await any_store.delete_feature(Kind.SYSTEM, page1.items[-2].id, cascade=False)
    query.token = page1.next_token
    page2 = await any_store.list_features(query)
    assert [f.uid for f in page2.items] == ["urn:x:0004", "urn:x:0005", "urn:x:0006", "urn:x:0007"]


FORGED = [
    "%%%",
    "e30",
    encode_token(after="1"),
    encode_token(after=-1),
    encode_token(after=True),
    encode_token(before=1.5),
    base64.urlsafe_b64encode(b'{"before":1180591620717411303424}').decode(),
]


async def test_forged_tokens_are_invalid_parameters(any_store: SqlStore) -> None:
    for token in FORGED:
        with pytest.raises(InvalidParameter) as err:
            await any_store.list_features(FeatureQuery(kind=Kind.SYSTEM, token=token))
        assert err.value.parameter == "cursor", token


async def test_filters_and_paging_combine_on_ids(any_store: SqlStore) -> None:
    await fill(any_store, 9)
    query = FeatureQuery(kind=Kind.SYSTEM, limit=2, ids=IdList(uids=("urn:x:000*",)))
    seen = []
    while True:
        page = await any_store.list_features(query)
        seen += [f.uid for f in page.items]
        if not page.next_token:
            break
        query.token = page.next_token
    assert seen == [f"urn:x:{i:04d}" for i in range(9)]
