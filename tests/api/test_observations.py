"""Observations (Part 2 `/conf/datastream`, CRD/UPD §10): insert, read, keyset paging in JSON and SWE CSV,
replace/patch/delete at the canonical and the datastream-nested URL."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.api.part2_support import (
    AIR_TEMP,
    BASE,
    SWE_CSV,
    assert_error,
    datastream_body,
    example,
    get_json,
    local_id,
    new_stream,
    new_system,
    post_observations,
    quantity,
    rels,
    walk,
)

T0 = datetime(2024, 1, 1, tzinfo=UTC)


async def _datastream(client: httpx.AsyncClient, uid: str = "urn:x-p2:sys:obs") -> str:
    system_id = await new_system(client, uid)
    return await new_stream(client, system_id, "datastreams", datastream_body("temp", quantity("temp", AIR_TEMP)))


def _iso(seconds: int) -> str:
    return (T0 + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_post_one_observation_returns_its_location(p2: httpx.AsyncClient) -> None:
    ds_id = await _datastream(p2)
    r = await post_observations(p2, ds_id, example("observations/obs-simple-create.json"))
    assert r.content == b"" and r.headers["location"].startswith(f"{BASE}/observations/")
    obs = await get_json(p2, r.headers["location"])
    assert obs["datastream@id"] == ds_id and obs["result"] == 23.5
    # phenomenonTime defaults to resultTime (observation.json), and is always emitted
    assert obs["phenomenonTime"] == obs["resultTime"] == "2021-03-15T04:53:34Z"
    links = rels(obs)
    assert links["self"] == r.headers["location"] and links["datastream"] == f"{BASE}/datastreams/{ds_id}"
    assert (await p2.get(links["datastream"])).status_code == 200


async def test_post_an_array_returns_the_new_urls_in_order(p2: httpx.AsyncClient) -> None:
    ds_id = await _datastream(p2)
    r = await post_observations(p2, ds_id, [{"resultTime": _iso(i), "result": float(i)} for i in range(5)])
    urls = r.json()["items"]
    assert r.headers["location"] == f"{BASE}/datastreams/{ds_id}/observations"
    assert [(await get_json(p2, u))["result"] for u in urls] == [0.0, 1.0, 2.0, 3.0, 4.0]


async def test_invalid_observations_are_400_and_nothing_is_kept(p2: httpx.AsyncClient) -> None:
    ds_id = await _datastream(p2)
    good = {"resultTime": "2021-01-01T00:00:00Z", "result": 1.0}
    cases: list[tuple[Any, str]] = [
        ([good, {"resultTime": "2021-01-01T00:00:00Z"}], "observation 1"),  # no result
        ([good, {"result": 2.0}], "resultTime"),
        ([good, {"resultTime": "yesterday", "result": 2.0}], "resultTime"),
        ([good, {"resultTime": "2021-01-01T00:00:00Z", "result": "warm"}], "observation 1.result"),
        ([good, {"resultTime": "2021-01-01T00:00:00Z", "result": [1.0]}], "observation 1.result"),
        ([good, {"resultTime": "2021-01-01T00:00:00Z", "result": 1.0, "samplingFeature@id": 7}], "samplingFeature"),
        ([good, "text"], "observation 1"),
    ]
    for body, word in cases:
        r = await post_observations(p2, ds_id, body, status=400)
        assert word in r.json()["description"], (word, r.json())
    for raw in (b"", b"   ", b"{not json", b"[1, 2"):
        r = await p2.post(
            f"/datastreams/{ds_id}/observations", content=raw, headers={"Content-Type": "application/json"}
        )
        assert_error(r, 400)
    assert await walk(p2, f"/datastreams/{ds_id}/observations") == []
    assert (await get_json(p2, f"/datastreams/{ds_id}"))["phenomenonTime"] is None
    assert_error(await p2.post("/datastreams/nope/observations", json=good), 404)
    assert (await p2.post("/observations", json=good)).status_code == 405


async def test_2500_observations_paged_through_next_links_in_json_and_csv(p2: httpx.AsyncClient) -> None:
    ds_id = await _datastream(p2)
    other = await _datastream(p2, "urn:x-p2:sys:other")
    # phenomenon times in pairs (ties are ordered by insertion), posted in a shuffled order
    records = [(i // 2, i) for i in range(2500)]
    random.Random(7).shuffle(records)
    csv = "".join(f"{_iso(t)},{value}\n" for t, value in records).encode()
    r = await post_observations(p2, ds_id, csv, SWE_CSV)
    assert r.json() == {"count": 2500}  # a SWE body is a bulk load: answered with the count
    r = await post_observations(p2, other, [{"resultTime": _iso(i), "result": -1.0} for i in range(1500)])
    created = r.json()["items"]  # a JSON array, however long, is answered with the new resources
    assert len(created) == 1500 and (await get_json(p2, created[1499]))["resultTime"] == _iso(1499)
    # JSON: 3 pages of at most 1000
    pages, url = [], f"/datastreams/{ds_id}/observations?limit=1000"
    while url:
        body = await get_json(p2, url)
        pages.append(body["items"])
        url = rels(body).get("next")
    assert [len(p) for p in pages] == [1000, 1000, 500]
    items = [item for page in pages for item in page]
    assert sorted(int(item["result"]) for item in items) == list(range(2500))
    keys = [(item["phenomenonTime"], int(item["id"])) for item in items]
    assert keys == sorted(keys)
    # SWE CSV: the next page is in the Link header
    lines: list[str] = []
    url, calls = f"/datastreams/{ds_id}/observations?limit=1000", 0
    while url:
        r = await p2.get(url, headers={"Accept": SWE_CSV})
        assert r.status_code == 200 and r.headers["content-type"] == SWE_CSV
        lines += r.text.splitlines()
        url = _next_from_link_header(r.headers.get("link"))
        calls += 1
    assert calls == 3
    assert sorted(int(float(line.split(",")[1])) for line in lines) == list(range(2500))
    times = [line.split(",")[0] for line in lines]
    assert times == sorted(times)
    # the canonical endpoint pages every datastream (keyset on the key), each observation once
    everything = await walk(p2, "/observations", limit=1000)
    assert len(everything) == 4000 and len({item["id"] for item in everything}) == 4000


def _next_from_link_header(header: str | None) -> str | None:
    if not header:
        return None
    target, rel = header.split(";", 1)
    assert rel.strip() == 'rel="next"', header
    return target.strip()[1:-1]


async def test_datastream_extents_follow_inserts_replacements_and_deletions(p2: httpx.AsyncClient) -> None:
    ds_id = await _datastream(p2)
    r = await post_observations(p2, ds_id, [{"resultTime": _iso(i * 60), "result": float(i)} for i in range(3)])
    first, _, last = r.json()["items"]
    doc = await get_json(p2, f"/datastreams/{ds_id}")
    assert doc["phenomenonTime"] == [_iso(0), _iso(120)]
    assert (await p2.delete(last)).status_code == 204
    assert (await get_json(p2, f"/datastreams/{ds_id}"))["phenomenonTime"] == [_iso(0), _iso(60)]
    r = await p2.put(first, json={"phenomenonTime": _iso(-60), "resultTime": _iso(600), "result": 9.0})
    assert r.status_code == 204, r.text
    doc = await get_json(p2, f"/datastreams/{ds_id}")
    assert doc["phenomenonTime"] == [_iso(-60), _iso(60)] and doc["resultTime"] == [_iso(60), _iso(600)]


async def test_replace_patch_and_delete_an_observation(p2: httpx.AsyncClient) -> None:
    ds_id = await _datastream(p2)
    url = (await post_observations(p2, ds_id, {"resultTime": _iso(0), "result": 1.0})).headers["location"]
    obs_id = local_id(url)
    r = await p2.put(url, json={"resultTime": _iso(10), "result": 2.0, "parameters": {"mode": "fast"}})
    assert r.status_code == 204, r.text
    obs = await get_json(p2, url)
    assert (obs["resultTime"], obs["result"], obs["parameters"], obs["id"]) == (_iso(10), 2.0, {"mode": "fast"}, obs_id)
    assert (await p2.patch(url, json={"result": 3.5, "parameters": None})).status_code == 204
    obs = await get_json(p2, url)
    assert obs["result"] == 3.5 and obs["resultTime"] == _iso(10) and "parameters" not in obs
    assert_error(await p2.put(url, json={"resultTime": _iso(0), "result": "x"}), 400, "result")
    assert_error(await p2.put(url, json=[{"resultTime": _iso(0), "result": 1.0}]), 400)
    assert_error(await p2.patch(url, json=["not", "an", "object"]), 400, "merge patch")
    assert (await get_json(p2, url))["result"] == 3.5
    assert (await p2.delete(url)).status_code == 204
    assert_error(await p2.get(url), 404)
    assert_error(await p2.delete(url), 404)
    assert_error(await p2.put(url, json={"resultTime": _iso(0), "result": 1.0}), 404)


async def test_the_datastream_nested_url_of_an_observation(p2: httpx.AsyncClient) -> None:
    ds_id = await _datastream(p2)
    other = await _datastream(p2, "urn:x-p2:sys:other")
    obs_id = local_id((await post_observations(p2, ds_id, {"resultTime": _iso(0), "result": 1.0})).headers["location"])
    nested = f"/datastreams/{ds_id}/observations/{obs_id}"
    r = await p2.get(nested)
    assert r.status_code == 200
    assert rels(r.json())["canonical"] == f"{BASE}/observations/{obs_id}"
    assert r.headers["link"] == f'<{BASE}/observations/{obs_id}>; rel="canonical"'
    wrong = f"/datastreams/{other}/observations/{obs_id}"
    for call in (p2.get(wrong), p2.delete(wrong), p2.patch(wrong, json={"result": 2.0})):
        assert_error(await call, 404)
    assert (await p2.put(nested, json={"resultTime": _iso(5), "result": 5.0})).status_code == 204
    assert (await p2.patch(nested, json={"result": 6.0})).status_code == 204
    assert (await get_json(p2, f"/observations/{obs_id}"))["result"] == 6.0
    assert (await p2.delete(nested)).status_code == 204
    assert_error(await p2.get(f"/observations/{obs_id}"), 404)


async def test_unknown_and_malformed_observation_ids_are_404(p2: httpx.AsyncClient) -> None:
    for obs_id in ("0", "42", "abc", "99999999999999999999999", "²", "-1", "1e3"):
        assert_error(await p2.get(f"/observations/{obs_id}"), 404)
        assert_error(await p2.delete(f"/observations/{obs_id}"), 404)
