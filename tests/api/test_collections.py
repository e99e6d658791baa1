"""`/collections`: built-in all_* collections (Req 8/18/28/33/37) and custom collections (Req 68-71)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from bridge.settings import CollectionConfig, Settings
from bridge.store.factory import open_store
from tests.api.support import (
    BASE,
    GEO,
    JSON,
    SML,
    SOSA,
    assert_bad_param,
    create,
    geo_deployment,
    geo_system,
    open_client,
    sampling_feature,
    sml_process,
    sml_property,
)
from tests.open_access import OPEN

URI_LIST = "text/uri-list"
CUSTOM = {"my_systems": "systems", "my_deps": "deployments", "my_sf": "samplingFeatures", "my_props": "properties"}
BUILTIN_TYPES = {
    "all_systems": ("feature", "sosa:System", [GEO, SML]),
    "all_deployments": ("feature", "sosa:Deployment", [GEO, SML]),
    "all_procedures": ("feature", "sosa:Procedure", [GEO, SML]),
    "all_sampling_features": ("feature", "sosa:Sample", [GEO]),
    "all_properties": ("sosa:Property", None, [SML]),
    "all_datastreams": ("DataStream", None, [JSON]),
    "all_observations": ("Observation", None, [JSON]),
    "all_controlstreams": ("ControlStream", None, [JSON]),
    "all_commands": ("Command", None, [JSON]),
    "all_system_events": ("SystemEvent", None, [JSON]),
}


@pytest_asyncio.fixture
async def api() -> AsyncIterator[httpx.AsyncClient]:
    """A client on a store opened from Settings that configure four custom collections."""
    configs = [CollectionConfig(id=cid, kind=kind, title=f"Custom {kind}") for cid, kind in CUSTOM.items()]  # type: ignore[arg-type]
    settings = Settings(auth=OPEN, store="sqlite:///:memory:", base_url=BASE, collections=configs)
    store = await open_store(settings)
    async with open_client(store, settings, CUSTOM) as client:
        yield client
    await store.close()


def describe(body: dict[str, Any]) -> tuple[str, str | None, list[str]]:
    items = [lnk["type"] for lnk in body["links"] if lnk["rel"] == "items"]
    return body["itemType"], body.get("featureType"), items


async def ids_in(api: httpx.AsyncClient, url: str) -> set[str]:
    r = await api.get(url + ("&" if "?" in url else "?") + "limit=100")
    assert r.status_code == 200, r.text
    body = r.json()
    return {item["id"] for item in body.get("features", body.get("items", []))}


async def test_collections_list_builtin_and_custom_collections(api: httpx.AsyncClient) -> None:
    r = await api.get("/collections")
    assert r.headers["content-type"] == JSON
    colls = {c["id"]: c for c in r.json()["collections"]}
    assert set(colls) == set(BUILTIN_TYPES) | set(CUSTOM)
    for cid, expected in BUILTIN_TYPES.items():
        assert describe(colls[cid]) == expected
        assert (await api.get(f"/collections/{cid}")).json() == colls[cid]
    assert describe(colls["my_systems"]) == BUILTIN_TYPES["all_systems"]
    assert describe(colls["my_props"]) == BUILTIN_TYPES["all_properties"]
    assert colls["my_sf"]["title"] == "Custom samplingFeatures"
    assert [lnk["rel"] for lnk in r.json()["links"]] == ["self"]
    for coll in colls.values():
        for lnk in coll["links"]:
            assert (await api.get(lnk["href"])).status_code == 200
    assert (await api.get("/collections/nosuch")).status_code == 404
    assert (await api.get("/collections/nosuch/items")).status_code == 404


async def test_created_in_a_collection_also_in_the_root(api: httpx.AsyncClient) -> None:
    """Req 68: a resource POSTed to /collections/{cid}/items is in the root collection too (A.75)."""
    sid = await create(api, "/collections/my_systems/items", geo_system("urn:x-test:sys:a", "A"))
    pid = await create(api, "/collections/my_props/items", sml_property("urn:x-test:prop:a", "A", "urn:x:b"), SML)
    did = await create(
        api, "/collections/my_deps/items", geo_deployment("urn:x-test:dep:a", "A", ["2020-01-01T00:00:00Z", "now"])
    )
    other = await create(api, "/systems", geo_system("urn:x-test:sys:b", "B"))
    assert await ids_in(api, "/systems") == await ids_in(api, "/collections/all_systems/items") == {sid, other}
    assert await ids_in(api, "/collections/my_systems/items") == {sid}
    assert await ids_in(api, "/properties") == await ids_in(api, "/collections/my_props/items") == {pid}
    assert await ids_in(api, "/collections/my_deps/items") == {did}
    r = await api.get(f"/collections/my_systems/items/{sid}")
    assert r.status_code == 200
    assert [lnk["href"] for lnk in r.json()["links"] if lnk["rel"] == "canonical"] == [f"{BASE}/systems/{sid}"]
    assert (await api.get(f"/collections/my_systems/items/{other}")).status_code == 404
    assert (await api.get(f"/collections/my_deps/items/{sid}")).status_code == 404


async def test_sampling_features_are_not_created_through_a_collection(api: httpx.AsyncClient) -> None:
    body = sampling_feature("urn:x-test:sf:a", "A", {"href": "urn:x:foi"})
    for cid in ("my_sf", "all_sampling_features"):
        r = await api.post(f"/collections/{cid}/items", json=body)
        assert r.status_code == 400 and "samplingFeatures" in r.json()["description"]


async def test_add_by_reference_with_uri_list_and_json(api: httpx.AsyncClient) -> None:
    """Req 71: canonical URLs and UIDs of resources on this API, one per line (or a JSON array)."""
    a = await create(api, "/systems", geo_system("urn:x-test:sys:a", "A"))
    b = await create(api, "/systems", geo_system("urn:x-test:sys:b", "B"))
    c = await create(api, f"/systems/{a}/subsystems", geo_system("urn:x-test:sys:c", "C"))
    lines = f"# systems to add\r\n{BASE}/systems/{a}\r\n\r\nurn:x-test:sys:b\r\n{BASE}/systems/{a}\r\n"
    r = await api.post("/collections/my_systems/items", content=lines, headers={"Content-Type": URI_LIST})
    assert r.status_code == 204
    assert await ids_in(api, "/collections/my_systems/items") == {a, b}
    r = await api.post("/collections/my_systems/items", json=["urn:x-test:sys:c"], headers={"Content-Type": JSON})
    assert r.status_code == 204
    assert await ids_in(api, "/collections/my_systems/items") == {a, b, c}
    sf = await create(
        api, f"/systems/{a}/samplingFeatures", sampling_feature("urn:x-test:sf:a", "A", {"href": "urn:x:f"})
    )
    r = await api.post(
        "/collections/my_sf/items", content=f"{BASE}/samplingFeatures/{sf}", headers={"Content-Type": URI_LIST}
    )
    assert r.status_code == 204
    assert await ids_in(api, "/collections/my_sf/items") == {sf}


@pytest.mark.parametrize(
    ("cid", "body", "media"),
    [
        ("my_systems", "urn:x-test:sys:unknown", URI_LIST),
        ("my_systems", f"{BASE}/systems/unknown", URI_LIST),
        ("my_systems", f"{BASE}/deployments/{{dep}}", URI_LIST),
        ("my_systems", "https://elsewhere.example.org/api/systems/{sys}", URI_LIST),
        ("my_systems", "# only a comment\n\n", URI_LIST),
        ("my_systems", "", URI_LIST),
        ("my_systems", '{"not": "a list"}', URI_LIST),
        ("my_systems", "[1, 2]", JSON),
        ("my_systems", "[]", JSON),
        ("all_systems", "urn:x-test:sys:a", URI_LIST),
    ],
)
async def test_bad_references_are_400(api: httpx.AsyncClient, cid: str, body: str, media: str) -> None:
    sys_id = await create(api, "/systems", geo_system("urn:x-test:sys:a", "A"))
    dep = await create(api, "/deployments", geo_deployment("urn:x-test:dep:a", "A", ["2020-01-01T00:00:00Z", "now"]))
    content = body.replace("{dep}", dep).replace("{sys}", sys_id)
    r = await api.post(f"/collections/{cid}/items", content=content, headers={"Content-Type": media})
    assert r.status_code == 400, r.text
    assert await ids_in(api, "/collections/my_systems/items") == set()


async def test_delete_from_a_collection_only_removes_membership(api: httpx.AsyncClient) -> None:
    """Req 70B / A.77: still 200 at the canonical URL; Req 70A: deleting at the root removes it everywhere."""
    a = await create(api, "/collections/my_systems/items", geo_system("urn:x-test:sys:a", "A"))
    b = await create(api, "/collections/my_systems/items", geo_system("urn:x-test:sys:b", "B"))
    assert (await api.delete(f"/collections/my_systems/items/{a}")).status_code == 204
    assert (await api.get(f"/systems/{a}")).status_code == 200
    assert await ids_in(api, "/collections/my_systems/items") == {b}
    assert (await api.get(f"/collections/my_systems/items/{a}")).status_code == 404
    assert (await api.delete(f"/collections/my_systems/items/{a}")).status_code == 404
    assert (await api.delete(f"/systems/{b}")).status_code == 204
    assert await ids_in(api, "/collections/my_systems/items") == set()
    assert (await api.delete(f"/collections/all_systems/items/{a}")).status_code == 204
    assert (await api.get(f"/systems/{a}")).status_code == 404


async def test_replace_and_update_through_a_collection(api: httpx.AsyncClient) -> None:
    """Req 69: the new content shows in every collection holding the resource (A.76, A.79)."""
    a = await create(api, "/collections/my_systems/items", geo_system("urn:x-test:sys:a", "A"))
    outside = await create(api, "/systems", geo_system("urn:x-test:sys:b", "B"))
    body = geo_system("urn:x-test:sys:a", "Replaced")
    assert (await api.put(f"/collections/my_systems/items/{a}", json=body)).status_code == 204
    for url in (f"/systems/{a}", f"/collections/my_systems/items/{a}", f"/collections/all_systems/items/{a}"):
        assert (await api.get(url)).json()["properties"]["name"] == "Replaced"
    patch = json.dumps({"properties": {"name": "Patched"}})
    r = await api.patch(
        f"/collections/my_systems/items/{a}", content=patch, headers={"Content-Type": "application/merge-patch+json"}
    )
    assert r.status_code == 204
    assert (await api.get(f"/systems/{a}")).json()["properties"]["name"] == "Patched"
    assert (await api.put(f"/collections/my_systems/items/{outside}", json=body)).status_code == 404
    assert (await api.patch(f"/collections/my_systems/items/{outside}", content=patch)).status_code == 404


async def test_custom_collection_items_take_the_resource_type_parameters(api: httpx.AsyncClient) -> None:
    a = await create(api, "/collections/my_systems/items", geo_system("urn:x-test:sys:a", "Alpha station"))
    await create(api, "/systems", geo_system("urn:x-test:sys:b", "Beta station"))
    assert await ids_in(api, "/collections/my_systems/items?q=station") == {a}
    assert await ids_in(api, "/collections/my_systems/items?q=beta") == set()
    assert await ids_in(api, "/collections/my_systems/items?id=urn:x-test:sys:*&recursive=true") == {a}
    for name in ("baseProperty", "system", "cascade", "foo"):
        assert_bad_param(await api.get("/collections/my_systems/items", params={name: "x"}), name)
    assert_bad_param(await api.get("/collections/my_props/items", params={"geom": "POINT(1 2)"}), "geom")
    assert_bad_param(await api.get("/collections/my_systems/items", params={"bbox": "1,2"}), "bbox")
    prop = await create(api, "/collections/my_props/items", sml_property("urn:x-test:prop:a", "A", "urn:x:base"), SML)
    assert await ids_in(api, "/collections/my_props/items?baseProperty=urn:x:base") == {prop}
    r = await api.get("/collections/my_props/items", headers={"Accept": SML})
    assert r.headers["content-type"] == SML


async def test_procedures_through_the_builtin_collection(api: httpx.AsyncClient) -> None:
    body = sml_process("urn:x-test:proc:a", "A", SOSA + "ObservingProcedure", "SimpleProcess")
    pid = await create(api, "/collections/all_procedures/items", body, SML)
    assert await ids_in(api, "/procedures") == {pid}
    r = await api.get(f"/collections/all_procedures/items/{pid}", headers={"Accept": SML})
    assert r.json()["uniqueId"] == "urn:x-test:proc:a"
