"""HTML pages: every GET route of the API answers a browser with a page (lists with a map and keyset paging, items
with their properties, associations, map and other representations, the datastream chart's data, the control
stream's form and commands, harvest runs), from assets of this server only; JSON clients get what they always got."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
import pytest_asyncio

from bridge.api.app import create_app
from bridge.api.html.install import HTML_CONFORMANCE
from bridge.settings import Settings
from bridge.store.sql.store import SqlStore
from tests.api.html.pages import BROWSER_ACCEPT, ROOT, page, parse
from tests.api.html.world import HtmlWorld
from tests.open_access import OPEN

pytestmark = pytest.mark.asyncio(loop_scope="module")

# which world id a path parameter takes, by the literal segment before it
BY_SEGMENT = {
    "systems": "station", "deployments": "deployment", "procedures": "procedure", "samplingFeatures": "sf",
    "properties": "property", "datastreams": "ds", "controlstreams": "cs", "observations": "obs", "commands": "cmd",
    "feasibility": "feas", "status": "status", "result": "result", "systemEvents": "event", "events": "event",
    "history": "rev", "items": "station", "collections": "all_systems", "sources": "harvested-source",
}  # fmt: skip
SOSA_SENSOR = "http://www.w3.org/ns/sosa/Sensor"
QUERIES = {"/datastreams/{id}/schema": "?obsFormat=application/json"}


def concrete(template: str, ids: dict[str, str]) -> str:
    """A URL of the world for a route template (feasibility sub-resources use the feasibility request's)."""
    parts = template.strip("/").split("/")
    out: list[str] = []
    for i, part in enumerate(parts):
        if part.startswith("{"):
            key = BY_SEGMENT[parts[i - 1]]
            if parts[0] == "feasibility" and key in ("status", "result"):
                key = f"feas_{key}"
            out.append(ids.get(key, key))
        else:
            out.append(part)
    return "/" + "/".join(out) + QUERIES.get(template, "")


def get_routes(world: HtmlWorld) -> list[str]:
    """The path templates of every GET operation of the API definition."""
    return sorted(path for path, ops in world.app.openapi()["paths"].items() if "get" in ops)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(html_world: HtmlWorld) -> Any:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=html_world.app), base_url=ROOT) as c:
        ids = html_world.ids
        ids["feas_status"] = (await c.get(f"/feasibility/{ids['feas']}/status")).json()["items"][0]["id"]
        r = await c.post(f"/commands/{ids['feas']}/result", json={"data": {"feasible": True}})
        assert r.status_code == 201, r.text
        ids["feas_result"] = r.headers["location"].rsplit("/", 1)[-1]
        yield c


async def test_every_get_route_answers_a_browser_with_a_page(html_world: HtmlWorld, client: httpx.AsyncClient) -> None:
    assets: set[str] = set()
    routes = get_routes(html_world)
    assert len(routes) > 60  # Part 1, Part 2, collections, sources: all of them
    for template in routes:
        url = concrete(template, html_world.ids)
        parsed = await page(client, url)
        assert parsed.h1 and parsed.h1[0], url
        assert parsed.data is not None and parsed.data["static"] == f"{ROOT}/static", url
        assets.update(parsed.assets)
    for asset in sorted(assets):  # every script, style sheet and icon is served by this server
        assert asset.startswith(f"{ROOT}/static/"), asset
        r = await client.get(asset)
        assert r.status_code == 200 and r.content, asset


async def test_json_clients_get_json_as_before(html_world: HtmlWorld, client: httpx.AsyncClient) -> None:
    ids = html_world.ids
    for accept in (None, "*/*", "application/json", "application/json, text/html;q=0.9", "text/html;q=0.5, */*"):
        headers = {"Accept": accept} if accept else {}
        for url, media_type in (
            ("/systems", "application/geo+json"),
            (f"/datastreams/{ids['ds']}", "application/json"),
            (f"/datastreams/{ids['ds']}/observations", "application/json"),
            ("/", "application/json"),
        ):
            r = await client.get(url, headers=headers)
            assert r.status_code == 200 and r.headers["content-type"].startswith(media_type), (url, accept)
            assert r.json() and "accept" in r.headers["vary"].lower()
    r = await client.get("/systems", params={"f": "sml"}, headers={"Accept": BROWSER_ACCEPT})  # f beats Accept
    assert r.headers["content-type"] == "application/sml+json"
    r = await client.get("/systems", params={"f": "html"})  # f=html without a browser's Accept
    assert r.headers["content-type"] == "text/html; charset=utf-8"


async def test_feature_list_has_a_map_a_table_and_keyset_paging(client: httpx.AsyncClient) -> None:
    first = await page(client, "/samplingFeatures", limit="2")
    features = first.data["features"]["features"]
    assert len(features) == 2 and all(f["geometry"]["type"] for f in features)
    assert all(f["properties"]["href"].startswith(f"{ROOT}/samplingFeatures/") for f in features)
    assert first.rows == 3  # header + 2 items
    (following,) = first.hrefs("Next page")
    assert "cursor=" in following and "limit=2" in following
    second = await page(client, following)
    assert {f["properties"]["href"] for f in second.data["features"]["features"]}.isdisjoint(
        {f["properties"]["href"] for f in features}
    )
    assert second.hrefs("Previous page") and second.hrefs("First page")


async def test_item_page_shows_properties_associations_map_and_other_formats(
    html_world: HtmlWorld, client: httpx.AsyncClient
) -> None:
    station = html_world.ids["station"]
    parsed = await page(client, f"/systems/{station}")
    assert parsed.h1 == ["System “Roof station (renamed)”"]
    assert "urn:x-html:station" in parsed.text and "A station on a roof" in parsed.text
    assert parsed.data["features"]["features"][0]["geometry"]["coordinates"] == [1.44, 43.6]
    for association in ("Datastreams", "Control streams", "Sampling features", "Subsystems", "Deployments"):
        (href,) = [h for h in parsed.hrefs(association) if h.startswith(f"{ROOT}/systems/{station}/")]
        assert (await client.get(href)).status_code == 200
    formats = [href for _, href in parsed.links if href.startswith(f"{ROOT}/systems/{station}?f=")]
    answers = {(await client.get(href)).headers["content-type"] for href in formats}
    assert answers == {"application/geo+json", "application/sml+json"}


async def test_datastream_page_has_the_chart_its_schema_and_units(
    html_world: HtmlWorld, client: httpx.AsyncClient
) -> None:
    ids = html_world.ids
    parsed = await page(client, f"/datastreams/{ids['ds']}")
    chart = parsed.data["chart"]
    assert chart["observations"] == f"{ROOT}/datastreams/{ids['ds']}/observations"
    assert chart["series"] == [
        {"path": "temp", "label": "temp", "uom": "Cel"},
        {"path": "humidity", "label": "humidity", "uom": "%"},
    ]
    assert chart["extent"] == ["2024-05-01T00:00:00Z", "2024-05-02T05:00:00Z"]
    assert chart["features"] == {ids["sf"]: "Roof point"}
    assert "Tick Live to add new observations" in parsed.text
    assert re.search(r"temp\s*Quantity\s*Cel", parsed.text) and re.search(r"humidity\s*Quantity\s*%", parsed.text)
    listed = await page(client, chart["observations"])
    assert listed.hrefs("on a chart") == [f"{ROOT}/datastreams/{ids['ds']}"] and listed.rows == 11  # 10 + header
    formats = [href for label, href in parsed.links if label.startswith("observations as ")]
    assert len(formats) >= 4
    for href in formats:  # each representation of the observations answers in its media type
        r = await client.get(href)
        assert r.status_code == 200 and r.headers["content-type"].split(";")[0] in href.replace("%2B", "+").replace(
            "%2F", "/"
        )


async def test_control_stream_page_has_the_form_schema_and_commands_with_history(
    html_world: HtmlWorld, client: httpx.AsyncClient
) -> None:
    ids = html_world.ids
    parsed = await page(client, f"/controlstreams/{ids['cs']}")
    schema = (await client.get(f"/controlstreams/{ids['cs']}/schema")).json()["parametersSchema"]
    assert parsed.data["form"] == {"schema": schema, "post": f"{ROOT}/controlstreams/{ids['cs']}/commands"}
    assert f"{ROOT}/static/js/command-form.js" in parsed.assets
    assert parsed.hrefs(ids["cmd"]) == [f"{ROOT}/commands/{ids['cmd']}"]
    assert re.search(r"PENDING\s*\S+.*received.*ACCEPTED.*queued", parsed.text, re.S)
    assert "-180 … 180" in parsed.text and "auto, manual" in parsed.text
    assert "access rules" in parsed.text
    command = await page(client, f"/commands/{ids['cmd']}")
    assert "Status history" in command.text and "ACCEPTED" in command.text and "frame-1" in command.text


async def test_sources_pages_show_runs_and_never_credentials(client: httpx.AsyncClient) -> None:
    listing = await page(client, "/sources")
    assert listing.hrefs("harvested-source") == [f"{ROOT}/sources/harvested-source"]
    assert "completed-with-errors" in listing.text and "never harvested" in listing.text
    source = await page(client, "/sources/harvested-source")
    assert "Datastream 9: not mapped" in source.text and "1.5 s" in source.text and "2048" in source.text
    for url in ("/sources", "/sources/configured-only"):
        for accept in (BROWSER_ACCEPT, "application/json"):
            text = (await client.get(url, headers={"Accept": accept})).text
            assert "https://sta.example.org/v1.1/" in text
            assert "s3cret" not in text and "reader" not in text and "k3y" not in text and "t0ken" not in text
    await page(client, "/sources/nowhere", status=404)


async def test_errors_are_pages_with_the_status_of_the_api(client: httpx.AsyncClient) -> None:
    missing = await page(client, "/systems/nope", status=404)
    assert "NotFound" in missing.text
    bad = await page(client, "/datastreams", status=400, limit="many")
    assert "limit" in bad.text
    unknown = await page(client, "/systems", status=400, colour="blue")
    assert "colour" in unknown.text


async def test_head_of_a_page_and_explicit_f_html_links(html_world: HtmlWorld, client: httpx.AsyncClient) -> None:
    head = await client.head("/systems", headers={"Accept": BROWSER_ACCEPT})
    assert head.status_code == 200 and head.headers["content-type"].startswith("text/html") and not head.content
    explicit = parse((await client.get("/systems", params={"f": "html", "limit": "1"})).text)
    internal = [h for _, h in explicit.links if h.startswith(ROOT) and "/static/" not in h and "f=" not in h]
    assert internal == [] and any("f=html" in h and "cursor=" in h for _, h in explicit.links)
    r = await client.get("/collections/all_datastreams/items", params={"f": "html"})
    assert r.status_code == 307 and r.headers["location"] == f"{ROOT}/datastreams?f=html"


async def test_api_documents_are_offline(client: httpx.AsyncClient) -> None:
    for url in ("/api.html", "/api"):
        r = await client.get(url, headers={"Accept": BROWSER_ACCEPT})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert set(re.findall(r"https?://[^/\"']+", r.text)) == {ROOT}, url
        assert "/static/vendor/swagger-ui-dist-5.36.0/swagger-ui-bundle.js" in r.text
    spec = (await client.get("/api")).json()
    gets = [op["get"] for op in spec["paths"].values() if "get" in op]
    assert gets and all("text/html" in op["responses"]["200"]["content"] for op in gets)
    assert HTML_CONFORMANCE in (await client.get("/conformance")).json()["conformsTo"]


async def test_landing_page_says_where_the_content_comes_from(client: httpx.AsyncClient) -> None:
    parsed = await page(client, "/")
    assert "Official OGC API – Connected Systems examples" in parsed.text
    assert parsed.hrefs("harvested-source") == [f"{ROOT}/sources/harvested-source"]
    assert parsed.hrefs("Datastreams with observations") == [f"{ROOT}/datastreams?phenomenonTime=../now"]
    with_data = await page(client, parsed.hrefs("Datastreams with observations")[0])
    assert with_data.rows == 2  # header + the one datastream that has observations


async def test_a_base_map_is_an_option_off_by_default(html_world: HtmlWorld, client: httpx.AsyncClient) -> None:
    default = await client.get("/systems", headers={"Accept": BROWSER_ACCEPT})
    assert (
        "basemap" not in parse(default.text).data
        and "img-src 'self' data:;" in default.headers["content-security-policy"]
    )
    tiles = "https://{s}.tile.example.org/{z}/{x}/{y}.png"
    settings = Settings(
        auth=OPEN, store="sqlite:///:memory:", base_url=ROOT, html_basemap=tiles, html_basemap_attribution="© Example"
    )
    store = await SqlStore.open("sqlite:///:memory:")
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(settings, store)), base_url=ROOT
        ) as c:
            props = {"uid": "urn:x:1", "name": "One", "featureType": SOSA_SENSOR}
            body = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1, 2]}, "properties": props}
            r = await c.post("/systems", json=body)
            assert r.status_code == 201, r.text
            configured = await c.get("/systems", headers={"Accept": BROWSER_ACCEPT})
    finally:
        await store.close()
    assert parse(configured.text).data["basemap"] == {"url": tiles, "attribution": "© Example"}
    assert "img-src 'self' data: https://*.tile.example.org;" in configured.headers["content-security-policy"]


async def test_pages_and_assets_are_compressed_and_cached_sensibly(client: httpx.AsyncClient) -> None:
    r = await client.get("/systems", headers={"Accept": BROWSER_ACCEPT, "Accept-Encoding": "gzip"})
    assert r.headers["content-encoding"] == "gzip" and "<h1>Systems</h1>" in r.text  # httpx inflates it
    plain = await client.get("/systems", headers={"Accept": BROWSER_ACCEPT, "Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and int(plain.headers["content-length"]) == len(plain.content)
    vendored = await client.get("/static/vendor/leaflet-1.9.4/leaflet.js", headers={"Accept-Encoding": "gzip"})
    assert vendored.headers["cache-control"] == "public, max-age=604800, immutable"
    assert vendored.headers["content-encoding"] == "gzip"
    own = await client.get("/static/js/chart.js")
    assert own.headers["cache-control"] == "no-cache" and own.headers.get("etag")
    json_answer = await client.get("/systems", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in json_answer.headers  # JSON answers are as they were
