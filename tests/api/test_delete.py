"""DELETE (Req 60-64, Req 61 cascade, Feat-4): 204/404, 409 with dependents, cascade=true."""

from __future__ import annotations

import httpx

from tests.api.support import (
    BASE,
    SML,
    SOSA,
    assert_error,
    create,
    doc,
    geo_deployment,
    geo_system,
    sampling_feature,
    sml_process,
    sml_property,
)


async def test_delete_is_204_then_404(api: httpx.AsyncClient) -> None:
    for path, body in [
        ("/systems", geo_system("urn:x-test:sys:a", "A")),
        ("/procedures", sml_process("urn:x-test:proc:a", "A", SOSA + "Procedure", "SimpleProcess")),
        ("/properties", sml_property("urn:x-test:prop:a", "A", "urn:x-test:base")),
        ("/deployments", geo_deployment("urn:x-test:dep:a", "A", ["2020-01-01T00:00:00Z", "now"])),
    ]:
        rid = await create(api, path, body)
        assert (await api.delete(f"{path}/{rid}")).status_code == 204
        assert (await api.get(f"{path}/{rid}")).status_code == 404
        assert (await api.delete(f"{path}/{rid}")).status_code == 404
        assert (await api.post(path, json=body)).status_code == 201  # the UID is free again


async def test_delete_a_sampling_feature_and_a_subsystem(api: httpx.AsyncClient) -> None:
    parent = await create(api, "/systems", geo_system("urn:x-test:sys:p", "P"))
    child = await create(api, f"/systems/{parent}/subsystems", geo_system("urn:x-test:sys:c", "C"))
    sf = await create(
        api, f"/systems/{child}/samplingFeatures", sampling_feature("urn:x-test:sf:a", "A", {"href": "urn:x:f"})
    )
    assert (await api.delete(f"/samplingFeatures/{sf}")).status_code == 204
    assert (await api.delete(f"/systems/{child}")).status_code == 204
    assert (await doc(api, f"/systems/{parent}/subsystems"))["features"] == []


async def _system_tree(api: httpx.AsyncClient) -> dict[str, str]:
    ids = {"root": await create(api, "/systems", geo_system("urn:x-test:sys:root", "Root"))}
    ids["child"] = await create(api, f"/systems/{ids['root']}/subsystems", geo_system("urn:x-test:sys:child", "Child"))
    ids["leaf"] = await create(api, f"/systems/{ids['child']}/subsystems", geo_system("urn:x-test:sys:leaf", "Leaf"))
    sf = sampling_feature("urn:x-test:sf:leaf", "Leaf SF", {"href": "urn:x-test:foi"})
    ids["sf"] = await create(api, f"/systems/{ids['leaf']}/samplingFeatures", sf)
    other = await create(api, "/systems", geo_system("urn:x-test:sys:other", "Other"))
    dep = geo_deployment(
        "urn:x-test:dep:d", "D", ["2020-01-01T00:00:00Z", "now"], ["urn:x-test:sys:leaf", f"{BASE}/systems/{other}"]
    )
    ids["dep"] = await create(api, "/deployments", dep)
    ids["other"] = other
    return ids


async def test_delete_with_dependents_is_409_unless_cascade(api: httpx.AsyncClient) -> None:
    ids = await _system_tree(api)
    for target in ("root", "child"):
        for query in ("", "?cascade=false"):
            r = await api.delete(f"/systems/{ids[target]}{query}")
            assert_error(r, 409, "subsystems")
    assert_error(await api.delete(f"/systems/{ids['leaf']}"), 409, "sampling features", "deployments")
    assert_error(await api.delete(f"/systems/{ids['other']}"), 409, "deployments")
    assert (await api.get(f"/systems/{ids['leaf']}")).status_code == 200


async def test_cascade_removes_the_tree_and_unlinks_deployments(api: httpx.AsyncClient) -> None:
    ids = await _system_tree(api)
    assert (await api.delete(f"/systems/{ids['root']}?cascade=true")).status_code == 204
    for name, kind in (("root", "systems"), ("child", "systems"), ("leaf", "systems"), ("sf", "samplingFeatures")):
        assert (await api.get(f"/{kind}/{ids[name]}")).status_code == 404, name
    geo = await doc(api, f"/deployments/{ids['dep']}")
    assert [d["href"] for d in geo["properties"]["deployedSystems@link"]] == [f"{BASE}/systems/{ids['other']}"]
    sml = await doc(api, f"/deployments/{ids['dep']}", SML)
    assert [d["system"]["href"] for d in sml["deployedSystems"]] == [f"{BASE}/systems/{ids['other']}"]
    assert (await doc(api, "/deployments?system=urn:x-test:sys:leaf"))["features"] == []
    assert (await doc(api, "/samplingFeatures"))["features"] == []
    assert (await api.delete(f"/systems/{ids['other']}?cascade=true")).status_code == 204
    assert "deployedSystems@link" not in (await doc(api, f"/deployments/{ids['dep']}"))["properties"]


async def test_deployment_with_subdeployments_needs_cascade(api: httpx.AsyncClient) -> None:
    valid = ["2020-01-01T00:00:00Z", "now"]
    parent = await create(api, "/deployments", geo_deployment("urn:x-test:dep:p", "P", valid))
    child = await create(api, f"/deployments/{parent}/subdeployments", geo_deployment("urn:x-test:dep:c", "C", valid))
    assert_error(await api.delete(f"/deployments/{parent}"), 409, "subdeployments")
    assert (await api.delete(f"/deployments/{parent}?cascade=true")).status_code == 204
    assert (await api.get(f"/deployments/{child}")).status_code == 404
