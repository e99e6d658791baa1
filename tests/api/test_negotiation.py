"""Content negotiation: `f=` beats `Accept`, media type aliases, exact Content-Type headers, 406 (D13/D14/D27)."""

from __future__ import annotations

import pytest

from tests.api.support import GEO, JSON, SML, assert_bad_param
from tests.api.world import World

pytestmark = pytest.mark.asyncio(loop_scope="session")

SYSTEM = "/systems/{station}"
HTML = "text/html; charset=utf-8"  # the page of the resource (bridge.api.html; tests/api/html)
ACCEPT_CASES = [
    # (url, Accept, f, expected Content-Type)
    (SYSTEM, None, None, GEO),
    (SYSTEM, "application/sml+json", None, SML),
    (SYSTEM, "application/vnd.ogc.sml+json", None, SML),
    (SYSTEM, "application/geo+json", None, GEO),
    (SYSTEM, "application/json", None, GEO),
    (SYSTEM, "*/*", None, GEO),
    (SYSTEM, "application/*", None, GEO),
    (SYSTEM, "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", None, HTML),  # a browser: a page
    (SYSTEM, "text/html", None, HTML),
    (SYSTEM, None, "html", HTML),
    (SYSTEM, "text/html", "geojson", GEO),
    (SYSTEM, "application/geo+json;q=0.5, application/sml+json", None, SML),
    (SYSTEM, "application/sml+json;q=0, */*;q=0.1", None, GEO),
    (SYSTEM, "image/png, application/sml+json;q=0.2", None, SML),
    (SYSTEM, "application/geo+json", "sml", SML),
    (SYSTEM, "application/sml+json", "geojson", GEO),
    (SYSTEM, "image/png", "json", GEO),
    (SYSTEM, None, "application/sml+json", SML),
    (SYSTEM, None, "application/vnd.ogc.sml+json", SML),
    (SYSTEM, None, "SML", SML),
    ("/systems", "application/sml+json", None, SML),
    ("/systems", "application/sml+json", "geojson", GEO),
    ("/collections/all_deployments/items", "application/vnd.ogc.sml+json", None, SML),
    ("/deployments/{mission}", None, "sml", SML),
    ("/procedures/{manual}", "application/sml+json", None, SML),
    ("/procedures", None, None, GEO),
    ("/samplingFeatures/{well}", "application/json", None, GEO),
    ("/samplingFeatures", None, "json", GEO),
    ("/properties/{air}", None, None, SML),
    ("/properties/{air}", "application/json", None, SML),
    ("/properties", None, "json", SML),
    ("/collections/all_properties/items", "*/*", None, SML),
    ("/", None, None, JSON),
    ("/conformance", "application/json", None, JSON),
    ("/collections", None, "json", JSON),
    ("/collections/all_systems", "*/*", None, JSON),
    ("/api", None, None, "application/vnd.oai.openapi+json;version=3.1"),
]


@pytest.mark.parametrize(("url", "accept", "f", "expected"), ACCEPT_CASES)
async def test_negotiated_media_type(world: World, url: str, accept: str | None, f: str | None, expected: str) -> None:
    headers = {"Accept": accept} if accept else {}
    params = {"f": f} if f else {}
    r = await world.client.get(world.fill(url), headers=headers, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == expected


NOT_ACCEPTABLE = [
    (SYSTEM, "image/png"),
    (SYSTEM, "application/sml+json;q=0, application/geo+json;q=0"),
    ("/systems", "application/xml"),
    ("/samplingFeatures/{well}", "application/sml+json"),
    ("/systems/{station}/samplingFeatures", "application/vnd.ogc.sml+json"),
    ("/properties/{air}", "application/geo+json"),
    ("/properties", "application/geo+json"),
    ("/collections/all_properties/items", "application/geo+json"),
    ("/collections", "application/geo+json"),
]


@pytest.mark.parametrize(("url", "accept"), NOT_ACCEPTABLE)
async def test_406_when_nothing_acceptable(world: World, url: str, accept: str) -> None:
    r = await world.client.get(world.fill(url), headers={"Accept": accept})
    assert r.status_code == 406
    assert r.headers["content-type"] == JSON
    assert r.json()["code"] == "NotAcceptable"


F_NOT_OFFERED = [
    (SYSTEM, "xml"),
    ("/samplingFeatures/{well}", "sml"),
    ("/samplingFeatures", "application/sml+json"),
    ("/properties/{air}", "geojson"),
    ("/collections/all_properties/items", "geojson"),
    ("/conformance", "sml"),
]


@pytest.mark.parametrize(("url", "f"), F_NOT_OFFERED)
async def test_f_naming_a_format_not_offered_is_400(world: World, url: str, f: str) -> None:
    assert_bad_param(await world.client.get(world.fill(url), params={"f": f}), "f")


async def test_collection_items_links_name_each_format(world: World) -> None:
    body = (await world.client.get("/collections/all_systems")).json()
    items = {lnk["type"]: lnk["href"] for lnk in body["links"] if lnk["rel"] == "items"}
    assert set(items) == {GEO, SML}
    for media, href in items.items():
        assert (await world.client.get(href)).headers["content-type"] == media
