"""System events (Part 2 `/conf/system-event`) and system history (seed draft §11, an extension here)."""

from __future__ import annotations

import itertools
import json

import httpx

from tests.api.part2_support import (
    BASE,
    GEO,
    SML,
    assert_bad_param,
    assert_error,
    example,
    get_json,
    ids_at,
    local_id,
    new_system,
    post_json,
    rels,
    system_body,
    walk,
)
from tests.validate import PART1, assert_valid

CALIBRATION = "http://www.opengis.net/def/x-OGC/TBD/Calibration"
RELOCATION = "http://www.opengis.net/def/x-OGC/TBD/Relocation"


def _event(label: str, definition: str, time: str | list[str], **members: object) -> dict[str, object]:
    return {"label": label, "definition": definition, "time": time, **members}


async def test_post_the_official_example_and_read_it_back(p2: httpx.AsyncClient) -> None:
    system_id = await new_system(p2, "urn:x-p2:sys:ev")
    ex = example("events/systemEvent.json")
    r = await post_json(p2, f"/systems/{system_id}/events", ex)
    event_id = local_id(r.headers["location"])
    assert r.headers["location"] == f"{BASE}/systemEvents/{event_id}" and event_id != ex["id"]
    event = await get_json(p2, f"/systemEvents/{event_id}")
    assert (event["label"], event["definition"], event["time"]) == (
        "Deployment",
        ex["definition"],
        "2015-10-12T12:02:00Z",
    )
    assert event["documentation"] == ex["documentation"]
    links = rels(event)
    assert links["self"] == r.headers["location"] and links["system"] == f"{BASE}/systems/{system_id}"
    assert (await p2.get(links["system"])).status_code == 200
    nested = await p2.get(f"/systems/{system_id}/events/{event_id}")
    assert nested.status_code == 200 and rels(nested.json())["canonical"] == f"{BASE}/systemEvents/{event_id}"
    assert nested.headers["link"] == f'<{BASE}/systemEvents/{event_id}>; rel="canonical"'
    sml = await p2.get(f"/systemEvents/{event_id}", headers={"Accept": SML})
    assert sml.status_code == 200 and sml.json()["label"] == "Deployment"


async def test_event_filters(p2: httpx.AsyncClient) -> None:
    a = await new_system(p2, "urn:x-p2:sys:a")
    b = await new_system(p2, "urn:x-p2:sys:b")
    r = await post_json(
        p2,
        f"/systems/{a}/events",
        [
            _event("Calibration", CALIBRATION, "2021-01-01T00:00:00Z", description="yearly check"),
            _event("Moved", RELOCATION, ["2021-06-01T00:00:00Z", "2021-06-03T00:00:00Z"]),
        ],
    )
    cal, moved = (local_id(u) for u in r.json()["items"])
    other = local_id(
        (await post_json(p2, f"/systems/{b}/events", _event("Cal", CALIBRATION, "2022-01-01T00:00:00Z"))).headers[
            "location"
        ]
    )
    cases = [
        ("", {cal, moved, other}),
        (f"eventType={CALIBRATION}", {cal, other}),
        (f"eventType={CALIBRATION},{RELOCATION}", {cal, moved, other}),
        ("eventType=http://www.opengis.net/def/x-OGC/TBD/Decommission", set()),
        ("datetime=2021-06-02T00:00:00Z", {moved}),  # inside the period
        ("datetime=2021-01-01T00:00:00Z/2021-06-01T00:00:00Z", {cal, moved}),
        ("datetime=2021-12-01T00:00:00Z/..", {other}),
        ("datetime=../2020-01-01T00:00:00Z", set()),
        (f"system={b}", {other}),
        ("system=urn:x-p2:sys:a", {cal, moved}),
        ("q=yearly", {cal}),
        (f"id={moved}", {moved}),
        (f"eventType={CALIBRATION}&system={a}", {cal}),
    ]
    for query, expected in cases:
        assert await ids_at(p2, f"/systemEvents?{query}") == expected, query
    assert await ids_at(p2, f"/systems/{a}/events") == {cal, moved}
    assert await ids_at(p2, f"/systems/{a}/events?eventType={CALIBRATION}") == {cal}
    assert await ids_at(p2, f"/systemevents?eventType={RELOCATION}") == {moved}  # the ATS spelling
    assert len(await walk(p2, "/systemEvents", limit=1)) == 3
    for name, value in [
        ("datetime", "2021-13-01T00:00:00Z"),
        ("datetime", "latest"),
        ("eventType", "a,,b"),
        ("limit", "0"),
        ("system", "a,urn:x:b"),
        ("validTime", "2021-01-01T00:00:00Z"),
    ]:
        assert_bad_param(await p2.get("/systemEvents", params={name: value}), name)
        assert_bad_param(await p2.get(f"/systems/{a}/events", params={name: value}), name)


async def test_replace_patch_and_delete_events(p2: httpx.AsyncClient) -> None:
    system_id = await new_system(p2, "urn:x-p2:sys:ev")
    other = await new_system(p2, "urn:x-p2:sys:other")
    url = (
        await post_json(p2, f"/systems/{system_id}/events", _event("Cal", CALIBRATION, "2021-01-01T00:00:00Z"))
    ).headers["location"]
    event_id = local_id(url)
    body = _event("Relocated", RELOCATION, ["2021-02-01T00:00:00Z", "2021-02-02T00:00:00Z"], description="to site 2")
    assert (await p2.put(url, json=body)).status_code == 204
    event = await get_json(p2, url)
    assert (event["label"], event["time"], event["description"]) == (
        "Relocated",
        ["2021-02-01T00:00:00Z", "2021-02-02T00:00:00Z"],
        "to site 2",
    )
    assert (await p2.patch(url, json={"description": None, "label": "Moved"})).status_code == 204
    event = await get_json(p2, url)
    assert event["label"] == "Moved" and "description" not in event and event["definition"] == RELOCATION
    nested = f"/systems/{system_id}/events/{event_id}"
    assert (await p2.patch(nested, json={"label": "Moved again"})).status_code == 204
    assert (await p2.put(nested, json=_event("Back", RELOCATION, "2021-03-01T00:00:00Z"))).status_code == 204
    assert (await get_json(p2, url))["label"] == "Back"
    for call in (p2.get(f"/systems/{other}/events/{event_id}"), p2.delete(f"/systems/{other}/events/{event_id}")):
        assert_error(await call, 404)
    assert_error(await p2.put(url, json={"label": "no time"}), 400, "definition")
    assert (await p2.delete(nested)).status_code == 204
    assert_error(await p2.get(url), 404)
    assert_error(await p2.delete(url), 404)


async def test_invalid_events_are_400_and_events_go_with_their_system(p2: httpx.AsyncClient) -> None:
    system_id = await new_system(p2, "urn:x-p2:sys:ev")
    path = f"/systems/{system_id}/events"
    for body, word in [
        ({"definition": CALIBRATION, "time": "2021-01-01T00:00:00Z"}, "label"),
        ({"label": "x", "time": "2021-01-01T00:00:00Z"}, "definition"),
        ({"label": "x", "definition": CALIBRATION}, "time"),
        (_event("x", CALIBRATION, "sometime"), "time"),
        (_event("x", CALIBRATION, ["2021-01-02T00:00:00Z", "2021-01-01T00:00:00Z"]), "time"),
        ([_event("ok", CALIBRATION, "2021-01-01T00:00:00Z"), "bad"], "object"),
    ]:
        assert_error(await p2.post(path, json=body), 400, word)
    assert await walk(p2, "/systemEvents") == []
    assert_error(await p2.post("/systems/nope/events", json=_event("x", CALIBRATION, "2021-01-01T00:00:00Z")), 404)
    assert (await p2.post("/systemEvents", json=_event("x", CALIBRATION, "2021-01-01T00:00:00Z"))).status_code == 405
    await post_json(p2, path, _event("x", CALIBRATION, "2021-01-01T00:00:00Z"))
    assert (await p2.delete(f"/systems/{system_id}")).status_code == 204  # events do not block a delete
    assert await walk(p2, "/systemEvents") == []


async def _put_system(client: httpx.AsyncClient, system_id: str, name: str) -> None:
    body = json.dumps(system_body("urn:x-p2:sys:hist", name))
    r = await client.put(f"/systems/{system_id}", content=body, headers={"Content-Type": GEO})
    assert r.status_code == 204, r.text


async def test_every_replacement_of_a_system_keeps_a_revision(p2: httpx.AsyncClient) -> None:
    system_id = await new_system(p2, "urn:x-p2:sys:hist", "v1")
    assert await walk(p2, f"/systems/{system_id}/history") == []
    await _put_system(p2, system_id, "v2")
    await _put_system(p2, system_id, "v3")
    r = await p2.patch(f"/systems/{system_id}", json={"properties": {"name": "v4"}})
    assert r.status_code == 204, r.text
    history = await walk(p2, f"/systems/{system_id}/history")
    assert [h["properties"]["name"] for h in history] == ["v1", "v2", "v3"]
    periods = [h["properties"]["validTime"] for h in history]
    for before, after in itertools.pairwise(periods):  # contiguous, never overlapping
        assert before[1] == after[0] and before[0] < before[1]
    current = await get_json(p2, f"/systems/{system_id}")
    assert current["properties"]["name"] == "v4"
    for item in history:
        links = rels(item)
        assert links["canonical"] == f"{BASE}/systems/{system_id}"
        revision = await get_json(p2, links["self"])
        assert revision["properties"]["name"] == item["properties"]["name"] and revision["id"] == item["id"]
    sml = await p2.get(f"/systems/{system_id}/history", headers={"Accept": SML})
    assert [h["label"] for h in sml.json()["items"]] == ["v1", "v2", "v3"]
    one = await p2.get(f"/systems/{system_id}/history/{history[0]['id']}", params={"f": "sml"})
    assert one.json()["label"] == "v1"
    # validTime selects the revisions valid then
    inside_first = periods[0][0]
    assert [
        h["properties"]["name"] for h in await walk(p2, f"/systems/{system_id}/history", validTime=inside_first)
    ] == ["v1"]
    assert len(await walk(p2, f"/systems/{system_id}/history", validTime=f"{periods[0][0]}/..")) == 3
    assert await walk(p2, f"/systems/{system_id}/history", validTime="2000-01-01T00:00:00Z") == []
    assert_bad_param(await p2.get(f"/systems/{system_id}/history", params={"validTime": "then"}), "validTime")
    assert len(await walk(p2, f"/systems/{system_id}/history", limit=1)) == 3
    # `datetime` on the system itself: the description current at that instant (periods are half-open)
    at = {
        periods[0][0]: "v1",
        periods[1][0]: "v2",  # the instant v1 was replaced
        periods[2][0]: "v3",
        periods[2][1]: "v4",
        "now": "v4",
        "2999-01-01T00:00:00Z": "v4",
    }
    for instant, name in at.items():
        found = await p2.get(f"/systems/{system_id}", params={"datetime": instant})
        assert found.status_code == 200 and found.json()["properties"]["name"] == name, (instant, found.text)
        assert_valid(PART1 + "geojson/system.json", found.json())
    sml = await p2.get(f"/systems/{system_id}", params={"datetime": periods[0][0], "f": "sml"})
    assert sml.json()["label"] == "v1"
    assert_error(await p2.get(f"/systems/{system_id}", params={"datetime": "2000-01-01T00:00:00Z"}), 404)
    for bad in ("then", f"{periods[0][0]}/..", "../2030-01-01T00:00:00Z"):
        assert_bad_param(await p2.get(f"/systems/{system_id}", params={"datetime": bad}), "datetime")
    # a revision can be deleted
    assert (await p2.delete(f"/systems/{system_id}/history/{history[1]['id']}")).status_code == 204
    assert_error(await p2.get(f"/systems/{system_id}/history/{history[1]['id']}"), 404)
    assert len(await walk(p2, f"/systems/{system_id}/history")) == 2
    assert_error(await p2.get("/systems/nope/history"), 404)
    assert_error(await p2.get(f"/systems/{system_id}/history/nope"), 404)
    # deleting the system removes its history
    assert (await p2.delete(f"/systems/{system_id}")).status_code == 204
    assert_error(await p2.get(f"/systems/{system_id}/history/{history[0]['id']}"), 404)
