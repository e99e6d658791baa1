"""Keyset paging through `next` and `prev` links (Feat-1 §7.15.4-7.15.6), `limit` clamping, cursors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from bridge.model.csapi import System
from bridge.settings import Settings
from bridge.store.sql.store import SqlStore
from tests.api.support import BASE, SML, items_of, link_href, open_client
from tests.open_access import OPEN


@pytest_asyncio.fixture
async def store() -> AsyncIterator[SqlStore]:
    st = await SqlStore.open("sqlite:///:memory:")
    yield st
    await st.close()


@pytest_asyncio.fixture
async def client(store: SqlStore) -> AsyncIterator[httpx.AsyncClient]:
    async with open_client(store) as c:
        yield c


async def add_systems(store: SqlStore, start: int, count: int, geometry: Any = None) -> None:
    for i in range(start, start + count):
        point = geometry(i) if geometry else {"type": "Point", "coordinates": [i % 180, 10.0]}
        await store.create_feature(System(uid=f"urn:x-test:sys:{i}", name=f"Sys {i}", geometry=point))


def uids(page: dict[str, Any]) -> list[str]:
    return [f["properties"]["uid"] for f in page["features"]]


async def walk(client: httpx.AsyncClient, url: str, rel: str, between: Any = None) -> list[dict[str, Any]]:
    """Pages from `url` following `rel` links (awaiting `between()` after each page)."""
    pages = []
    next_url: str | None = url
    while next_url:
        r = await client.get(next_url)
        assert r.status_code == 200, r.text
        pages.append(r.json())
        if between:
            await between()
        next_url = link_href(r.json()["links"], rel)
    return pages


async def test_next_and_prev_walks_see_each_system_once_while_inserting(
    client: httpx.AsyncClient, store: SqlStore
) -> None:
    await add_systems(store, 0, 250)
    inserted = iter(range(250, 1000))

    async def insert_one() -> None:
        await add_systems(store, next(inserted), 1)

    forward = await walk(client, "/systems?limit=100", "next", insert_one)
    seen = [u for page in forward for u in uids(page)]
    assert len(seen) == len(set(seen))
    assert {f"urn:x-test:sys:{i}" for i in range(250)} <= set(seen)
    assert [len(page["features"]) for page in forward][:2] == [100, 100]
    assert all(p["numberReturned"] == len(p["features"]) for p in forward)
    assert link_href(forward[0]["links"], "prev") is None
    assert link_href(forward[-1]["links"], "next") is None
    prev_url = link_href(forward[-1]["links"], "prev")
    assert prev_url is not None
    backward = await walk(client, prev_url, "prev", insert_one)
    assert [uids(p) for p in reversed(backward)] == [uids(p) for p in forward[:-1]]
    assert all(link_href(p["links"], "next") for p in backward)


async def test_paging_links_keep_filters_format_and_limit(client: httpx.AsyncClient, store: SqlStore) -> None:
    await add_systems(store, 0, 30)
    pages = await walk(client, "/systems?q=sys&bbox=0,0,19.5,20&limit=7&f=sml", "next")
    assert [len(items_of(p)) for p in pages] == [7, 7, 6]
    assert sorted(d["uniqueId"] for p in pages for d in items_of(p)) == sorted(f"urn:x-test:sys:{i}" for i in range(20))
    next_url = link_href(pages[0]["links"], "next")
    assert next_url is not None and next_url.startswith(f"{BASE}/systems?")
    for needed in ("q=sys", "bbox=0%2C0%2C19.5%2C20", "limit=7", "f=sml"):
        assert needed in next_url
    alternate = [lnk for lnk in pages[0]["links"] if lnk["rel"] == "alternate"]
    assert [lnk["type"] for lnk in alternate] == ["application/geo+json"]
    assert pages[0]["links"][0] == {
        "href": f"{BASE}/systems?q=sys&bbox=0%2C0%2C19.5%2C20&limit=7&f=sml",
        "rel": "self",
        "type": SML,
        "title": "this page",
    }


async def test_exact_geometry_filter_pages_without_gaps(client: httpx.AsyncClient, store: SqlStore) -> None:
    """Envelope candidates failing the exact `geom` test are skipped without short pages or losses."""
    await add_systems(store, 0, 40, geometry=lambda i: {"type": "Point", "coordinates": [i % 10, i // 10]})
    triangle = "POLYGON((-0.5 -0.5,9.5 -0.5,-0.5 9.5,-0.5 -0.5))"  # keeps x + y <= 9
    pages = await walk(client, f"/systems?geom={triangle}&limit=4", "next")
    expected = {f"urn:x-test:sys:{i}" for i in range(40) if i % 10 + i // 10 <= 9}
    seen = [u for p in pages for u in uids(p)]
    assert sorted(seen) == sorted(expected)
    assert all(len(p["features"]) == 4 for p in pages[:-1])
    assert pages[0]["numberMatched"] == len(expected)


async def test_limit_default_and_maximum(store: SqlStore) -> None:
    await add_systems(store, 0, 14)
    settings = Settings(auth=OPEN, store="sqlite:///:memory:", base_url=BASE, default_limit=3, max_limit=5)
    async with open_client(store, settings) as client:
        assert len((await client.get("/systems")).json()["features"]) == 3
        for huge in ("6", "1000000", "99999999999999999999999"):
            page = (await client.get("/systems", params={"limit": huge})).json()
            assert len(page["features"]) == 5, huge
            assert page["numberMatched"] == 14
            assert link_href(page["links"], "next") is not None
        assert len((await client.get("/systems?limit=1")).json()["features"]) == 1


async def test_cursor_past_the_end_and_from_another_listing(client: httpx.AsyncClient, store: SqlStore) -> None:
    await add_systems(store, 0, 3)
    first = (await client.get("/systems?limit=2")).json()
    cursor = link_href(first["links"], "next")
    assert cursor is not None
    token = cursor.split("cursor=")[1]
    r = await client.get("/samplingFeatures", params={"cursor": token})
    assert r.status_code == 200 and r.json()["features"] == []
    last = (await client.get(cursor)).json()
    assert uids(last) == ["urn:x-test:sys:2"]
    assert link_href(last["links"], "next") is None
    assert link_href(last["links"], "prev") is not None


@pytest.mark.parametrize("cursor", ["garbage", "%%%", "eyJhZnRlciI6Ilx1MDAwMCJ9", "a" * 5000])
async def test_forged_cursor_is_400(client: httpx.AsyncClient, cursor: str) -> None:
    r = await client.get("/systems", params={"cursor": cursor})
    assert r.status_code == 400
    assert r.json()["details"]["parameter"] == "cursor"
