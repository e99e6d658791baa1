"""Hostile and unlucky input: each reproducer of the hardening issue, as a regression test."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from bridge.api.app import create_app
from bridge.settings import Limits, Settings
from bridge.store.sql.store import SqlStore
from tests.api.part2_support import datastream_body, quantity, system_body
from tests.open_access import OPEN

BASE = "http://bridge"


@pytest.fixture
async def http(any_store: SqlStore) -> AsyncIterator[httpx.AsyncClient]:
    """A plain client (no response checks: these tests look at refusals) on SQLite and PostgreSQL."""
    settings = Settings(auth=OPEN, store="sqlite:///:memory:", base_url=BASE, limits=Limits(json_bytes=256 * 1024))
    app = create_app(settings, any_store)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield client


def _id(response: httpx.Response) -> str:
    assert response.status_code == 201, response.text
    return response.headers["location"].rsplit("/", 1)[1]


async def _system(http: httpx.AsyncClient, uid: str = "urn:x:hard:1", **props: Any) -> str:
    body = system_body(uid)
    body["properties"].update(props)
    return _id(await http.post("/systems", json=body))


async def _datastream(http: httpx.AsyncClient, result: dict[str, Any] | None = None) -> str:
    sid = await _system(http, "urn:x:hard:ds")
    body = datastream_body("d", result or quantity("temp", "http://x/temp"))
    return _id(await http.post(f"/systems/{sid}/datastreams", json=body))


def _limit(response: httpx.Response, status: int, limit: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["details"]["limit"] == limit and limit in body["description"]


async def test_oversized_body_is_refused_before_it_is_read(http: httpx.AsyncClient) -> None:
    name = "n" * (300 * 1024)  # over the 256 KiB JSON limit of this app
    r = await http.post("/systems", json=system_body("urn:x:big", name))
    _limit(r, 413, "json_bytes")
    assert (await http.get("/systems")).json()["features"] == []


async def test_long_strings_and_deep_nesting_are_refused_at_input(http: httpx.AsyncClient) -> None:
    r = await http.post("/systems", json=system_body("urn:x:s", "x" * 60_000 + "y" * 6_000))
    _limit(r, 400, "string_length")
    deep: Any = "leaf"
    for _ in range(251):
        deep = {"k": deep}
    body = system_body("urn:x:deep")
    body["properties"]["extra"] = deep
    _limit(await http.post("/systems", json=body), 400, "json_depth")
    listing = await http.get("/systems", params={"limit": 1000})
    assert listing.status_code == 200 and listing.json()["features"] == []


async def test_too_many_keywords_or_list_items(http: httpx.AsyncClient) -> None:
    _limit(await http.get("/systems", params={"q": ",".join(["kw"] * 500)}), 400, "keywords")
    ids = ",".join(f"urn:x:{i}*" for i in range(600))
    r = await http.get("/systems", params={"id": ids})
    assert r.status_code in (400, 414), r.text
    assert r.json()["details"]["limit"] in ("list_items", "url_length")
    assert (await http.get("/systems", params={"q": ",".join(["kw"] * 20)})).status_code == 200


async def test_url_too_long_is_414(http: httpx.AsyncClient) -> None:
    _limit(await http.get("/systems", params={"q": "k" * 9000}), 414, "url_length")


async def test_forged_cursor_beyond_the_key_range(http: httpx.AsyncClient) -> None:
    import base64

    import orjson

    for key in (2**31, 2**40, -(2**31) - 1):
        token = base64.urlsafe_b64encode(orjson.dumps({"after": key})).decode().rstrip("=")
        r = await http.get("/systems", params={"cursor": token})
        assert r.status_code == 400 and r.json()["details"]["parameter"] == "cursor", r.text
        token = base64.urlsafe_b64encode(orjson.dumps({"k": 2**62 + abs(key)})).decode().rstrip("=")
        assert (await http.get("/observations", params={"cursor": token})).status_code == 400


async def test_property_definition_must_be_text(http: httpx.AsyncClient) -> None:
    body = {
        "type": "DerivedProperty",
        "uniqueId": "urn:x:prop",
        "label": "P",
        "baseProperty": "http://qudt.org/vocab/quantitykind/Temperature",
        "definition": {"not": "a URI"},
    }
    r = await http.post("/properties", json=body, headers={"content-type": "application/sml+json"})
    assert r.status_code == 400 and "$.definition" in r.text
    body["definition"] = "http://x/def"
    pid = _id(await http.post("/properties", json=body, headers={"content-type": "application/sml+json"}))
    body["definition"] = ["list"]
    r = await http.put(f"/properties/{pid}", json=body, headers={"content-type": "application/sml+json"})
    assert r.status_code == 400


async def test_counts_the_store_cannot_keep_are_refused(http: httpx.AsyncClient) -> None:
    ds = await _datastream(http, {"type": "Count", "name": "n", "label": "N", "definition": "http://x/n"})
    csv = {"content-type": "application/swe+csv"}
    big = b"2020-01-01T00:00:00Z,99999999999999999999\n"
    r = await http.post(f"/datastreams/{ds}/observations", content=big, headers=csv)
    assert r.status_code == 400
    r = await http.post(f"/datastreams/{ds}/observations", json={"resultTime": "2020-01-01T00:00:00Z", "result": 2**60})
    assert r.status_code == 400
    ok = await http.post(
        f"/datastreams/{ds}/observations", json={"resultTime": "2020-01-01T00:00:00Z", "result": 2**52}
    )
    assert ok.status_code == 201
    for f in ("json", "swejson", "swecsv", "swebinary"):
        assert (await http.get(f"/datastreams/{ds}/observations", params={"f": f})).status_code == 200


@pytest.mark.parametrize("token", ["nan", "Infinity", "-Infinity", "1e999", "١٢", "1_0", "inf"])
async def test_csv_numbers_are_strict(http: httpx.AsyncClient, token: str) -> None:
    ds = await _datastream(http)
    body = f"2020-01-01T00:00:00Z,{token}\n".encode()
    r = await http.post(f"/datastreams/{ds}/observations", content=body, headers={"content-type": "text/csv"})
    assert r.status_code == 400, (token, r.text)


async def test_concurrent_deletes_one_wins(http: httpx.AsyncClient) -> None:
    sid = await _system(http)
    ds = await _datastream(http)
    first = {"resultTime": "2020-01-01T00:00:00Z", "result": 1}
    obs = _id(await http.post(f"/datastreams/{ds}/observations", json=first))
    for path in (f"/observations/{obs}", f"/systems/{sid}", f"/datastreams/{ds}?cascade=true"):
        statuses = sorted(r.status_code for r in await asyncio.gather(*(http.delete(path) for _ in range(8))))
        assert statuses == [204] + [404] * 7, (path, statuses)


async def test_observation_posts_honour_idempotency_keys(http: httpx.AsyncClient) -> None:
    ds = await _datastream(http)
    url = f"/datastreams/{ds}/observations"
    one = {"resultTime": "2020-01-01T00:00:00Z", "result": 1.5}
    first = await http.post(url, json=one, headers={"Idempotency-Key": "a"})
    again = [await http.post(url, json=one, headers={"Idempotency-Key": "a"}) for _ in range(2)]
    assert first.status_code == 201 and all(r.status_code == 201 for r in again)
    assert {r.headers["location"] for r in again} == {first.headers["location"]}
    csv = b"".join(f"2020-01-02T00:00:{s:02d}Z,{s}\n".encode() for s in range(50))
    headers = {"content-type": "application/swe+csv", "Idempotency-Key": "bulk"}
    answers = await asyncio.gather(*(http.post(url, content=csv, headers=headers) for _ in range(4)))
    assert [r.json() for r in answers] == [{"count": 50}] * 4  # concurrent retries: stored once, same answer
    batch = [one | {"resultTime": f"2020-01-03T00:00:0{i}Z"} for i in range(3)]
    items = [(await http.post(url, json=batch, headers={"Idempotency-Key": "arr"})).json() for _ in range(2)]
    assert items[0] == items[1] and len(items[0]["items"]) == 3
    stored = (await http.get(url, params={"limit": 1000})).json()["items"]
    assert len(stored) == 1 + 50 + 3
    other = await http.post(url, json=one | {"resultTime": "2020-01-04T00:00:00Z"}, headers={"Idempotency-Key": "b"})
    assert other.status_code == 201 and other.headers["location"] != first.headers["location"]


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00Z", "0999-06-01T00:00:00Z", "9999-12-31T23:59:59.5Z"])
async def test_the_whole_time_range_reads_back_in_every_format(http: httpx.AsyncClient, when: str) -> None:
    ds = await _datastream(http)
    csv = f"{when},1.5\n".encode()
    assert (
        await http.post(f"/datastreams/{ds}/observations", content=csv, headers={"content-type": "text/csv"})
    ).status_code == 201
    assert (await http.get(f"/datastreams/{ds}/observations")).json()["items"][0]["phenomenonTime"] == when
    assert (await http.get(f"/datastreams/{ds}/observations", params={"f": "swejson"})).json()[0]["time"] == when
    text = (await http.get(f"/datastreams/{ds}/observations", params={"f": "swecsv"})).text
    again = await http.post(
        f"/datastreams/{ds}/observations", content=text.encode(), headers={"content-type": "text/csv"}
    )
    assert text.startswith(when) and again.status_code == 201  # what the bridge writes, it reads back
    binary = await http.get(f"/datastreams/{ds}/observations", params={"f": "swebinary"})
    assert binary.status_code == 200 and when.encode() in binary.content
    sid = await _system(
        http, "urn:x:hard:old", validTime=[when, "now"] if when < "2000" else ["2000-01-01T00:00:00Z", when]
    )
    valid = (await http.get(f"/systems/{sid}")).json()["properties"]["validTime"]
    assert when in valid


async def test_405_names_the_allowed_methods(http: httpx.AsyncClient) -> None:
    r = await http.patch("/systems")  # the path exists for GET and POST only
    assert r.status_code == 405 and set(r.headers["allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    assert r.json()["code"] == "MethodNotAllowed"
    r = await http.post("/collections/all_datastreams/items", json={})
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD"


@pytest.mark.slow
def test_a_500_keeps_the_keep_alive_connection_usable(tmp_path: Any) -> None:
    """Over real HTTP: after an unexpected error the client's next request on the same connection succeeds."""
    import asyncio as aio

    from tests.loopback import free_port, serve
    from tests.open_access import OPEN

    store = aio.run(SqlStore.open(f"sqlite:///{tmp_path / 'store.db'}"))
    app = create_app(Settings(store="sqlite:///:memory:", auth=OPEN), store)

    async def boom() -> None:
        raise RuntimeError("an internal failure")

    app.add_api_route("/boom", boom, methods=["GET"])
    sock, port = free_port()
    served = serve(app, sock, "keep-alive-test")
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", limits=httpx.Limits(max_connections=1)) as client:
            first = client.get("/boom")
            assert first.status_code == 500 and first.json()["code"] == "ServerError"
            assert "connection" not in first.headers or first.headers["connection"] != "close"
            second = client.get("/conformance")  # the same (only) connection
            assert second.status_code == 200
            assert client.get("/boom").status_code == 500 and client.get("/").status_code == 200
    finally:
        served.stop()
        aio.run(store.close())
