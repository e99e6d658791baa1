"""Create / replace / update (Req 60-76, Feat-4): status codes, Location, bodies (deletes: test_delete.py)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.api.support import (
    BASE,
    GEO,
    JSON,
    SML,
    SOSA,
    assert_error,
    create,
    doc,
    geo_deployment,
    geo_system,
    load,
    point,
    sampling_feature,
    sml_deployment,
    sml_process,
    sml_property,
)

MERGE = "application/merge-patch+json"


async def post(api: httpx.AsyncClient, path: str, body: Any, media_type: str | None = GEO) -> httpx.Response:
    headers = {"Content-Type": media_type} if media_type is not None else {}
    return await api.post(path, content=body if isinstance(body, bytes) else json.dumps(body), headers=headers)


# ------------------------------------------------------------------------------------------------
# Create
# ------------------------------------------------------------------------------------------------


async def test_create_returns_201_and_location_and_ignores_the_body_id(api: httpx.AsyncClient) -> None:
    body = geo_system("urn:x-test:sys:a", "A")
    body["id"] = "chosen-by-client"
    r = await post(api, "/systems", body)
    assert r.status_code == 201 and r.content == b""
    rid = r.headers["location"].rsplit("/", 1)[-1]
    assert r.headers["location"] == f"{BASE}/systems/{rid}" and rid != "chosen-by-client"
    assert (await doc(api, r.headers["location"]))["id"] == rid
    assert (await api.get("/systems/chosen-by-client")).status_code == 404


async def test_every_kind_is_created_at_its_canonical_url(api: httpx.AsyncClient) -> None:
    cases = [
        ("/systems", "systems", geo_system("urn:x-test:sys:a", "A")),
        ("/deployments", "deployments", geo_deployment("urn:x-test:dep:a", "A", ["2020-01-01T00:00:00Z", "now"])),
        (
            "/procedures",
            "procedures",
            sml_process("urn:x-test:proc:a", "A", SOSA + "ObservingProcedure", "SimpleProcess"),
        ),
        (
            "/properties",
            "properties",
            sml_property("urn:x-test:prop:a", "A", "http://qudt.org/vocab/quantitykind/Mass"),
        ),
        ("/collections/all_systems/items", "systems", geo_system("urn:x-test:sys:b", "B")),
    ]
    for path, kind, body in cases:
        rid = await create(api, path, body)
        assert (await api.get(f"/{kind}/{rid}")).status_code == 200


async def test_duplicate_uid_is_409_wherever_it_is_posted(api: httpx.AsyncClient) -> None:
    parent = await create(api, "/systems", geo_system("urn:x-test:sys:a", "A"))
    dup = geo_system("urn:x-test:sys:a", "Another")
    for path in ("/systems", f"/systems/{parent}/subsystems", "/collections/all_systems/items"):
        assert_error(await post(api, path, dup), 409, "urn:x-test:sys:a")
    sml = sml_process("urn:x-test:sys:a", "Again", SOSA + "Sensor")
    assert_error(await post(api, "/systems", sml, SML), 409)
    assert len((await doc(api, "/systems?recursive=true"))["features"]) == 1


def _without(body: dict[str, Any], *path: str) -> dict[str, Any]:
    copy = json.loads(json.dumps(body))
    target = copy
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return copy


INVALID_BODIES = [
    ("/systems", _without(geo_system("urn:x-test:s", "S"), "properties", "name"), GEO, "name"),
    ("/systems", geo_system("urn:x-test:s", "S", kind="Thing"), GEO, "featureType"),
    ("/systems", geo_system("urn:x-test:s", "S", validTime=["2020-01-01T00:00:00Z"]), GEO, "validTime"),
    ("/systems", geo_system("urn:x-test:s", "S", validTime=["2021-01-01", "2020-01-01"]), GEO, "validTime"),
    ("/systems", geo_system("urn:x-test:s", "S", description=""), GEO, "description"),
    ("/systems", geo_system("no uri", "S"), GEO, "uid"),
    ("/systems", geo_system("urn:x-test:s", "S", geometry={"type": "Point", "coordinates": [1]}), GEO, "geometry"),
    ("/systems", _without(sml_process("urn:x-test:s", "S", SOSA + "Sensor"), "uniqueId"), SML, "uniqueId"),
    ("/systems", _without(sml_process("urn:x-test:s", "S", SOSA + "Sensor"), "label"), SML, "label"),
    ("/systems", {**sml_process("urn:x-test:s", "S", SOSA + "Sensor"), "type": "Robot"}, SML, "type"),
    ("/deployments", geo_deployment("urn:x-test:d", "D", ["now"]), GEO, "validTime"),
    (
        "/deployments",
        _without(geo_deployment("urn:x-test:d", "D", ["2020-01-01T00:00:00Z", "now"]), "properties", "validTime"),
        GEO,
        "validTime",
    ),
    (
        "/properties",
        _without(sml_property("urn:x-test:p", "P", "urn:x-test:base"), "baseProperty"),
        SML,
        "baseProperty",
    ),
    ("/procedures", geo_system("urn:x-test:p", "P", kind="Platform", geometry=point(1, 2)), GEO, "geometry"),
]


async def test_invalid_body_is_400_naming_the_json_path(api: httpx.AsyncClient) -> None:
    for path, body, media, where in INVALID_BODIES:
        assert_error(await post(api, path, body, media), 400, where)


async def test_minimal_geojson_bodies_get_a_uid_and_the_endpoint_type(api: httpx.AsyncClient) -> None:
    """OpenSensorHub-style clients send only a name: the UID is minted, the featureType follows the endpoint."""
    minimal = {"type": "Feature", "geometry": None, "properties": {"name": "Minimal"}}
    for path, feature_type in (("/systems", "sosa:System"), ("/procedures", "sosa:Procedure")):
        r = await post(api, path, minimal, GEO)
        assert r.status_code == 201, r.text
        stored = (await api.get(r.headers["location"], params={"f": "geojson"})).json()["properties"]
        assert stored["uid"].startswith("urn:uuid:") and stored["featureType"] == feature_type
    second = await post(api, "/systems", minimal, GEO)  # a new UID each time: no clash
    assert second.status_code == 201
    sid = second.headers["location"].rsplit("/", 1)[1]
    uid = (await api.get(f"/systems/{sid}")).json()["properties"]["uid"]
    assert (await api.put(f"/systems/{sid}", json=minimal, headers={"content-type": GEO})).status_code == 204
    assert (await api.get(f"/systems/{sid}")).json()["properties"]["uid"] == uid  # a PUT keeps the stored UID
    bad = {"type": "Feature", "geometry": None, "properties": {"name": "M", "validTime": ["x"]}}
    assert (await post(api, "/systems", bad, GEO)).status_code == 400  # the rest is still validated


async def test_bodies_that_are_not_a_resource_are_400(api: httpx.AsyncClient) -> None:
    raws = [b"", b"   ", b"<System/>", b"{not json", b"[]", b"42", b'"text"', b"null", b"\xff\xfe", b'{"a":1}']
    for media in (GEO, SML, JSON, "text/xml", None):
        for raw in raws:
            r = await post(api, "/systems", raw, media)
            assert r.status_code == 400, (media, raw, r.text)


async def test_json_is_accepted_whatever_its_label(api: httpx.AsyncClient) -> None:
    """Mislabelled JSON is read as JSON — except text/plain, which a browser sends cross-site without asking."""
    labels = ["text/xml", "", None, JSON, "application/json; charset=utf-8", "application/xml"]
    for i, media in enumerate(labels):
        assert (await post(api, "/systems", geo_system(f"urn:x-test:sys:g{i}", "G"), media)).status_code == 201
        sml = sml_process(f"urn:x-test:sys:s{i}", "S", SOSA + "Sensor")
        assert (await post(api, "/systems", sml, media)).status_code == 201
        prop = sml_property(f"urn:x-test:prop:p{i}", "P", "urn:x-test:base")
        assert (await post(api, "/properties", prop, media)).status_code == 201


async def test_text_plain_and_form_bodies_are_415_on_writes(api: httpx.AsyncClient) -> None:
    for media in (
        "text/plain",
        "text/plain; charset=utf-8",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        assert_error(await post(api, "/systems", geo_system("urn:x-test:sys:plain", "P"), media), 415)
    assert (await api.get("/systems", params={"id": "urn:x-test:sys:plain"})).json()["features"] == []


async def test_the_vnd_sensorml_type_is_accepted_for_writes(api: httpx.AsyncClient) -> None:
    sml = sml_process("urn:x-test:sys:s", "S", SOSA + "Sensor")
    assert (await post(api, "/systems", sml, "application/vnd.ogc.sml+json")).status_code == 201


async def test_the_other_encoding_is_415_where_a_type_has_one(api: httpx.AsyncClient) -> None:
    system = await create(api, "/systems", geo_system("urn:x-test:sys:a", "A"))
    sf = sml_process("urn:x-test:sf:a", "A", SOSA + "Sample")
    assert_error(await post(api, f"/systems/{system}/samplingFeatures", sf, SML), 415)
    prop = {"type": "Feature", "geometry": None, "properties": {"uid": "urn:x:p", "name": "P", "featureType": "x"}}
    assert_error(await post(api, "/properties", prop, GEO), 415)


async def test_create_under_unknown_parents_and_where_not_allowed(api: httpx.AsyncClient) -> None:
    body = sampling_feature("urn:x-test:sf:a", "A", {"href": "urn:x-test:foi"})
    for path, status in [
        ("/systems/nosuch/subsystems", 404),
        ("/systems/nosuch/samplingFeatures", 404),
        ("/deployments/nosuch/subdeployments", 404),
        ("/collections/nosuch/items", 404),
        ("/samplingFeatures", 405),
        ("/systems/nosuch", 405),
    ]:
        assert (await post(api, path, body)).status_code == status, path


async def test_system_geometry_must_be_a_point(api: httpx.AsyncClient) -> None:
    """Table 40 / D7: a GeoJSON system location is a Point (richer placement goes in SensorML)."""
    body = geo_system("urn:x-test:sys:a", "A", geometry={"type": "LineString", "coordinates": [[0, 0], [1, 1]]})
    assert_error(await post(api, "/systems", body), 400, "geometry")
    body = geo_system("urn:x-test:sys:a", "A", geometry=point(1, 2, 3))
    assert (await post(api, "/systems", body)).status_code == 201


# ------------------------------------------------------------------------------------------------
# Replace
# ------------------------------------------------------------------------------------------------


async def test_put_replaces_and_ignores_the_body_id(api: httpx.AsyncClient) -> None:
    rid = await create(api, "/systems", geo_system("urn:x-test:sys:a", "A", description="old", geometry=point(1, 2)))
    new = geo_system("urn:x-test:sys:a2", "Renamed", kind="Platform")
    new["id"] = "other"
    r = await api.put(f"/systems/{rid}", content=json.dumps(new), headers={"Content-Type": GEO})
    assert r.status_code == 204 and r.content == b""
    got = await doc(api, f"/systems/{rid}")
    assert got["id"] == rid
    assert got["properties"] == {"uid": "urn:x-test:sys:a2", "name": "Renamed", "featureType": SOSA + "Platform"}
    assert got["geometry"] is None


async def test_put_in_sensorml_of_a_subsystem_keeps_its_parent(api: httpx.AsyncClient) -> None:
    parent = await create(api, "/systems", geo_system("urn:x-test:sys:p", "P"))
    child = await create(api, f"/systems/{parent}/subsystems", geo_system("urn:x-test:sys:c", "C"))
    sml = load("part1/systems/thermometer-sensor-sml.json")
    r = await api.put(f"/systems/{child}", json=sml, headers={"Content-Type": SML})
    assert r.status_code == 204
    got = await doc(api, f"/systems/{child}", SML)
    assert got["identifiers"] == sml["identifiers"] and got["uniqueId"] == sml["uniqueId"]
    assert got["attachedTo"]["href"] == f"{BASE}/systems/{parent}"
    assert [f["id"] for f in (await doc(api, f"/systems/{parent}/subsystems"))["features"]] == [child]


async def test_put_errors(api: httpx.AsyncClient) -> None:
    a = await create(api, "/systems", geo_system("urn:x-test:sys:a", "A"))
    await create(api, "/systems", geo_system("urn:x-test:sys:b", "B"))
    body = geo_system("urn:x-test:sys:c", "C")
    assert_error(await api.put("/systems/nosuch", json=body), 404)
    assert_error(await api.put(f"/systems/{a}", json=geo_system("urn:x-test:sys:b", "B")), 409, "urn:x-test:sys:b")
    assert_error(await api.put(f"/systems/{a}", json={"type": "Feature"}), 400)
    assert_error(await api.put(f"/systems/{a}", content=b"not json"), 400)
    assert (await doc(api, f"/systems/{a}"))["properties"]["uid"] == "urn:x-test:sys:a"


async def test_put_a_deployment_resolves_local_system_uids(api: httpx.AsyncClient) -> None:
    """D25: a deployedSystems href that is the UID of a local system becomes its URL (uid kept)."""
    system = await create(api, "/systems", geo_system("urn:x-test:sys:a", "A"))
    dep = await create(api, "/deployments", geo_deployment("urn:x-test:dep:d", "D", ["2020-01-01T00:00:00Z", "now"]))
    body = sml_deployment(
        "urn:x-test:dep:d", "D", ["2020-01-01T00:00:00Z", "now"], ["urn:x-test:sys:a", "urn:x-test:ext"]
    )
    assert (await api.put(f"/deployments/{dep}", json=body, headers={"Content-Type": SML})).status_code == 204
    links = (await doc(api, f"/deployments/{dep}"))["properties"]["deployedSystems@link"]
    assert (links[0]["href"], links[0]["uid"]) == (f"{BASE}/systems/{system}", "urn:x-test:sys:a")
    assert links[1]["href"] == "urn:x-test:ext"
    assert (await doc(api, f"/systems/{system}/deployments"))["features"][0]["id"] == dep


# ------------------------------------------------------------------------------------------------
# Update (JSON merge patch, D22)
# ------------------------------------------------------------------------------------------------


async def patch(api: httpx.AsyncClient, url: str, body: Any, media: str = MERGE) -> httpx.Response:
    return await api.patch(url, content=json.dumps(body), headers={"Content-Type": media})


async def test_geojson_merge_patch(api: httpx.AsyncClient) -> None:
    body = geo_system(
        "urn:x-test:sys:a", "A", geometry=point(1, 2), description="old", validTime=["2020-01-01T00:00:00Z", "now"]
    )
    rid = await create(api, "/systems", body)
    assert (await patch(api, f"/systems/{rid}", {"properties": {"name": "B", "description": None}})).status_code == 204
    got = await doc(api, f"/systems/{rid}")
    assert got["properties"]["name"] == "B" and "description" not in got["properties"]
    assert got["geometry"] == point(1, 2) and got["properties"]["validTime"] == ["2020-01-01T00:00:00Z", "now"]
    assert (await patch(api, f"/systems/{rid}", {"geometry": point(3, 4)}, GEO)).status_code == 204
    assert (await doc(api, f"/systems/{rid}"))["geometry"] == point(3, 4)


async def test_sensorml_merge_patch_and_members_of_the_other_encoding_survive(api: httpx.AsyncClient) -> None:
    sml = sml_process(
        "urn:x-test:sys:a",
        "A",
        SOSA + "Sensor",
        outputs=["urn:x-test:prop:t"],
        identifiers=[{"definition": "urn:x-test:def:serial", "label": "Serial", "value": "42"}],
    )
    rid = await create(api, "/systems", sml)
    assert (await patch(api, f"/systems/{rid}", {"properties": {"name": "Renamed"}})).status_code == 204
    got = await doc(api, f"/systems/{rid}", SML)
    assert got["label"] == "Renamed" and got["identifiers"] == sml["identifiers"] and got["outputs"] == sml["outputs"]
    assert [f["id"] for f in (await doc(api, "/systems?observedProperty=urn:x-test:prop:t"))["features"]] == [rid]
    assert (await patch(api, f"/systems/{rid}", {"label": "Again", "identifiers": None}, SML)).status_code == 204
    got = await doc(api, f"/systems/{rid}", SML)
    assert got["label"] == "Again" and "identifiers" not in got and got["outputs"] == sml["outputs"]


async def test_patch_of_each_kind(api: httpx.AsyncClient) -> None:
    system = await create(api, "/systems", geo_system("urn:x-test:sys:a", "A"))
    sf = await create(
        api,
        f"/systems/{system}/samplingFeatures",
        sampling_feature("urn:x-test:sf:a", "SF", {"href": "urn:x-test:foi"}),
    )
    prop = await create(api, "/properties", sml_property("urn:x-test:prop:a", "P", "urn:x-test:base"))
    dep = await create(
        api,
        "/deployments",
        sml_deployment("urn:x-test:dep:a", "D", ["2020-01-01T00:00:00Z", "now"], ["urn:x-test:sys:a"]),
    )
    proc = await create(
        api, "/procedures", sml_process("urn:x-test:proc:a", "Proc", SOSA + "Procedure", "SimpleProcess")
    )
    assert (await patch(api, f"/samplingFeatures/{sf}", {"properties": {"name": "SF2"}})).status_code == 204
    assert (await patch(api, f"/properties/{prop}", {"label": "P2"})).status_code == 204
    assert (await patch(api, f"/deployments/{dep}", {"label": "D2"}, SML)).status_code == 204
    assert (await patch(api, f"/procedures/{proc}", {"properties": {"name": "Proc2"}})).status_code == 204
    assert (await doc(api, f"/samplingFeatures/{sf}"))["properties"]["name"] == "SF2"
    assert (await doc(api, f"/properties/{prop}", SML))["label"] == "P2"
    deployment = await doc(api, f"/deployments/{dep}", SML)
    assert deployment["label"] == "D2" and deployment["deployedSystems"][0]["system"]["uid"] == "urn:x-test:sys:a"
    assert (await doc(api, f"/procedures/{proc}", SML))["label"] == "Proc2"
    links = (await doc(api, f"/samplingFeatures/{sf}"))["links"]
    assert [lnk["href"] for lnk in links if lnk["rel"] == "parentSystem"] == [f"{BASE}/systems/{system}"]


async def test_patch_errors(api: httpx.AsyncClient) -> None:
    rid = await create(api, "/systems", geo_system("urn:x-test:sys:a", "A"))
    await create(api, "/systems", geo_system("urn:x-test:sys:b", "B"))
    assert (await patch(api, f"/systems/{rid}", {"id": "other"})).status_code in (400, 409)
    assert (await patch(api, f"/systems/{rid}", {"id": rid})).status_code == 204
    assert_error(await patch(api, f"/systems/{rid}", {"properties": {"uid": "not a uri"}}), 400, "uid")
    assert_error(await patch(api, f"/systems/{rid}", {"properties": {"name": None}}), 400, "name")
    assert_error(await patch(api, f"/systems/{rid}", {"properties": {"uid": "urn:x-test:sys:b"}}), 409)
    assert_error(await patch(api, f"/systems/{rid}", [1, 2]), 400)
    assert_error(await api.patch(f"/systems/{rid}", content=b"{"), 400)
    assert_error(await patch(api, "/systems/nosuch", {"properties": {"name": "X"}}), 404)
    assert (await doc(api, f"/systems/{rid}"))["properties"] == {
        "uid": "urn:x-test:sys:a",
        "name": "A",
        "featureType": SOSA + "Sensor",
    }
