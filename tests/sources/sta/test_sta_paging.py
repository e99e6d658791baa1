"""Paging: opaque next links (raw spaces, %24, injected $expand, relative), loop guards, boundary duplicates."""

from __future__ import annotations

import httpx
import pytest

from bridge.sources.paging import LinkPaging, PagingLoopError, resolve_link, skip_of
from bridge.sources.sta import StaReader, StaReaderConfig

ROOT = "http://sta.test/v1.1/"


def things(*ids: int, next_link: str | None = None) -> dict[str, object]:
    doc: dict[str, object] = {"value": [{"@iot.id": i, "name": f"t{i}"} for i in ids]}
    if next_link:
        doc["@iot.nextLink"] = next_link
    return doc


async def read_things(fake, **config) -> list[str]:
    async with fake.client() as client:
        reader = StaReader(client, ROOT, StaReaderConfig(**config))
        return [t.id async for t in reader.things()]


def test_resolve_link() -> None:
    assert resolve_link(ROOT, "Things?$skip=2") == "http://sta.test/v1.1/Things?$skip=2"
    frost_root = "http://h/FROST-Server/v1.0/"
    assert (
        resolve_link(frost_root, "/FROST-Server/v1.0/Observations?$top=4&$skip=4")
        == "http://h/FROST-Server/v1.0/Observations?$top=4&$skip=4"
    )
    raw = "http://h/v1.1/Observations?$filter=result gt 20&$top=2&$skip=2"
    assert resolve_link(ROOT, raw) == raw  # httpx accepts raw spaces: the link stays verbatim
    assert skip_of("http://h/x?%24top=1&%24skip=3") == 3 and skip_of("http://h/x?$top=1") is None


async def test_raw_space_links_are_followed(fake_sta) -> None:
    fake_sta.root_doc("Things")
    fake_sta.on(
        "/v1.1/Things",
        things(1, 2, next_link=ROOT + "Things?$filter=name ne 'a b'&$top=2&$skip=2"),
        when=lambda q: "$skip" not in q,
    )
    fake_sta.on("/v1.1/Things", things(3), when=lambda q: q.get("$skip") == "2")
    assert await read_things(fake_sta, page_size=2) == ["1", "2", "3"]
    assert fake_sta.paths()[-1] == "/v1.1/Things?$filter=name%20ne%20'a%20b'&$top=2&$skip=2"


async def test_percent_encoded_dollar_links_are_followed_verbatim(fake_sta) -> None:
    link = ROOT + "Things?%24count=true&%24top=2&%24skip=2&%24orderby=name%20asc"
    fake_sta.root_doc("Things")
    fake_sta.on("/v1.1/Things", things(1, 2, next_link=link), when=lambda q: "$skip" not in q)
    fake_sta.on("/v1.1/Things", things(3), when=lambda q: q.get("$skip") == "2")
    assert await read_things(fake_sta) == ["1", "2", "3"]
    assert fake_sta.paths()[-1] == "/v1.1/Things?%24count=true&%24top=2&%24skip=2&%24orderby=name%20asc"


async def test_links_that_add_expand_and_relative_links(fake_sta) -> None:
    fake_sta.root_doc("Things")
    fake_sta.on(
        "/v1.1/Things",
        things(1, next_link="/v1.1/Things?$top=1&$expand=Locations($top=100)&$skip=1"),
        when=lambda q: "$skip" not in q,
    )
    fake_sta.on("/v1.1/Things", things(2, next_link="Things?$top=1&$skip=2"), when=lambda q: q.get("$skip") == "1")
    fake_sta.on("/v1.1/Things", things(3), when=lambda q: q.get("$skip") == "2")
    assert await read_things(fake_sta) == ["1", "2", "3"]
    assert "$expand=Locations($top=100)" in fake_sta.paths()[2]


async def test_top_zero_skip_zero_forever_is_a_paging_loop_error(fake_sta) -> None:
    fake_sta.root_doc("Things")
    fake_sta.on("/v1.1/Things", {"value": [], "@iot.nextLink": ROOT + "Things?$top=0&$skip=0"})
    with pytest.raises(PagingLoopError) as info:
        await read_things(fake_sta, page_size=0)
    assert "$skip=0" in info.value.url and "does not increase" in str(info.value)
    assert len(fake_sta.requests) <= 4


async def test_cycle_is_a_paging_loop_error(fake_sta) -> None:
    a, b = ROOT + "Things?$filter=x&$top=1", ROOT + "Things?$filter=y&$top=1"
    fake_sta.root_doc("Things")
    fake_sta.on("/v1.1/Things", things(1, next_link=a), when=lambda q: "$filter" not in q)
    fake_sta.on("/v1.1/Things", things(2, next_link=b), when=lambda q: q.get("$filter") == "x")
    fake_sta.on("/v1.1/Things", things(3, next_link=a), when=lambda q: q.get("$filter") == "y")
    with pytest.raises(PagingLoopError, match="already followed"):
        await read_things(fake_sta)


async def test_page_cap_is_the_final_guard(fake_sta) -> None:
    def endless(request: httpx.Request) -> httpx.Response:
        skip = int(request.url.params.get("$skip", "0")) + 1
        return httpx.Response(200, json=things(skip, next_link=f"{ROOT}Things?$top=1&$skip={skip}"))

    fake_sta.root_doc("Things")
    fake_sta.on("/v1.1/Things", endless)
    with pytest.raises(PagingLoopError, match="page cap of 5"):
        await read_things(fake_sta, max_pages=5)
    assert len(fake_sta.requests) == 1 + 5


async def test_repeated_last_item_is_dropped(fake_sta) -> None:
    fake_sta.root_doc("Things")
    fake_sta.on(
        "/v1.1/Things", things(1, 2, 3, next_link=ROOT + "Things?$top=3&$skip=3"), when=lambda q: "$skip" not in q
    )
    fake_sta.on(
        "/v1.1/Things", things(3, 4, 5, next_link=ROOT + "Things?$top=3&$skip=6"), when=lambda q: q.get("$skip") == "3"
    )
    fake_sta.on("/v1.1/Things", things(5, 6), when=lambda q: q.get("$skip") == "6")
    assert await read_things(fake_sta, page_size=3) == ["1", "2", "3", "4", "5", "6"]


def test_link_paging_window_is_two_pages() -> None:
    paging = LinkPaging(ROOT)
    first = paging.start(ROOT + "Things")
    assert paging.fresh([1, 2], str) == [1, 2]
    second = paging.advance(first, "Things?$skip=2")
    assert second is not None and paging.fresh([2, 3], str) == [3]
    third = paging.advance(second, "Things?$skip=4")
    assert third is not None and paging.fresh([3, 4], str) == [4]
    assert paging.advance(third, None) is None and paging.duplicates == 2
