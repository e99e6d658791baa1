"""Req 23: a parent deployment's deployedSystems include those of its subdeployments, at every level."""

from __future__ import annotations

import httpx

from tests.validate import PART1, assert_valid


def _deployment(uid: str, systems: list[str]) -> dict[str, object]:
    return {
        "type": "Feature",
        "geometry": None,
        "properties": {
            "uid": uid,
            "name": uid.rsplit(":", 1)[-1],
            "featureType": "sosa:Deployment",
            "validTime": ["2020-01-01T00:00:00Z", "now"],
            "deployedSystems@link": [{"href": s} for s in systems],
        },
    }


async def test_parent_deployments_list_their_subdeployments_systems(client: httpx.AsyncClient) -> None:
    top = (await client.post("/deployments", json=_deployment("urn:x:dep:top", ["urn:x:sys:a"]))).headers["location"]
    mid = (await client.post(f"{top}/subdeployments", json=_deployment("urn:x:dep:mid", ["urn:x:sys:b"]))).headers[
        "location"
    ]
    await client.post(f"{mid}/subdeployments", json=_deployment("urn:x:dep:leaf", ["urn:x:sys:c", "urn:x:sys:a"]))
    body = (await client.get(top)).json()
    assert_valid(PART1 + "geojson/deployment.json", body)
    assert [link["href"] for link in body["properties"]["deployedSystems@link"]] == [
        "urn:x:sys:a",
        "urn:x:sys:b",
        "urn:x:sys:c",
    ]
    sml = (await client.get(top + "?f=sml")).json()
    assert_valid(PART1 + "sensorml/deployment.json", sml)
    assert len(sml["deployedSystems"]) == 3
    listed = (await client.get("/deployments")).json()["features"]
    assert len(listed[0]["properties"]["deployedSystems@link"]) == 3
    patched = await client.patch(top, json={"properties": {"name": "renamed"}})
    assert patched.status_code == 204
    leaf_only = (await client.get(f"{mid}")).json()["properties"]["deployedSystems@link"]
    assert [link["href"] for link in leaf_only] == ["urn:x:sys:b", "urn:x:sys:c", "urn:x:sys:a"]
    await client.delete(f"{mid}?cascade=true")
    after = (await client.get(top)).json()["properties"]["deployedSystems@link"]
    assert [link["href"] for link in after] == ["urn:x:sys:a"]  # the PATCH stored nothing inherited
