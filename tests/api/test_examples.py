"""The valid official examples (fixtures/csapi; examples/VALIDATION.md) POSTed to their endpoint and
read back in every encoding of their resource type: content survives, and both encodings agree.

Every response is also validated against the official schema by the `api` client (support.py).
"""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest

from tests.api.support import BASE, GEO, JSON, SML, SOSA, create, geo_system, load

SYSTEMS = [
    "part1/systems/thermometer-sensor-geojson.json",
    "part1/systems/thermometer-sensor-geojson.links.json",
    "part1/systems/thermometer-sensor-sml.json",
    "part1/systems/uav-platform-geojson.json",
    "part1/systems/uav-platform-geojson.links.json",
    "part1/systems/uav-platform-sml.json",
    "usecases/well-geojson.json",
    "usecases/monitoring-station-geojson.json",
]
SUBSYSTEMS = [
    ("usecases/well-geojson.json", "usecases/waterlevel-sensor-sml.json"),
    ("usecases/monitoring-station-geojson.json", "usecases/thermometer-sml.json"),
]
DEPLOYMENTS = ["part1/deployments/deployment-geojson.json", "part1/deployments/deployment-sml.json"]
SAMPLING = (
    [
        f"part1/sampling/{name}-geojson.json"
        for name in (
            "sampling-part",
            "sampling-point",
            "sampling-point-xyz",
            "sampling-proxy",
            "sampling-specimen",
            "samplingProfile-at-location",
            "viewing-frustum-at-location",
            "viewing-frustum-on-platform",
            "viewing-sector-at-location",
        )
    ]
    + [
        f"usecases/{name}-geojson.json"
        for name in ("well-bottom", "station-sampling-point", "shelter-sampling-point", "wind-sampling-point")
    ]
    + ["usecases/saildrone-SD1021-navsf-geojson.json"]
)
PROPERTY_NAMES = [
    "air-temp",
    "avg-cpu-temp",
    "combustion-chamber-temp",
    "daily-avg-air-temp",
    "engine-power",
    "engine-temp",
    "received-rf-power-xband",
    "received-rf-power",
    "water-temp",
]
ASSET_TYPE = "cs:AssetType"


def media_of(path: str) -> str:
    return GEO if path.endswith(("-geojson.json", ".links.json")) else SML


def other(media_type: str) -> str:
    return SML if media_type == GEO else GEO


def assert_survives(sent: Any, got: Any, where: str = "$", ignore: tuple[str, ...] = ("id", "links")) -> None:
    """Every member of `sent` (but `ignore`d ones at the top) is in `got` with the same value."""
    if isinstance(sent, dict) and isinstance(got, dict):
        for key, value in sent.items():
            if key not in ignore:
                assert key in got, f"{where}.{key} was lost"
                assert_survives(value, got[key], f"{where}.{key}", ())
        return
    assert got == sent, f"{where}: sent {sent!r}, read back {got!r}"


def _link(value: Any) -> tuple[str, str | None] | None:
    return (value["href"], value.get("uid")) if isinstance(value, dict) else None


def neutral(doc: dict[str, Any]) -> dict[str, Any]:
    """What both encodings carry (Tables 39-54), in one shape: compares a GeoJSON and a SML document."""
    if doc.get("type") == "Feature":
        p = doc["properties"]
        values = {
            "uid": p["uid"],
            "name": p["name"],
            "description": p.get("description"),
            "type": p.get("featureType"),
            "validTime": p.get("validTime"),
            "geometry": doc.get("geometry"),
            "kind": _link(p.get("systemKind@link")),
            "platform": _link(p.get("platform@link")),
            "deployed": [_link(d) for d in p.get("deployedSystems@link", [])],
            "assetType": p.get("assetType"),
        }
    else:
        place = doc.get("position") or doc.get("location")
        values = {
            "uid": doc["uniqueId"],
            "name": doc["label"],
            "description": doc.get("description"),
            "type": doc.get("definition"),
            "validTime": doc.get("validTime"),
            "geometry": place if isinstance(place, dict) and "coordinates" in place else None,
            "kind": _link(doc.get("typeOf")),
            "platform": _link(doc.get("platform", {}).get("system")),
            "deployed": [_link(d["system"]) for d in doc.get("deployedSystems", [])],
            "assetType": next(
                (c["value"] for c in doc.get("classifiers", []) if c.get("definition") == ASSET_TYPE), None
            ),
        }
    return {k: v for k, v in values.items() if v not in (None, [])}


async def read(api: httpx.AsyncClient, url: str, media_type: str, label: str | None = None) -> dict[str, Any]:
    """GET with `Accept: media_type`; the response is labelled `label` (default: the same type)."""
    r = await api.get(url, headers={"Accept": media_type})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == (label or media_type)
    body: dict[str, Any] = r.json()
    return body


async def round_trip(api: httpx.AsyncClient, post_to: str, kind: str, body: dict[str, Any], media: str) -> Any:
    """POST, read back in the same and the other encoding; check survival and agreement."""
    rid = await create(api, post_to, body, media)
    url = f"/{kind}/{rid}"
    same = await read(api, url, media)
    assert same["id"] == rid
    assert_survives(body, same, ignore=("id", "links", "attachedTo"))
    cross = await read(api, url, other(media))
    assert cross["id"] == rid
    assert neutral(cross) == neutral(same) == neutral(body)
    return rid, same, cross


@pytest.mark.parametrize("path", SYSTEMS)
async def test_system_examples(api: httpx.AsyncClient, path: str) -> None:
    body = load(path)
    rid, same, cross = await round_trip(api, "/systems", "systems", body, media_of(path))
    sml = cross if media_of(path) == GEO else same
    assert sml["type"] in ("PhysicalSystem", "PhysicalComponent")  # hardware (Req 95)
    links = {lnk["rel"]: lnk["href"] for lnk in same["links"]}
    assert links["self"] == f"{BASE}/systems/{rid}"
    assert links["subsystems"] == f"{BASE}/systems/{rid}/subsystems"


@pytest.mark.parametrize(("parent_path", "path"), SUBSYSTEMS)
async def test_subsystem_examples(api: httpx.AsyncClient, parent_path: str, path: str) -> None:
    parent = await create(api, "/systems", load(parent_path))
    _, same, cross = await round_trip(api, f"/systems/{parent}/subsystems", "systems", load(path), SML)
    assert same["attachedTo"]["href"] == f"{BASE}/systems/{parent}"
    parent_links = [lnk["href"] for lnk in cross["links"] if lnk["rel"] == "parentSystem"]
    assert parent_links == [f"{BASE}/systems/{parent}"]


@pytest.mark.parametrize("path", DEPLOYMENTS)
async def test_deployment_examples(api: httpx.AsyncClient, path: str) -> None:
    body = load(path)
    _, same, cross = await round_trip(api, "/deployments", "deployments", body, media_of(path))
    if media_of(path) == SML:
        assert [d["configuration"] for d in same["deployedSystems"] if "configuration" in d] == [
            body["deployedSystems"][0]["configuration"]
        ]
    titles = [d.get("title") for d in (same if media_of(path) == GEO else cross)["properties"]["deployedSystems@link"]]
    assert titles == ["Air Temperature Sensor", "Water Temperature Sensor", "Wind Speed and Direction Sensor"]


@pytest.mark.parametrize("path", SAMPLING)
async def test_sampling_feature_examples(api: httpx.AsyncClient, path: str) -> None:
    """GeoJSON only (D27): every member survives, parentSystem points to the system it was posted under."""
    system = await create(api, "/systems", geo_system("urn:x-test:sys:host", "Host system"))
    body = load(path)
    rid = await create(api, f"/systems/{system}/samplingFeatures", body, GEO)
    same = await read(api, f"/samplingFeatures/{rid}", GEO)
    assert_survives(body, same)
    parents = [lnk["href"] for lnk in same["links"] if lnk["rel"] == "parentSystem"]
    assert parents == [f"{BASE}/systems/{system}"]
    r = await api.get(f"/samplingFeatures/{rid}", headers={"Accept": SML})
    assert r.status_code == 406


def _fixed_procedure(path: str) -> dict[str, Any]:
    """Upstream procedure examples with the D9 fix (a sensor datasheet is `sosa:Sensor`)."""
    body = copy.deepcopy(load(path))
    if body.get("type") == "Feature":
        body["properties"]["featureType"] = SOSA + "Sensor"
    else:
        body["definition"] = SOSA + "Sensor"
    return body


@pytest.mark.parametrize(
    "body",
    [
        load("demo/derived/sensor-datasheet-sml.json"),
        _fixed_procedure("part1/procedures/ins-sensor-sml.json"),
        _fixed_procedure("part1/procedures/sensor-datasheet-geojson.json"),
    ],
    ids=["sensor-datasheet-sml", "ins-sensor-sml", "sensor-datasheet-geojson"],
)
async def test_procedure_examples(api: httpx.AsyncClient, body: dict[str, Any]) -> None:
    media = GEO if body.get("type") == "Feature" else SML
    _, same, cross = await round_trip(api, "/procedures", "procedures", body, media)
    geo, sml = (same, cross) if media == GEO else (cross, same)
    assert geo["geometry"] is None and "position" not in sml  # Req 24
    assert sml["type"] in ("PhysicalSystem", "PhysicalComponent")  # a datasheet of hardware (Req 100)


@pytest.mark.parametrize(
    ("path", "where"),
    [
        ("part1/procedures/sensor-datasheet-geojson.json", "featureType"),
        ("part1/procedures/sensor-datasheet-sml.json", "definition"),
        ("part1/procedures/ins-sensor-sml.json", "definition"),
    ],
)
async def test_upstream_procedure_examples_are_rejected_by_the_schema(
    api: httpx.AsyncClient, path: str, where: str
) -> None:
    r = await api.post("/procedures", json=load(path), headers={"Content-Type": media_of(path)})
    assert r.status_code == 400
    assert where in r.json()["description"]


@pytest.mark.parametrize("name", PROPERTY_NAMES)
async def test_property_examples(api: httpx.AsyncClient, name: str) -> None:
    """SensorML only (D27); the derived copies add the uniqueId upstream lacks (D10)."""
    body = load(f"demo/derived/{name}.json")
    rid = await create(api, "/properties", body, SML)
    same = await read(api, f"/properties/{rid}", SML)
    assert_survives(body, same)
    assert (await read(api, f"/properties/{rid}", JSON, label=SML)) == same
    assert (await api.get(f"/properties/{rid}", headers={"Accept": GEO})).status_code == 406
    upstream = await api.post("/properties", json=load(f"part1/properties/{name}.json"))
    assert upstream.status_code == 400
    assert "uniqueId" in upstream.json()["description"]


async def test_every_example_in_one_store_and_listings(api: httpx.AsyncClient) -> None:
    """Examples with distinct UIDs coexist; listings in both encodings validate (collection schemas)."""
    for path in ("part1/systems/thermometer-sensor-sml.json", "part1/systems/uav-platform-geojson.json"):
        await create(api, "/systems", load(path), media_of(path))
    for path in DEPLOYMENTS:
        body = load(path)
        if media_of(path) == GEO:
            body["properties"]["uid"] = "urn:x-ogc:deployments:D001-copy"
        await create(api, "/deployments", body, media_of(path))
    for media in (GEO, SML):
        for kind in ("systems", "deployments"):
            r = await api.get(f"/{kind}", headers={"Accept": media})
            assert r.status_code == 200 and len(r.json()["features" if media == GEO else "items"]) == 2
