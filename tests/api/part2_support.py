"""Helpers for the CSAPI Part 2 API tests (datastreams, observations, control streams, commands, events).

`open_part2_client` builds an httpx client whose response hook checks EVERY response: no status >= 500,
every error is a JSON body with `code` and `description`, and every JSON body of a Part 2 endpoint
validates against the official schema of that endpoint (Part 1 bodies are checked by `support.check_body`).
The builders return small request bodies; the official examples are under fixtures/csapi/part2.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import httpx
from fastapi import FastAPI

from bridge.api.app import create_app
from bridge.commands.base import Forwarder
from bridge.commands.pipeline import CommandPipeline
from bridge.settings import Settings
from bridge.store.sql.store import SqlStore
from tests.api.support import BASE, BUILTIN, GEO, JSON, SML, SOSA, check_body
from tests.conftest import FIXTURES
from tests.open_access import OPEN
from tests.validate import PART1, PART2, assert_valid

EXAMPLES = FIXTURES / "csapi" / "part2"
SWE_JSON = "application/swe+json"
SWE_CSV = "application/swe+csv"
SWE_TEXT = "application/swe+text"
SWE_BINARY = "application/swe+binary"
SAMPLING_TIME = "http://www.opengis.net/def/property/OGC/0/SamplingTime"
ISSUE_TIME = "http://www.opengis.net/def/property/OGC/0/IssueTime"
FOI_DEF = "http://www.w3.org/ns/sosa/FeatureOfInterest"
AIR_TEMP = "http://mmisw.org/ont/cf/parameter/air_temperature"

_ID = "[^/]+"
# (path pattern, schema of a single JSON body); `{fmt}` schemas are chosen from the body (see `_schema_doc`).
_SCHEMAS: list[tuple[str, str]] = [
    (rf"/(datastreams|systems/{_ID}/datastreams|deployments/{_ID}/datastreams)", "dataStreamCollection.json"),
    (rf"/(datastreams|systems/{_ID}/datastreams)/{_ID}", "dataStream.json"),
    (rf"/datastreams/{_ID}/schema", "observationSchema"),
    (rf"/(observations|datastreams/{_ID}/observations)", "observationCollection.json"),
    (rf"/(observations|datastreams/{_ID}/observations)/{_ID}", "observation.json"),
    (
        rf"/(controlstreams|systems/{_ID}/controlstreams|deployments/{_ID}/controlstreams)",
        "controlStreamCollection.json",
    ),
    (rf"/(controlstreams|systems/{_ID}/controlstreams)/{_ID}", "controlStream.json"),
    (rf"/controlstreams/{_ID}/schema", "commandSchema"),
    (rf"/(commands|controlstreams/{_ID}/commands)", "commandCollection.json"),
    (rf"/(commands|controlstreams/{_ID}/commands)/{_ID}", "command.json"),
    (rf"/commands/{_ID}/status", "commandStatusCollection.json"),
    (rf"/commands/{_ID}/status/{_ID}", "commandStatus.json"),
    (rf"/commands/{_ID}/result", "commandResultCollection.json"),
    (rf"/commands/{_ID}/result/{_ID}", "commandResult.json"),
    (rf"/(systemEvents|systems/{_ID}/events)", "systemEventCollection.json"),
    (rf"/(systemEvents|systems/{_ID}/events)/{_ID}", "systemEvent.json"),
]
_FEATURE_LISTS = re.compile(rf"^/(datastreams|controlstreams)/{_ID}/(samplingFeatures|featuresOfInterest)$")
_HISTORY = re.compile(rf"^/systems/{_ID}/history(/{_ID})?$")


def example(rel: str) -> Any:
    """An official example document under fixtures/csapi/part2."""
    return json.loads((EXAMPLES / rel).read_text(encoding="utf-8"))


def _schema_doc(name: str, body: Any) -> str:
    """Schema file of a `/schema` body.

    `application/swe+csv` schemas are validated against the SWE branch directly: the upstream `oneOf` of
    observationSchema.json / commandSchema.json also matches observationSchemaAnyOther.json /
    commandSchemaAnyOther.json for swe+csv (their `not` list omits that media type), so a correct
    swe+csv schema matches two branches and fails the `oneOf` (upstream defect, examples/VALIDATION.md).
    """
    fmt = body.get("obsFormat") or body.get("commandFormat") if isinstance(body, dict) else None
    if fmt == SWE_CSV:
        return f"{name}Swe.json"
    return f"{name}.json"


def part2_schema(path: str, body: Any) -> str | None:
    """Official schema of a JSON 200 body at `path`, None for paths that are not Part 2 JSON endpoints."""
    for pattern, schema in _SCHEMAS:
        if re.fullmatch(pattern, path):
            return PART2 + (schema if schema.endswith(".json") else _schema_doc(schema, body))
    return None


_VALID: set[tuple[str, bytes]] = set()


def _assert_valid(schema: str, response: httpx.Response) -> None:
    """`assert_valid`, remembering bodies already found valid (many tests read identical documents)."""
    key = (schema, response.content)
    if key not in _VALID:
        assert_valid(schema, response.json())
        _VALID.add(key)


def check_part2(response: httpx.Response) -> None:
    """The checks applied to every response of the Part 2 tests."""
    request = response.request
    where = f"{request.method} {request.url}"
    assert response.status_code < 500, f"{where} → {response.status_code}: {response.text}"
    media = response.headers.get("content-type", "")
    path = urlsplit(str(request.url)).path
    if response.status_code >= 400:
        check_body(response, BUILTIN)
        return
    if response.status_code == 201 and media == JSON and request.method == "POST":
        body = response.json()
        if "items" in body:
            assert all(isinstance(u, str) and u.startswith(BASE) for u in body["items"]), body
        elif "statusCode" in body:  # synchronous control stream: the final status report
            _assert_valid(PART2 + "commandStatus.json", response)
        return
    if response.status_code != 200:
        return
    if _FEATURE_LISTS.match(path):
        assert media == GEO, f"{where}: {media}"
        _assert_valid(PART1 + "geojson/samplingFeatureCollection.json", response)
        return
    if _HISTORY.match(path):
        folder = "geojson" if media == GEO else "sensorml"
        name = "system.json" if path.count("/") == 4 else "systemCollection.json"
        _assert_valid(f"{PART1}{folder}/{name}", response)
        return
    if media in (JSON, SML) and request.method == "GET":  # events are also served as application/sml+json
        schema = part2_schema(path, response.json())
        if schema is not None:
            _assert_valid(schema, response)
            return
    if media in (GEO, SML) or (media == JSON and not _is_part2(path)):
        check_body(response, BUILTIN)


def _is_part2(path: str) -> bool:
    return any(re.fullmatch(p, path) for p, _ in _SCHEMAS)


@cache
def _shared_app() -> FastAPI:
    """One app for all the tests without forwarders: building the routes costs more than most tests."""
    return create_app(Settings(auth=OPEN, store="sqlite:///:memory:", base_url=BASE))


@asynccontextmanager
async def open_part2_client(
    store: SqlStore, forwarders: list[Forwarder] | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the app over `store` (optionally with command forwarders), checking every response."""

    async def hook(response: httpx.Response) -> None:
        await response.aread()
        check_part2(response)

    if forwarders:
        app = create_app(Settings(auth=OPEN, store="sqlite:///:memory:", base_url=BASE), store, forwarders=forwarders)
    else:
        app = _shared_app()
        app.state.store = store
        app.state.pipeline = CommandPipeline(store)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE, event_hooks={"response": [hook]}) as client:
        yield client


# ---------------------------------------------------------------------------------------------
# Request bodies
# ---------------------------------------------------------------------------------------------


def system_body(uid: str, name: str = "System") -> dict[str, Any]:
    """A minimal GeoJSON system."""
    props = {"uid": uid, "name": name, "featureType": SOSA + "Sensor"}
    return {"type": "Feature", "geometry": None, "properties": props}


def sampling_feature_body(uid: str, name: str, sampled_href: str) -> dict[str, Any]:
    """A minimal GeoJSON sampling feature (point) sampling `sampled_href`."""
    props = {
        "uid": uid,
        "name": name,
        "featureType": "http://www.opengis.net/def/samplingFeatureType/OGC-OM/2.0/SF_SamplingPoint",
        "sampledFeature@link": {"href": sampled_href},
    }
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [1.0, 43.0]}, "properties": props}


def quantity(name: str, definition: str, uom: str = "Cel", **extra: Any) -> dict[str, Any]:
    return {"name": name, "type": "Quantity", "definition": definition, "label": name, "uom": {"code": uom}, **extra}


def time_field(name: str = "time", definition: str = SAMPLING_TIME) -> dict[str, Any]:
    return {
        "name": name,
        "type": "Time",
        "definition": definition,
        "label": "Time",
        "referenceFrame": "http://www.opengis.net/def/trs/BIPM/0/UTC",
        "uom": {"href": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"},
    }


def csv_encoding_json() -> dict[str, Any]:
    """The TextEncoding of application/swe+csv."""
    return {
        "type": "TextEncoding",
        "collapseWhiteSpaces": True,
        "decimalSeparator": ".",
        "tokenSeparator": ",",
        "blockSeparator": "\n",
    }


def datastream_body(name: str, result_schema: dict[str, Any], **members: Any) -> dict[str, Any]:
    """A datastream creation body with an application/json schema."""
    return {"name": name, "schema": {"obsFormat": JSON, "resultSchema": result_schema}, **members}


def swe_datastream_body(name: str, schema: dict[str, Any], **members: Any) -> dict[str, Any]:
    """A datastream creation body with a SWE schema (`recordSchema` + `encoding`)."""
    return {"name": name, "schema": schema, **members}


def controlstream_body(name: str, params_schema: dict[str, Any], **members: Any) -> dict[str, Any]:
    """A control stream creation body with an application/json command schema."""
    return {"name": name, "schema": {"commandFormat": JSON, "parametersSchema": params_schema}, **members}


# ---------------------------------------------------------------------------------------------
# Calls
# ---------------------------------------------------------------------------------------------


def local_id(location: str) -> str:
    return location.rstrip("/").rsplit("/", 1)[-1]


async def post_json(
    client: httpx.AsyncClient, path: str, body: Any, status: int = 201, **headers: str
) -> httpx.Response:
    """POST a JSON body and check the status."""
    r = await client.post(path, content=json.dumps(body), headers={"Content-Type": JSON, **headers})
    assert r.status_code == status, f"POST {path}: {r.status_code} {r.text}"
    return r


async def new_system(client: httpx.AsyncClient, uid: str, name: str = "System") -> str:
    """Create a system, return its local id."""
    r = await client.post("/systems", content=json.dumps(system_body(uid, name)), headers={"Content-Type": GEO})
    assert r.status_code == 201, r.text
    return local_id(r.headers["location"])


async def new_stream(client: httpx.AsyncClient, system_id: str, kind: str, body: dict[str, Any]) -> str:
    """Create a datastream (`kind`="datastreams") or control stream under a system; check Location."""
    r = await post_json(client, f"/systems/{system_id}/{kind}", body)
    location = r.headers["location"]
    rid = local_id(location)
    assert location == f"{BASE}/{kind}/{rid}"
    return rid


async def post_observations(
    client: httpx.AsyncClient, ds_id: str, body: bytes | Any, media_type: str = JSON, status: int = 201
) -> httpx.Response:
    """POST observations in any format (bytes are sent as they are, other values as JSON)."""
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    r = await client.post(f"/datastreams/{ds_id}/observations", content=content, headers={"Content-Type": media_type})
    assert r.status_code == status, f"{r.status_code} {r.text}"
    return r


async def get_json(client: httpx.AsyncClient, url: str, **params: Any) -> Any:
    """GET a JSON document (200 expected)."""
    r = await client.get(url, params=params or None)
    assert r.status_code == 200, f"GET {url} {params}: {r.status_code} {r.text}"
    return r.json()


async def walk(client: httpx.AsyncClient, url: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a JSON listing, following `next` links."""
    items: list[dict[str, Any]] = []
    body = await get_json(client, url, **params)
    while True:
        items += body["features"] if "features" in body else body["items"]
        nxt = link_href(body["links"], "next")
        if nxt is None:
            return items
        body = await get_json(client, nxt)


async def ids_at(client: httpx.AsyncClient, url: str, **params: Any) -> set[str]:
    """Local ids of every item listed at `url` (all pages)."""
    return {item["id"] for item in await walk(client, url, **params)}


def link_href(links: Sequence[dict[str, Any]], rel: str) -> str | None:
    return next((lnk["href"] for lnk in links if lnk.get("rel") == rel), None)


def rels(body: dict[str, Any]) -> dict[str, str]:
    """`rel` → `href` of a resource's links (first of each rel)."""
    out: dict[str, str] = {}
    for lnk in body.get("links", []):
        out.setdefault(lnk["rel"], lnk["href"])
    return out


def assert_error(response: httpx.Response, status: int, *words: str) -> dict[str, Any]:
    """Status and the words the error description must contain; returns the body."""
    assert response.status_code == status, f"{response.request.url}: {response.status_code} {response.text}"
    body: dict[str, Any] = response.json()
    for word in words:
        assert word in body["description"], (word, body)
    return body


def assert_bad_param(response: httpx.Response, name: str) -> None:
    """400 whose JSON body names the parameter."""
    body = assert_error(response, 400, name)
    assert body.get("details", {}).get("parameter") == name, body
