"""Helpers for the CSAPI Part 1 API tests.

`open_client` builds an httpx client on the app whose response hook checks EVERY response:
no status >= 500, every error body is JSON with `code` and `description`, and every 200 body of a
Part 1 resource or resources endpoint validates against the official JSON schema of its encoding.
The builders return minimal schema-valid request bodies.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from bridge.api.app import create_app
from bridge.settings import Settings
from bridge.store.sql.store import SqlStore
from tests.conftest import FIXTURES
from tests.open_access import OPEN
from tests.validate import PART1, assert_valid

CSAPI = FIXTURES / "csapi"
BASE = "http://testserver"
GEO = "application/geo+json"
SML = "application/sml+json"
JSON = "application/json"
SOSA = "http://www.w3.org/ns/sosa/"
SF_POINT = "http://www.opengis.net/def/samplingFeatureType/OGC-OM/2.0/SF_SamplingPoint"
SF_SPECIMEN = "http://www.opengis.net/def/samplingFeatureType/OGC-OM/2.0/SF_Specimen"
KINDS = ("systems", "deployments", "procedures", "samplingFeatures", "properties")
BUILTIN = {
    "all_systems": "systems",
    "all_deployments": "deployments",
    "all_procedures": "procedures",
    "all_sampling_features": "samplingFeatures",
    "all_properties": "properties",
}
SCHEMA_NAMES = {
    "systems": "system",
    "deployments": "deployment",
    "procedures": "procedure",
    "samplingFeatures": "samplingFeature",
    "properties": "property",
}
NESTED = {
    "subsystems": "systems",
    "samplingFeatures": "samplingFeatures",
    "deployments": "deployments",
    "subdeployments": "deployments",
}


def load(rel: str) -> dict[str, Any]:
    """A fixture document under fixtures/csapi."""
    doc: dict[str, Any] = json.loads((CSAPI / rel).read_text(encoding="utf-8"))
    return doc


def schema_for(kind: str, media_type: str, many: bool) -> str:
    """Official schema path of a Part 1 resource (or collection) in one encoding."""
    folder = "geojson" if media_type == GEO else "sensorml"
    name = SCHEMA_NAMES[kind] + ("Collection" if many else "")
    return f"{PART1}{folder}/{name}.json"


def resource_kind(path: str, collections: dict[str, str]) -> tuple[str, bool] | None:
    """(kind, is_list) of a Part 1 URL path, None for other paths."""
    parts = path.strip("/").split("/")
    if parts[0] == "collections" and len(parts) in (3, 4) and parts[2] == "items":
        kind = collections.get(parts[1])
        return (kind, len(parts) == 3) if kind else None
    if parts[0] not in KINDS:
        return None
    if len(parts) <= 2:
        return parts[0], len(parts) == 1
    if len(parts) == 3 and parts[0] in ("systems", "deployments") and parts[2] in NESTED:
        return NESTED[parts[2]], True
    return None


def check_body(response: httpx.Response, collections: dict[str, str]) -> None:
    """The checks every API test applies to every response."""
    request = response.request
    where = f"{request.method} {request.url}"
    assert response.status_code < 500, f"{where} → {response.status_code}: {response.text}"
    if request.method == "HEAD":
        return
    media = response.headers.get("content-type", "")
    if response.status_code >= 400:
        assert media == JSON, f"{where}: error body labelled {media!r}"
        body = response.json()
        assert isinstance(body.get("code"), str) and body["code"], body
        assert isinstance(body.get("description"), str) and body["description"], body
        return
    if response.status_code != 200 or media not in (GEO, SML):
        return
    found = resource_kind(urlsplit(str(request.url)).path, collections)
    assert found is not None, f"{where}: a {media} body on a path the tests do not know"
    kind, many = found
    assert_valid(schema_for(kind, media, many), response.json())


@asynccontextmanager
async def open_client(
    store: SqlStore, settings: Settings | None = None, collections: dict[str, str] | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """A client on a fresh app over `store`, checking every response (see the module docstring)."""
    settings = settings or Settings(auth=OPEN, store="sqlite:///:memory:", base_url=BASE)
    known = {**BUILTIN, **(collections or {})}

    async def hook(response: httpx.Response) -> None:
        await response.aread()
        check_body(response, known)

    app = create_app(settings, store)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE, event_hooks={"response": [hook]}) as client:
        yield client


# ---------------------------------------------------------------------------------------------
# Writing and reading
# ---------------------------------------------------------------------------------------------


async def create(client: httpx.AsyncClient, path: str, body: Any, media_type: str | None = None) -> str:
    """POST a resource, check 201 + Location = canonical URL, return its local id."""
    media_type = media_type or (GEO if isinstance(body, dict) and body.get("type") == "Feature" else SML)
    r = await client.post(path, content=json.dumps(body), headers={"Content-Type": media_type})
    assert r.status_code == 201, f"POST {path}: {r.status_code} {r.text}"
    location = r.headers["location"]
    kind = path.rstrip("/").split("/")[-1]
    kind = {"subsystems": "systems", "subdeployments": "deployments", "items": kind}.get(kind, kind)
    rid = location.rsplit("/", 1)[-1]
    if kind in KINDS:
        assert location == f"{BASE}/{kind}/{rid}", location
    return rid


def items_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Items of a GeoJSON FeatureCollection or a SensorML collection."""
    items: list[dict[str, Any]] = body["features"] if "features" in body else body["items"]
    return items


def uid_of(item: dict[str, Any]) -> str:
    """UID of a GeoJSON feature or a SensorML document."""
    uid: str = item["properties"]["uid"] if "properties" in item else item["uniqueId"]
    return uid


async def list_ids(client: httpx.AsyncClient, url: str, **headers: str) -> list[str]:
    """Local ids listed at `url` (every page, following `next`)."""
    found: list[str] = []
    next_url: str | None = url
    while next_url:
        r = await client.get(next_url, headers=headers)
        assert r.status_code == 200, f"GET {next_url}: {r.status_code} {r.text}"
        body = r.json()
        found += [item["id"] for item in items_of(body)]
        next_url = link_href(body["links"], "next")
    return found


def link_href(links: Iterable[dict[str, Any]], rel: str) -> str | None:
    """href of the first link with `rel`, if any."""
    return next((lnk["href"] for lnk in links if lnk.get("rel") == rel), None)


async def doc(api: httpx.AsyncClient, url: str, media_type: str = GEO) -> dict[str, Any]:
    r = await api.get(url, headers={"Accept": media_type})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def assert_error(r: httpx.Response, status: int, *words: str) -> None:
    assert r.status_code == status, f"{r.status_code} {r.text}"
    for word in words:
        assert word in r.json()["description"], (word, r.json())


def assert_bad_param(response: httpx.Response, name: str) -> None:
    """400 whose JSON body names the parameter."""
    assert response.status_code == 400, f"{response.request.url}: {response.status_code} {response.text}"
    body = response.json()
    assert name in body["description"], body
    assert body.get("details", {}).get("parameter") == name, body


def representative(cases: list[tuple[str, set[str]]]) -> list[tuple[str, set[str]]]:
    """The first match and the first non-match of each parameter among `(query, expected names)` cases.

    The `/collections/{cid}/items` endpoints re-run these: they take the same parameters and give the
    same responses as the resource type's endpoint (Req 8C/18C/28C/33C/37C).
    """
    chosen: dict[tuple[str, bool], tuple[str, set[str]]] = {}
    for query, expected in cases:
        chosen.setdefault((query.split("=", 1)[0], bool(expected)), (query, expected))
    return list(chosen.values())


def with_bases(cases: list[tuple[str, set[str]]], canonical: str, collection: str) -> list[Any]:
    """`pytest.param(base, query, expected)`: every case on the canonical endpoint, the
    representative ones on the collection items endpoint."""
    on_canonical = [(canonical, q, e) for q, e in cases]
    on_collection = [(collection, q, e) for q, e in representative(cases)]
    return [pytest.param(*case, id=f"{case[0]}?{case[1]}") for case in on_canonical + on_collection]


# ---------------------------------------------------------------------------------------------
# Request bodies
# ---------------------------------------------------------------------------------------------


def point(lon: float, lat: float, *z: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat, *z]}


def box_polygon(minx: float, miny: float, maxx: float, maxy: float) -> dict[str, Any]:
    ring = [[minx, miny], [maxx, miny], [maxx, maxy], [minx, maxy], [minx, miny]]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(uid: str, name: str, feature_type: str, geometry: Any = None, **props: Any) -> dict[str, Any]:
    """A GeoJSON feature body; `validTime` etc. go in `props` (`None` values are dropped)."""
    properties = {"uid": uid, "name": name, "featureType": feature_type}
    properties.update({k: v for k, v in props.items() if v is not None})
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def geo_system(uid: str, name: str, kind: str = "Sensor", geometry: Any = None, **props: Any) -> dict[str, Any]:
    return feature(uid, name, SOSA + kind, geometry, **props)


def sampling_feature(uid: str, name: str, sampled: dict[str, Any], geometry: Any = None, **props: Any) -> Any:
    return feature(uid, name, props.pop("featureType", SF_POINT), geometry, **{"sampledFeature@link": sampled}, **props)


def quantity(name: str, definition: str) -> dict[str, Any]:
    """A SWE Common Quantity used as a SensorML input or output."""
    return {"name": name, "type": "Quantity", "definition": definition, "label": name, "uom": {"code": "1"}}


def sml_process(
    uid: str,
    label: str,
    definition: str,
    sml_type: str = "PhysicalSystem",
    outputs: Iterable[str] = (),
    inputs: Iterable[str] = (),
    **members: Any,
) -> dict[str, Any]:
    """A SensorML system or procedure; outputs/inputs are property URIs."""
    doc: dict[str, Any] = {"type": sml_type, "definition": definition, "uniqueId": uid, "label": label}
    if outputs:
        doc["outputs"] = [quantity(f"out{i}", d) for i, d in enumerate(outputs)]
    if inputs:
        doc["inputs"] = [quantity(f"in{i}", d) for i, d in enumerate(inputs)]
    doc.update({k: v for k, v in members.items() if v is not None})
    return doc


def sml_property(uid: str, label: str, base: str, **members: Any) -> dict[str, Any]:
    doc = {"uniqueId": uid, "label": label, "baseProperty": base}
    doc.update({k: v for k, v in members.items() if v is not None})
    return doc


def sml_deployment(uid: str, label: str, valid: list[str] | None, systems: Iterable[str] = (), **members: Any) -> Any:
    """A SensorML deployment whose deployedSystems link to `systems` (hrefs or UIDs)."""
    doc: dict[str, Any] = {"type": "Deployment", "definition": SOSA + "Deployment", "uniqueId": uid, "label": label}
    if valid is not None:
        doc["validTime"] = valid
    deployed = [{"name": f"sys{i}", "system": {"href": href}} for i, href in enumerate(systems)]
    if deployed:
        doc["deployedSystems"] = deployed
    doc.update({k: v for k, v in members.items() if v is not None})
    return doc


def geo_deployment(uid: str, name: str, valid: list[str], systems: Iterable[str] = (), geometry: Any = None) -> Any:
    links = [{"href": href} for href in systems]
    return feature(uid, name, SOSA + "Deployment", geometry, validTime=valid, **{"deployedSystems@link": links or None})
