"""Landing page, conformance, API definition, errors as JSON."""

from __future__ import annotations

import httpx

from bridge.api.conformance import conformance_classes


async def test_landing_page_links(client: httpx.AsyncClient) -> None:
    r = await client.get("/")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    rels = {link["rel"]: link for link in r.json()["links"]}
    for rel in (
        "self",
        "service-desc",
        "service-doc",
        "conformance",
        "data",
        "systems",
        "deployments",
        "procedures",
        "samplingFeatures",
        "properties",
    ):
        assert rel in rels, rel
    assert all(link["href"].startswith("http://testserver/") for link in r.json()["links"])


async def test_conformance_lists_exactly_the_declared_classes(client: httpx.AsyncClient) -> None:
    r = await client.get("/conformance")
    assert r.status_code == 200
    assert r.json()["conformsTo"] == conformance_classes()
    assert "http://www.opengis.net/spec/ogcapi-connectedsystems-1/1.0/conf/system" in r.json()["conformsTo"]


async def test_api_definition_is_openapi_with_real_paths(client: httpx.AsyncClient) -> None:
    r = await client.get("/api")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.oai.openapi+json")
    doc = r.json()
    assert doc["openapi"].startswith("3.")
    assert "/systems/{systemId}/subsystems" in doc["paths"]
    params = {p["name"] for p in doc["paths"]["/systems"]["get"]["parameters"]}
    assert {
        "limit",
        "id",
        "q",
        "bbox",
        "datetime",
        "geom",
        "parent",
        "recursive",
        "procedure",
        "foi",
        "observedProperty",
        "controlledProperty",
        "f",
        "cursor",
    } <= params
    content = doc["paths"]["/systems"]["get"]["responses"]["200"]["content"]
    assert {"application/geo+json", "application/sml+json"} <= set(content)


async def test_unknown_path_and_method_are_json_errors(client: httpx.AsyncClient) -> None:
    r = await client.get("/nothing-here")
    assert r.status_code == 404
    assert r.json()["code"] == "NotFound"
    r = await client.post("/conformance", json={})
    assert r.status_code == 405
    assert r.headers["content-type"] == "application/json"


async def test_not_acceptable(client: httpx.AsyncClient) -> None:
    r = await client.get("/systems", headers={"Accept": "image/png"})
    assert r.status_code == 406
    assert r.json()["code"] == "NotAcceptable"
