"""Canonical links (Req 5B/14/25/29/34, D18) and association links (Tables 41-54, D1/D19) that resolve."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.support import BASE, GEO, SML, items_of
from tests.api.world import World

pytestmark = pytest.mark.asyncio(loop_scope="session")

LISTINGS = [
    ("/systems?recursive=true", "systems"),
    ("/systems/{station}/subsystems?recursive=true", "systems"),
    ("/collections/all_systems/items?recursive=true", "systems"),
    ("/deployments?recursive=true", "deployments"),
    ("/deployments/{mission}/subdeployments?recursive=true", "deployments"),
    ("/systems/{fiji}/deployments", "deployments"),
    ("/collections/all_deployments/items", "deployments"),
    ("/procedures", "procedures"),
    ("/collections/all_procedures/items", "procedures"),
    ("/samplingFeatures", "samplingFeatures"),
    ("/systems/{station}/samplingFeatures", "samplingFeatures"),
    ("/collections/all_sampling_features/items", "samplingFeatures"),
    ("/properties", "properties"),
    ("/collections/all_properties/items", "properties"),
]
FORMATS = {"samplingFeatures": [GEO], "properties": [SML]}
ASSOCIATIONS = {
    "subsystems",
    "samplingFeatures",
    "deployments",
    "datastreams",
    "controlstreams",
    "parentSystem",
    "subdeployments",
    "parentDeployment",
    "implementingSystems",
}


def rels(doc: dict[str, Any]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for lnk in doc["links"]:
        out.setdefault(lnk["rel"], []).append(lnk["href"])
    return out


def listing_cases() -> list[Any]:
    return [
        pytest.param(url, kind, media, id=f"{url} {media}")
        for url, kind in LISTINGS
        for media in FORMATS.get(kind, [GEO, SML])
    ]


@pytest.mark.parametrize(("url", "kind", "media"), listing_cases())
async def test_every_listed_item_has_a_canonical_link(world: World, url: str, kind: str, media: str) -> None:
    r = await world.client.get(world.fill(url), headers={"Accept": media})
    items = items_of(r.json())
    assert items
    for item in items:
        assert rels(item)["canonical"] == [f"{BASE}/{kind}/{item['id']}"]
        assert "self" not in rels(item)
        assert all(lnk.get("rel") and lnk.get("type") for lnk in item["links"]), item["links"]
    assert all(lnk.get("rel") and lnk.get("type") for lnk in r.json()["links"])


@pytest.mark.parametrize(
    ("cid", "name", "kind"),
    [
        ("all_systems", "thermo", "systems"),
        ("all_deployments", "leg", "deployments"),
        ("all_procedures", "manual", "procedures"),
        ("all_sampling_features", "well", "samplingFeatures"),
        ("all_properties", "air", "properties"),
    ],
)
async def test_collection_item_points_to_its_canonical_url(world: World, cid: str, name: str, kind: str) -> None:
    rid = world.ids[name]
    canonical = f"{BASE}/{kind}/{rid}"
    r = await world.client.get(f"/collections/{cid}/items/{rid}")
    assert r.status_code == 200
    assert rels(r.json())["canonical"] == [canonical] and "self" not in rels(r.json())
    assert r.headers["link"] == f'<{canonical}>; rel="canonical"'
    home = await world.client.get(canonical)
    assert "canonical" not in rels(home.json()) and "link" not in home.headers
    assert rels(home.json())["self"] == [canonical]
    assert (await world.client.get(f"/collections/{cid}/items/nosuch")).status_code == 404


@pytest.mark.parametrize(
    ("name", "kind", "alternates"),
    [
        ("station", "systems", [SML]),
        ("mission", "deployments", [SML]),
        ("well", "samplingFeatures", []),
        ("air", "properties", []),
    ],
)
async def test_canonical_view_has_self_and_alternate_links(
    world: World, name: str, kind: str, alternates: list[str]
) -> None:
    url = world.url(name, kind)
    doc = (await world.client.get(url)).json()
    links = {lnk["rel"]: lnk for lnk in doc["links"] if lnk["rel"] in ("self", "alternate")}
    assert links["self"]["href"] == url
    assert [lnk["type"] for lnk in doc["links"] if lnk["rel"] == "alternate"] == alternates
    for alt in (lnk for lnk in doc["links"] if lnk["rel"] == "alternate"):
        r = await world.client.get(alt["href"])
        assert r.headers["content-type"] == alt["type"] and r.json()["id"] == world.ids[name]


EXPECTED_TARGETS = [
    ("station", "systems", "subsystems", {"thermo"}),
    ("thermo", "systems", "subsystems", {"probe"}),
    ("station", "systems", "samplingFeatures", {"well", "shelter"}),
    ("fiji", "systems", "deployments", {"mission", "leg", "part", "pacific"}),
    ("thermo", "systems", "parentSystem", {"station"}),
    ("probe", "systems", "parentSystem", {"thermo"}),
    ("shelter", "samplingFeatures", "parentSystem", {"thermo"}),
    ("mission", "deployments", "subdeployments", {"leg"}),
    ("part", "deployments", "parentDeployment", {"leg"}),
    ("thermo_ds", "procedures", "implementingSystems", {"thermo"}),
    ("manual", "procedures", "implementingSystems", {"nogeo"}),
]


@pytest.mark.parametrize(("name", "kind", "rel", "expected"), EXPECTED_TARGETS)
async def test_association_links_lead_to_the_associated_resources(
    world: World, name: str, kind: str, rel: str, expected: set[str]
) -> None:
    for media in FORMATS.get(kind, [GEO, SML]):
        doc = (await world.client.get(world.url(name, kind), headers={"Accept": media})).json()
        hrefs = rels(doc)[rel]
        assert rels(doc)["ogc-rel:" + rel] == hrefs  # D1: bare and prefixed relation names
        r = await world.client.get(hrefs[0])
        assert r.status_code == 200
        body = r.json()
        listing = body if "features" in body or "items" in body else {"items": [body]}
        assert world.names(listing) == expected


async def test_every_association_link_of_every_resource_resolves(world: World) -> None:
    """Including Part 2's datastreams/controlstreams, when the Part 2 routes are installed."""
    part2 = "/systems/{systemId}/datastreams" in (await world.client.get("/api")).json()["paths"]
    kinds = {"properties": "properties", "procedures": "procedures"}
    checked: set[str] = set()
    for url, kind in [
        ("/systems?recursive=true", "systems"),
        ("/deployments?recursive=true", "deployments"),
        *kinds.items(),
        ("/samplingFeatures", "samplingFeatures"),
    ]:
        for item in items_of((await world.client.get(url + ("&" if "?" in url else "?") + "limit=100")).json()):
            doc = (await world.client.get(f"/{kind}/{item['id']}")).json()
            for lnk in doc["links"]:
                rel = lnk["rel"].removeprefix("ogc-rel:")
                if rel not in ASSOCIATIONS or (rel in ("datastreams", "controlstreams") and not part2):
                    continue
                r = await world.client.get(lnk["href"])
                assert r.status_code == 200, (kind, item["id"], lnk)
                checked.add(rel)
    expected = ASSOCIATIONS if part2 else ASSOCIATIONS - {"datastreams", "controlstreams"}
    assert checked == expected
