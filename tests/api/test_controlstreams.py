"""Control streams (Part 2 `/conf/controlstream`, CRD/UPD §10): create, read, command schema per format,
associations, replace/patch/delete with the 409 rules, nested system paths."""

from __future__ import annotations

import httpx

from tests.api.part2_support import (
    BASE,
    GEO,
    ISSUE_TIME,
    JSON,
    SWE_BINARY,
    SWE_CSV,
    SWE_JSON,
    assert_bad_param,
    assert_error,
    controlstream_body,
    example,
    get_json,
    ids_at,
    local_id,
    new_stream,
    new_system,
    post_json,
    quantity,
    rels,
    sampling_feature_body,
    swe_datastream_body,
    walk,
)

PAN = "http://sensorml.com/ont/swe/property/PanAngle"
ZOOM = "http://sensorml.com/ont/swe/property/ZoomFactor"


async def _ptz(client: httpx.AsyncClient, uid: str = "urn:x-p2:sys:camera") -> tuple[str, str]:
    system_id = await new_system(client, uid, "Camera")
    return system_id, await new_stream(
        client, system_id, "controlstreams", example("controlstreams/controlstream-ptz-create.json")
    )


async def test_the_official_example_creates_a_sync_control_stream(p2: httpx.AsyncClient) -> None:
    system_id, cs_id = await _ptz(p2)
    doc = await get_json(p2, f"/controlstreams/{cs_id}")
    assert doc["name"] == "Garage Video Camera 001 - PTZ Control" and doc["inputName"] == "ptz"
    assert doc["async"] is False and doc["live"] is True
    assert doc["issueTime"] is None and doc["executionTime"] is None
    assert {p["definition"] for p in doc["controlledProperties"]} == {PAN, ZOOM}
    assert doc["system@link"]["href"] == f"{BASE}/systems/{system_id}"
    links = rels(doc)
    for rel in ("self", "commands", "schema", "system", "samplingFeatures", "featuresOfInterest"):
        assert (await p2.get(links[rel])).status_code == 200, rel
    system = await get_json(p2, f"/systems/{system_id}")
    assert await ids_at(p2, rels(system)["controlstreams"]) == {cs_id}


async def test_command_schema_in_every_format(p2: httpx.AsyncClient) -> None:
    _, cs_id = await _ptz(p2)
    formats = (await get_json(p2, f"/controlstreams/{cs_id}"))["formats"]
    assert formats == [JSON, SWE_JSON, SWE_CSV, SWE_BINARY]
    default = await get_json(p2, f"/controlstreams/{cs_id}/schema")  # cmdFormat is optional: JSON
    assert default["commandFormat"] == JSON
    assert [f["name"] for f in default["parametersSchema"]["fields"]] == ["pan", "tilt", "zoom"]
    for fmt in formats[1:]:
        schema = await get_json(p2, f"/controlstreams/{cs_id}/schema", cmdFormat=fmt)
        fields = schema["recordSchema"]["fields"]
        assert schema["commandFormat"] == fmt
        assert fields[0]["type"] == "Time" and fields[0]["definition"] == ISSUE_TIME
        assert [f["name"] for f in fields[1:]] == ["pan", "tilt", "zoom"]
    assert_bad_param(await p2.get(f"/controlstreams/{cs_id}/schema", params={"cmdFormat": "image/png"}), "cmdFormat")


async def test_a_control_stream_created_with_an_swe_csv_schema(p2: httpx.AsyncClient) -> None:
    system_id = await new_system(p2, "urn:x-p2:sys:csv")
    schema = example("schemas/commandSchema-ptz-swecsv.json")
    cs_id = await new_stream(p2, system_id, "controlstreams", swe_datastream_body("PTZ (CSV)", schema))
    served = await get_json(p2, f"/controlstreams/{cs_id}/schema", cmdFormat=SWE_CSV)
    assert served == schema
    as_json = await get_json(p2, f"/controlstreams/{cs_id}/schema", cmdFormat=JSON)
    assert [f["name"] for f in as_json["parametersSchema"]["fields"]] == ["pan", "tilt", "zoom"]
    swejson = example("schemas/commandSchema-ptz-swejson.json")
    other = await new_stream(p2, system_id, "controlstreams", swe_datastream_body("PTZ (SWE JSON)", swejson))
    assert await get_json(p2, f"/controlstreams/{other}/schema", cmdFormat=SWE_JSON) == swejson


async def test_invalid_control_stream_bodies_are_400(p2: httpx.AsyncClient) -> None:
    system_id = await new_system(p2, "urn:x-p2:sys:bad")
    path = f"/systems/{system_id}/controlstreams"
    pan = quantity("pan", PAN, "deg")
    cases = [
        ({"name": "no schema"}, "schema"),
        ({"name": "x", "schema": {"commandFormat": JSON}}, "parametersSchema"),
        (controlstream_body("x", {**pan, "uom": None}), "schema"),
        (controlstream_body("x", pan, type="observation"), "type"),
        (controlstream_body("x", pan, **{"async": "no"}), "async"),
        (
            {
                "name": "x",
                "schema": {"commandFormat": SWE_CSV, "recordSchema": {"type": "DataRecord", "fields": [pan]}},
            },
            "IssueTime",
        ),
    ]
    for body, word in cases:
        assert_error(await p2.post(path, json=body), 400, word)
    assert (await p2.post("/controlstreams", json=controlstream_body("x", pan))).status_code == 405
    assert_error(await p2.post("/systems/nope/controlstreams", json=controlstream_body("x", pan)), 404)


async def test_schema_change_with_commands_is_409_and_delete_needs_cascade(p2: httpx.AsyncClient) -> None:
    system_id, cs_id = await _ptz(p2)
    body = example("controlstreams/controlstream-ptz-create.json")
    changed = {**body, "schema": {"commandFormat": JSON, "parametersSchema": quantity("zoom", ZOOM, "%")}}
    assert (await p2.put(f"/controlstreams/{cs_id}", json=changed)).status_code == 204  # no commands yet
    assert (await p2.put(f"/controlstreams/{cs_id}", json=body)).status_code == 204
    r = await post_json(p2, f"/controlstreams/{cs_id}/commands", example("commands/command-ptz-create.json"))
    command_url = r.headers["location"]
    assert_error(await p2.put(f"/controlstreams/{cs_id}", json=changed), 409, "schema")
    assert_error(await p2.patch(f"/controlstreams/{cs_id}", json={"schema": changed["schema"]}), 409, "schema")
    assert_error(await p2.put(f"/controlstreams/{cs_id}/schema", json=changed["schema"]), 409, "schema")
    assert (await p2.patch(f"/controlstreams/{cs_id}", json={"name": "PTZ", "async": True})).status_code == 204
    doc = await get_json(p2, f"/controlstreams/{cs_id}")
    assert doc["name"] == "PTZ" and doc["async"] is True and doc["issueTime"] is not None
    assert_error(await p2.delete(f"/controlstreams/{cs_id}"), 409, "cascade")
    assert_error(await p2.delete(f"/systems/{system_id}/controlstreams/{cs_id}"), 409, "cascade")
    assert (
        await p2.delete(f"/systems/{system_id}/controlstreams/{cs_id}", params={"cascade": "true"})
    ).status_code == 204
    assert_error(await p2.get(f"/controlstreams/{cs_id}"), 404)
    assert_error(await p2.get(command_url), 404)
    assert await walk(p2, "/commands") == []


async def test_nested_system_paths_and_sampling_features(p2: httpx.AsyncClient) -> None:
    system_id, cs_id = await _ptz(p2)
    other = await new_system(p2, "urn:x-p2:sys:other")
    nested = f"/systems/{system_id}/controlstreams/{cs_id}"
    r = await p2.get(nested)
    assert r.status_code == 200 and rels(r.json())["canonical"] == f"{BASE}/controlstreams/{cs_id}"
    assert_error(await p2.get(f"/systems/{other}/controlstreams/{cs_id}"), 404)
    assert (await p2.patch(nested, json={"description": "garage"})).status_code == 204
    body = example("controlstreams/controlstream-ptz-create.json")
    r = await p2.post(
        f"/systems/{system_id}/samplingFeatures",
        json=sampling_feature_body("urn:x-p2:sf:garage", "garage", "urn:x-p2:foi:house"),
        headers={"Content-Type": GEO},
    )
    sf_id = local_id(r.headers["location"])
    body["samplingFeature@link"] = {"href": f"{BASE}/samplingFeatures/{sf_id}"}
    assert (await p2.put(nested, json=body)).status_code == 204
    assert (await get_json(p2, f"/controlstreams/{cs_id}"))["samplingFeature@link"]["href"].endswith(sf_id)
    assert await ids_at(p2, f"/controlstreams/{cs_id}/samplingFeatures") == {sf_id}
    assert await ids_at(p2, f"/controlstreams/{cs_id}/featuresOfInterest") == set()  # the house is not hosted here
    assert (await p2.delete(nested)).status_code == 204
    assert await ids_at(p2, "/controlstreams") == set()
