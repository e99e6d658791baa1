"""Datastreams (Part 2 `/conf/datastream`, CRD/UPD §10): create, read, schema per format, associations,
replace/patch/delete with the 409 rules, nested system paths, sampling features."""

from __future__ import annotations

from typing import Any

import httpx

from bridge.model.csapi import Datastream
from bridge.store.sql.store import SqlStore
from tests.api.part2_support import (
    AIR_TEMP,
    BASE,
    GEO,
    JSON,
    SWE_BINARY,
    SWE_CSV,
    SWE_JSON,
    SWE_TEXT,
    assert_bad_param,
    assert_error,
    datastream_body,
    example,
    get_json,
    ids_at,
    local_id,
    new_stream,
    new_system,
    post_json,
    post_observations,
    quantity,
    rels,
    sampling_feature_body,
    walk,
)

HUMIDITY = "http://mmisw.org/ont/cf/parameter/relative_humidity"


async def _sampling_feature(client: httpx.AsyncClient, system_id: str, uid: str, sampled: str) -> str:
    body = sampling_feature_body(uid, uid.rsplit(":", 1)[-1], sampled)
    r = await client.post(f"/systems/{system_id}/samplingFeatures", json=body, headers={"Content-Type": GEO})
    assert r.status_code == 201, r.text
    return local_id(r.headers["location"])


async def _thermometer(client: httpx.AsyncClient, uid: str = "urn:x-p2:sys:thermo") -> tuple[str, str]:
    """A system and a scalar temperature datastream (the official create example, minus its remote links)."""
    system_id = await new_system(client, uid, "Thermometer")
    body = example("datastreams/datastream-simple-create.json")
    del body["samplingFeature@link"]
    return system_id, await new_stream(client, system_id, "datastreams", body)


async def test_the_official_create_example_needs_a_local_sampling_feature(p2: httpx.AsyncClient) -> None:
    system_id = await new_system(p2, "urn:x-p2:sys:1")
    body = example("datastreams/datastream-simple-create.json")
    r = await p2.post(f"/systems/{system_id}/datastreams", json=body)
    assert_error(r, 400, "samplingFeature@link")  # it points at https://data.example.org/api/samplingFeatures/4478
    sf_id = await _sampling_feature(
        p2, system_id, "urn:x-p2:sf:room", "https://data.example.org/api/collections/b/items/754"
    )
    body["samplingFeature@link"] = {"href": f"{BASE}/samplingFeatures/{sf_id}", "title": "Thermometer Sampling Point"}
    ds_id = await new_stream(p2, system_id, "datastreams", body)
    doc = await get_json(p2, f"/datastreams/{ds_id}")
    assert doc["samplingFeature@link"]["href"] == f"{BASE}/samplingFeatures/{sf_id}"
    assert doc["featureOfInterest@link"]["href"] == "https://data.example.org/api/collections/buildings/items/754"
    assert await ids_at(p2, f"/datastreams/{ds_id}/samplingFeatures") == {sf_id}


async def test_a_new_datastream_has_null_server_generated_members_until_it_has_observations(
    p2: httpx.AsyncClient,
) -> None:
    _, ds_id = await _thermometer(p2)
    doc = await get_json(p2, f"/datastreams/{ds_id}")
    for member in ("observedProperties", "phenomenonTime", "resultTime", "resultType"):
        assert doc[member] is None, member
    assert doc["formats"] == [JSON, SWE_JSON, SWE_CSV, SWE_BINARY]
    await post_observations(
        p2,
        ds_id,
        [
            {"phenomenonTime": "2021-03-15T04:50:00Z", "resultTime": "2021-03-15T04:53:34Z", "result": 23.5},
            {"phenomenonTime": "2021-03-15T04:40:00Z", "resultTime": "2021-03-15T04:55:00Z", "result": 22.0},
        ],
    )
    doc = await get_json(p2, f"/datastreams/{ds_id}")
    assert doc["phenomenonTime"] == ["2021-03-15T04:40:00Z", "2021-03-15T04:50:00Z"]
    assert doc["resultTime"] == ["2021-03-15T04:53:34Z", "2021-03-15T04:55:00Z"]
    assert doc["resultType"] == "measure"
    assert doc["observedProperties"] == [{"definition": AIR_TEMP, "label": "Room Temperature"}]


async def test_datastream_links_resolve(p2: httpx.AsyncClient) -> None:
    system_id, ds_id = await _thermometer(p2)
    doc = await get_json(p2, f"/datastreams/{ds_id}")
    links = rels(doc)
    assert links["self"] == f"{BASE}/datastreams/{ds_id}"
    assert doc["system@link"]["href"] == links["system"] == f"{BASE}/systems/{system_id}"
    for rel in ("self", "observations", "schema", "system", "samplingFeatures", "featuresOfInterest"):
        r = await p2.get(links[rel])
        assert r.status_code == 200, (rel, r.text)
    # the system links back to its datastreams
    system = await get_json(p2, f"/systems/{system_id}")
    assert ds_id in await ids_at(p2, rels(system)["datastreams"])
    # in a listing each item points to its canonical URL
    listed = (await get_json(p2, "/datastreams"))["items"][0]
    assert rels(listed)["canonical"] == f"{BASE}/datastreams/{ds_id}"


async def test_schema_is_served_in_every_advertised_format(p2: httpx.AsyncClient) -> None:
    _, ds_id = await _thermometer(p2)
    doc = await get_json(p2, f"/datastreams/{ds_id}")
    for fmt in [*doc["formats"], SWE_TEXT, "application/vnd.ogc.swe+json", "text/csv"]:
        schema = await get_json(p2, f"/datastreams/{ds_id}/schema", obsFormat=fmt)
        assert schema["obsFormat"] in doc["formats"] + [SWE_TEXT]
    json_schema = await get_json(p2, f"/datastreams/{ds_id}/schema", obsFormat=JSON)
    assert json_schema["resultSchema"]["definition"] == AIR_TEMP
    csv = await get_json(p2, f"/datastreams/{ds_id}/schema", obsFormat=SWE_CSV)
    assert csv["encoding"]["tokenSeparator"] == "," and csv["encoding"]["blockSeparator"] == "\n"
    fields = csv["recordSchema"]["fields"]
    assert (
        fields[0]["type"] == "Time"
        and fields[0]["definition"] == "http://www.opengis.net/def/property/OGC/0/SamplingTime"
    )
    assert fields[1]["name"] == "temp"
    binary = await get_json(p2, f"/datastreams/{ds_id}/schema", obsFormat=SWE_BINARY)
    assert [m["ref"] for m in binary["encoding"]["members"]] == ["/time", "/temp"]


async def test_schema_needs_a_known_obs_format(p2: httpx.AsyncClient) -> None:
    _, ds_id = await _thermometer(p2)
    assert_bad_param(await p2.get(f"/datastreams/{ds_id}/schema"), "obsFormat")
    assert_bad_param(await p2.get(f"/datastreams/{ds_id}/schema", params={"obsFormat": "text/html"}), "obsFormat")
    assert_error(await p2.get("/datastreams/nope/schema", params={"obsFormat": JSON}), 404)


async def test_invalid_creation_bodies_are_400_naming_the_member(p2: httpx.AsyncClient) -> None:
    system_id = await new_system(p2, "urn:x-p2:sys:1")
    path = f"/systems/{system_id}/datastreams"
    temp = quantity("temp", AIR_TEMP)
    cases: list[tuple[Any, str]] = [
        ({"name": "no schema"}, "schema"),
        (datastream_body("", temp), "name"),
        ({"schema": {"obsFormat": JSON, "resultSchema": temp}}, "name"),
        (datastream_body("x", {"type": "Quantity"}), "schema"),
        (datastream_body("x", {**temp, "type": "Bogus"}), "schema"),
        ({"name": "x", "schema": {"obsFormat": "application/xml", "resultSchema": temp}}, "obsFormat"),
        (
            {"name": "x", "schema": {"obsFormat": SWE_CSV, "recordSchema": {"type": "DataRecord", "fields": [temp]}}},
            "Time",
        ),
        (datastream_body("x", temp, validTime=["2020-01-01T00:00:00Z"]), "validTime"),
        (datastream_body("x", temp, type="bogus"), "type"),
        (datastream_body("x", temp, live="yes"), "live"),
        ([datastream_body("x", temp)], "object"),
    ]
    for body, word in cases:
        assert_error(await p2.post(path, json=body), 400, word)
    assert await ids_at(p2, "/datastreams") == set()


async def test_create_only_under_an_existing_system(p2: httpx.AsyncClient) -> None:
    body = datastream_body("x", quantity("temp", AIR_TEMP))
    assert_error(await p2.post("/systems/nope/datastreams", json=body), 404)
    assert (await p2.post("/datastreams", json=body)).status_code == 405


async def test_put_and_patch_change_a_datastream_without_observations_freely(p2: httpx.AsyncClient) -> None:
    _, ds_id = await _thermometer(p2)
    new = datastream_body("Humidity", quantity("rh", HUMIDITY, "%"), description="moved", outputName="rh")
    r = await p2.put(f"/datastreams/{ds_id}", json=new)
    assert r.status_code == 204, r.text
    doc = await get_json(p2, f"/datastreams/{ds_id}")
    assert (doc["name"], doc["description"], doc["outputName"]) == ("Humidity", "moved", "rh")
    schema = await get_json(p2, f"/datastreams/{ds_id}/schema", obsFormat=JSON)
    assert schema["resultSchema"]["definition"] == HUMIDITY
    r = await p2.patch(f"/datastreams/{ds_id}", json={"description": None, "name": "RH"})
    assert r.status_code == 204, r.text
    doc = await get_json(p2, f"/datastreams/{ds_id}")
    assert doc["name"] == "RH" and "description" not in doc and doc["outputName"] == "rh"
    r = await p2.put(f"/datastreams/{ds_id}/schema", json={"obsFormat": JSON, "resultSchema": quantity("t", AIR_TEMP)})
    assert r.status_code == 204, r.text
    assert (await get_json(p2, f"/datastreams/{ds_id}/schema", obsFormat=JSON))["resultSchema"]["name"] == "t"


async def test_schema_change_once_observations_exist_is_409(p2: httpx.AsyncClient) -> None:
    _, ds_id = await _thermometer(p2)
    await post_observations(p2, ds_id, example("observations/obs-simple-create.json"))
    current = example("datastreams/datastream-simple-create.json")
    del current["samplingFeature@link"]
    changed = {**current, "schema": {"obsFormat": JSON, "resultSchema": quantity("rh", HUMIDITY, "%")}}
    assert_error(await p2.put(f"/datastreams/{ds_id}", json=changed), 409, "schema")
    assert_error(await p2.patch(f"/datastreams/{ds_id}", json={"schema": changed["schema"]}), 409, "schema")
    assert_error(await p2.put(f"/datastreams/{ds_id}/schema", json=changed["schema"]), 409, "schema")
    # the same schema with other members is fine
    assert (await p2.put(f"/datastreams/{ds_id}", json={**current, "name": "renamed"})).status_code == 204
    assert (await p2.patch(f"/datastreams/{ds_id}", json={"live": True})).status_code == 204
    doc = await get_json(p2, f"/datastreams/{ds_id}")
    assert doc["name"] == "renamed" and doc["live"] is True
    assert (await get_json(p2, f"/datastreams/{ds_id}/schema", obsFormat=JSON))["resultSchema"]["name"] == "temp"


async def test_delete_with_observations_is_409_unless_cascade(p2: httpx.AsyncClient) -> None:
    _, ds_id = await _thermometer(p2)
    r = await post_observations(p2, ds_id, [example("observations/obs-simple-create.json")] * 3)
    obs_urls = r.json()["items"]
    assert_error(await p2.delete(f"/datastreams/{ds_id}"), 409, "cascade")
    assert len(await walk(p2, f"/datastreams/{ds_id}/observations")) == 3
    assert (await p2.delete(f"/datastreams/{ds_id}", params={"cascade": "true"})).status_code == 204
    assert_error(await p2.get(f"/datastreams/{ds_id}"), 404)
    for url in obs_urls:
        assert_error(await p2.get(url), 404)
    assert await walk(p2, "/observations") == []
    # a datastream without observations is deleted without cascade
    _, empty = await _thermometer(p2, "urn:x-p2:sys:thermo2")
    assert (await p2.delete(f"/datastreams/{empty}")).status_code == 204


async def test_nested_system_paths_read_replace_patch_and_delete(p2: httpx.AsyncClient) -> None:
    system_id, ds_id = await _thermometer(p2)
    other = await new_system(p2, "urn:x-p2:sys:other")
    nested = f"/systems/{system_id}/datastreams/{ds_id}"
    r = await p2.get(nested)
    assert r.status_code == 200
    assert rels(r.json())["canonical"] == f"{BASE}/datastreams/{ds_id}"
    assert r.headers["link"] == f'<{BASE}/datastreams/{ds_id}>; rel="canonical"'
    assert_error(await p2.get(f"/systems/{other}/datastreams/{ds_id}"), 404)
    assert_error(await p2.delete(f"/systems/{other}/datastreams/{ds_id}"), 404)
    body = datastream_body("Renamed", quantity("temp", AIR_TEMP))
    assert (await p2.put(nested, json=body)).status_code == 204
    assert (await p2.patch(nested, json={"description": "via system"})).status_code == 204
    doc = await get_json(p2, f"/datastreams/{ds_id}")
    assert (doc["name"], doc["description"]) == ("Renamed", "via system")
    await post_observations(p2, ds_id, example("observations/obs-simple-create.json"))
    assert_error(await p2.delete(nested), 409)
    assert (await p2.delete(nested, params={"cascade": "true"})).status_code == 204
    assert await ids_at(p2, f"/systems/{system_id}/datastreams") == set()


async def test_system_datastreams_include_subsystems_and_deleting_the_system_cascades(p2: httpx.AsyncClient) -> None:
    system_id, ds_id = await _thermometer(p2)
    r = await p2.post(
        f"/systems/{system_id}/subsystems",
        json={
            "type": "Feature",
            "geometry": None,
            "properties": {"uid": "urn:x-p2:sys:sub", "name": "Sub", "featureType": "http://www.w3.org/ns/sosa/Sensor"},
        },
        headers={"Content-Type": GEO},
    )
    assert r.status_code == 201, r.text
    sub_id = local_id(r.headers["location"])
    sub_ds = await new_stream(p2, sub_id, "datastreams", datastream_body("sub", quantity("t", AIR_TEMP)))
    await post_observations(p2, sub_ds, example("observations/obs-simple-create.json"))
    assert await ids_at(p2, f"/systems/{system_id}/datastreams") == {ds_id, sub_ds}
    assert await ids_at(p2, f"/systems/{sub_id}/datastreams") == {sub_ds}
    assert_error(await p2.delete(f"/systems/{system_id}"), 409)
    assert (await p2.delete(f"/systems/{system_id}", params={"cascade": "true"})).status_code == 204
    assert await ids_at(p2, "/datastreams") == set()
    assert await walk(p2, "/observations") == []


async def test_sampling_features_and_features_of_interest_of_a_datastream(p2: httpx.AsyncClient) -> None:
    system_id, ds_id = await _thermometer(p2)
    well = await _sampling_feature(p2, system_id, "urn:x-p2:sf:well", "urn:x-p2:foi:aquifer")
    core = await _sampling_feature(p2, system_id, "urn:x-p2:sf:core", f"{BASE}/samplingFeatures/{well}")
    other = await _sampling_feature(p2, system_id, "urn:x-p2:sf:other", "urn:x-p2:foi:aquifer")
    assert await ids_at(p2, f"/datastreams/{ds_id}/samplingFeatures") == set()
    await post_observations(
        p2,
        ds_id,
        [
            {"resultTime": "2021-01-01T00:00:00Z", "result": 1.0, "samplingFeature@id": core},
            {"resultTime": "2021-01-01T00:01:00Z", "result": 2.0, "foi@id": other},  # the examples' member name
        ],
    )
    assert await ids_at(p2, f"/datastreams/{ds_id}/samplingFeatures") == {core, other}
    assert await ids_at(p2, f"/datastreams/{ds_id}/samplingFeatures", id=core) == {core}
    assert await ids_at(p2, f"/datastreams/{ds_id}/samplingFeatures", id="urn:x-p2:sf:o*") == {other}
    assert await ids_at(p2, f"/datastreams/{ds_id}/samplingFeatures", id=well) == set()
    # the aquifer is not hosted here; the well (sampled by the core) is
    assert await ids_at(p2, f"/datastreams/{ds_id}/featuresOfInterest") == {well}
    assert_error(await p2.get("/datastreams/nope/samplingFeatures"), 404)
    assert_bad_param(await p2.get(f"/datastreams/{ds_id}/samplingFeatures", params={"bbox": "1,2"}), "bbox")


async def test_observations_naming_an_unknown_sampling_feature_are_rejected(p2: httpx.AsyncClient) -> None:
    _, ds_id = await _thermometer(p2)
    r = await post_observations(
        p2, ds_id, [{"resultTime": "2021-01-01T00:00:00Z", "result": 1.0, "samplingFeature@id": "nope"}], status=400
    )
    assert "nope" in r.json()["description"]
    assert await walk(p2, f"/datastreams/{ds_id}/observations") == []


async def test_listing_pages_follow_next_links(p2: httpx.AsyncClient) -> None:
    system_id = await new_system(p2, "urn:x-p2:sys:many")
    created = {
        await new_stream(p2, system_id, "datastreams", datastream_body(f"ds{i}", quantity("t", AIR_TEMP)))
        for i in range(7)
    }
    items = await walk(p2, "/datastreams", limit=3)
    assert {i["id"] for i in items} == created and len(items) == 7
    first = await get_json(p2, "/datastreams", limit=3)
    assert len(first["items"]) == 3 and rels(first)["next"].startswith(f"{BASE}/datastreams?")
    assert_bad_param(await p2.get("/datastreams", params={"cursor": "garbage!"}), "cursor")
    await post_json(p2, f"/systems/{system_id}/datastreams", datastream_body("one more", quantity("t", AIR_TEMP)))
    assert len(await walk(p2, f"/systems/{system_id}/datastreams", limit=5)) == 8


async def test_a_harvested_schema_is_kept_as_it_is_but_a_new_one_must_be_valid(
    p2: httpx.AsyncClient, store: SqlStore
) -> None:
    system_id = await new_system(p2, "urn:x-p2:sys:harvested")
    no_label = {
        "name": "t",
        "type": "Quantity",
        "definition": AIR_TEMP,
        "uom": {"code": "Cel"},
    }  # as a mapping may give
    schema = {"obsFormat": JSON, "resultSchema": no_label}
    ds = await store.create_stream(Datastream(system_id=system_id, name="harvested", schema=schema), "num")
    assert (await p2.patch(f"/datastreams/{ds.id}", json={"description": "edited"})).status_code == 204
    assert (await get_json(p2, f"/datastreams/{ds.id}"))["description"] == "edited"
    changed = {"obsFormat": JSON, "resultSchema": {**no_label, "name": "temp"}}
    assert_error(await p2.patch(f"/datastreams/{ds.id}", json={"schema": changed}), 400, "resultSchema")
