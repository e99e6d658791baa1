"""The four observation formats through the API (Part 2 §11): JSON, SWE Common JSON, SWE text/CSV, SWE binary.

Every datastream kind (scalar, record, vector, a datastream created with an SWE CSV schema, one created with an
SWE JSON schema, one whose records carry a sampling-feature field) is written in every format and read back
in every format with equal values. Rejected batches are 400s naming the problem and insert nothing.
JSON, SWE JSON and CSV bodies are built here by hand; binary bodies with the SWE codec compiled from the
schema the server publishes for `application/swe+binary` (and checked byte for byte in the scalar case).
"""

from __future__ import annotations

import json
import math
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import pytest_asyncio

from bridge import swe
from bridge.store.sql.store import SqlStore
from tests.api.part2_support import (
    AIR_TEMP,
    FOI_DEF,
    GEO,
    JSON,
    SWE_BINARY,
    SWE_CSV,
    SWE_JSON,
    SWE_TEXT,
    assert_error,
    csv_encoding_json,
    datastream_body,
    example,
    get_json,
    local_id,
    new_stream,
    new_system,
    open_part2_client,
    post_observations,
    quantity,
    sampling_feature_body,
    swe_datastream_body,
    time_field,
    walk,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")
RH = "http://mmisw.org/ont/cf/parameter/relative_humidity"
STATE = "http://example.org/def/state"
GUSTS = "http://example.org/def/gust_count"
HEATED = "http://example.org/def/heated"
TEMP = quantity("temp", AIR_TEMP, constraint={"type": "AllowedValues", "intervals": [[-50, 60]]})
RECORD = {
    "type": "DataRecord",
    "fields": [
        TEMP,
        quantity("rh", RH, "%"),
        {
            "name": "state",
            "type": "Category",
            "definition": STATE,
            "label": "State",
            "constraint": {"type": "AllowedTokens", "values": ["ok", "degraded"]},
        },
        {"name": "gusts", "type": "Count", "definition": GUSTS, "label": "Gusts"},
        {"name": "heated", "type": "Boolean", "definition": HEATED, "label": "Heated"},
    ],
}
FOI_RECORD = {
    "obsFormat": SWE_CSV,
    "recordSchema": {
        "type": "DataRecord",
        "fields": [time_field(), {"name": "station", "type": "Text", "definition": FOI_DEF, "label": "Station"}, TEMP],
    },
    "encoding": csv_encoding_json(),
}
TIMES = ["2021-03-15T04:53:34Z", "2021-03-15T04:54:34Z", "2021-03-15T04:55:34.5Z"]


@dataclass
class Kind:
    body: dict[str, Any]
    results: list[Any]
    fois: list[str | None] = field(default_factory=lambda: [None, None, None])


KINDS = {
    "scalar": Kind(datastream_body("scalar", TEMP), [21.5, -3.25, 0.0]),
    "record": Kind(
        datastream_body("record", RECORD),
        [
            {"temp": 21.5, "rh": 40.0, "state": "ok", "gusts": 3, "heated": True},
            {"temp": -1.0, "rh": 99.5, "state": "degraded", "gusts": 0, "heated": False},
            {"temp": 0.0, "rh": 0.0, "state": "ok", "gusts": 12, "heated": True},
        ],
    ),
    "vector": Kind(
        {"name": "vector", "schema": example("schemas/observationSchema-vector-json.json")},
        [
            {"lat": 43.6, "lon": 1.44, "h": 150.0},
            {"lat": -33.9, "lon": 151.2, "h": 0.0},
            {"lat": 0.0, "lon": 0.0, "h": -1.5},
        ],
    ),
    "csv-schema": Kind(
        {"name": "csv", "schema": example("schemas/observationSchema-scalar-swecsv.json")}, [23.5, 24.0, "NaN"]
    ),
    "swejson-schema": Kind(
        {"name": "swejson", "schema": example("schemas/observationSchema-scalar-swejson.json")},
        [23.5, "-Infinity", 1e-3],
    ),
    "foi-field": Kind(swe_datastream_body("foi", FOI_RECORD), [10.0, 11.0, 12.0], ["sf1", "sf2", "sf1"]),
}
WRITES = ["json-object", "json-array", SWE_JSON, SWE_CSV, SWE_TEXT, SWE_BINARY]
ALIASES = ["text/csv", "application/vnd.ogc.swe+json", "application/vnd.ogc.swe+binary"]
ROUND_TRIPS = [(kind, write) for kind in KINDS for write in WRITES] + [("scalar", alias) for alias in ALIASES]
READS = [JSON, SWE_JSON, SWE_CSV, SWE_TEXT, SWE_BINARY]


@dataclass
class World:
    client: httpx.AsyncClient
    system_id: str
    fois: dict[str, str]
    count: int = 0

    async def datastream(self, kind: str) -> str:
        self.count += 1
        body = dict(KINDS[kind].body, name=f"{kind} {self.count}")
        return await new_stream(self.client, self.system_id, "datastreams", body)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world() -> AsyncIterator[World]:
    store = await SqlStore.open("sqlite:///:memory:")
    async with open_part2_client(store) as client:
        system_id = await new_system(client, "urn:x-p2:sys:formats")
        fois = {}
        for name in ("sf1", "sf2"):
            body = sampling_feature_body(f"urn:x-p2:sf:{name}", name, "urn:x-p2:foi:field")
            r = await client.post(f"/systems/{system_id}/samplingFeatures", json=body, headers={"Content-Type": GEO})
            fois[name] = local_id(r.headers["location"])
        yield World(client, system_id, fois)
    await store.close()


# ------------------------------------------------------------------------------------------------
# The record layout published by the server, and hand-made encoders/decoders for it
# ------------------------------------------------------------------------------------------------


@dataclass
class Layout:
    """Field names and types of a datastream's SWE record (from `/schema?obsFormat=application/swe+json`)."""

    fields: list[dict[str, Any]]
    time: str
    foi: str | None
    result: list[str]

    @classmethod
    async def of(cls, client: httpx.AsyncClient, ds_id: str) -> Layout:
        schema = await get_json(client, f"/datastreams/{ds_id}/schema", obsFormat=SWE_JSON)
        fields = schema["recordSchema"]["fields"]
        time = next(f["name"] for f in fields if f["type"] == "Time")
        foi = next((f["name"] for f in fields if f.get("definition") == FOI_DEF), None)
        return cls(fields, time, foi, [f["name"] for f in fields if f["name"] not in (time, foi)])

    def record(self, when: str, result: Any, foi: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {self.time: when}
        if self.foi:
            out[self.foi] = foi
        out.update({self.result[0]: result} if len(self.result) == 1 else result)
        return out

    def observation(self, record: dict[str, Any]) -> tuple[str, Any, str | None]:
        result = record[self.result[0]] if len(self.result) == 1 else {k: record[k] for k in self.result}
        return record[self.time], result, record.get(self.foi) if self.foi else None

    def csv(self, records: list[dict[str, Any]]) -> bytes:
        lines = []
        for rec in records:
            tokens: list[str] = []
            for f in self.fields:
                value = rec[f["name"]]
                parts = [value[c["name"]] for c in f["coordinates"]] if f["type"] == "Vector" else [value]
                tokens += [_token(v) for v in parts]
            lines.append(",".join(tokens) + "\n")
        return "".join(lines).encode()

    def parse_csv(self, text: str) -> list[dict[str, Any]]:
        out = []
        for line in text.splitlines():
            tokens = iter(line.split(","))
            rec: dict[str, Any] = {}
            for f in self.fields:
                if f["type"] == "Vector":
                    rec[f["name"]] = {c["name"]: _value(c["type"], next(tokens)) for c in f["coordinates"]}
                else:
                    rec[f["name"]] = _value(f["type"], next(tokens))
            out.append(rec)
        return out


def _token(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return {"+Infinity": "INF", "-Infinity": "-INF"}.get(value, str(value))  # xs:double spellings in text


def _value(kind: str, token: str) -> Any:
    if kind == "Quantity":
        return float(token)
    if kind == "Count":
        return int(token)
    if kind == "Boolean":
        return {"true": True, "false": False}[token]
    return token


def _norm(value: Any) -> Any:
    """Compare numbers as floats and the special values by name (SWE JSON writes them as strings)."""
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    if isinstance(value, str) and value in ("NaN", "+Infinity", "-Infinity", "Infinity"):
        value = float(value.replace("Infinity", "inf"))
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        return value if math.isfinite(value) else ("+Inf" if value > 0 else "-Inf")
    return value


_CODECS: dict[str, swe.RecordCodec] = {}


async def _binary_codec(client: httpx.AsyncClient, ds_id: str) -> swe.RecordCodec:
    """The SWE codec of the binary schema the server publishes for a datastream."""
    if ds_id not in _CODECS:
        schema = await get_json(client, f"/datastreams/{ds_id}/schema", obsFormat=SWE_BINARY)
        component, encoding = swe.parse_component(schema["recordSchema"]), swe.parse_encoding(schema["encoding"])
        _CODECS[ds_id] = swe.make_codec(component, encoding)
    return _CODECS[ds_id]


async def _post(
    world: World, ds_id: str, fmt: str, layout: Layout, records: list[dict[str, Any]], obs: list[dict[str, Any]]
) -> None:
    client = world.client
    if fmt == "json-object":
        for one in obs:
            await post_observations(client, ds_id, one)
    elif fmt == "json-array":
        await post_observations(client, ds_id, obs)
    elif fmt in (SWE_JSON, "application/vnd.ogc.swe+json"):
        await post_observations(client, ds_id, json.dumps(records).encode(), fmt)
    elif fmt in (SWE_BINARY, "application/vnd.ogc.swe+binary"):
        body = b"".join((await _binary_codec(client, ds_id)).encode(records))
        await post_observations(client, ds_id, body, fmt)
    else:
        await post_observations(client, ds_id, layout.csv(records), fmt)


async def _read(world: World, ds_id: str, fmt: str, layout: Layout) -> list[tuple[str, Any, str | None]]:
    r = await world.client.get(f"/datastreams/{ds_id}/observations", headers={"Accept": fmt})
    assert r.status_code == 200 and r.headers["content-type"] == fmt, r.text
    if fmt == JSON:
        return [(o["phenomenonTime"], o["result"], o.get("samplingFeature@id")) for o in r.json()["items"]]
    if fmt == SWE_JSON:
        records = r.json()
    elif fmt == SWE_BINARY:
        records = (await _binary_codec(world.client, ds_id)).decode(r.content)
    else:
        records = layout.parse_csv(r.text)
    return [layout.observation(rec) for rec in records]


@pytest.mark.parametrize(("kind", "write"), ROUND_TRIPS, ids=[f"{k}-{w}" for k, w in ROUND_TRIPS])
async def test_round_trip(world: World, kind: str, write: str) -> None:
    spec = KINDS[kind]
    ds_id = await world.datastream(kind)
    layout = await Layout.of(world.client, ds_id)
    fois = [world.fois[f] if f else None for f in spec.fois]
    records = [layout.record(t, v, f) for t, v, f in zip(TIMES, spec.results, fois, strict=True)]
    obs = [
        {"resultTime": t, "result": v, **({"samplingFeature@id": f} if f else {})}
        for t, v, f in zip(TIMES, spec.results, fois, strict=True)
    ]
    await _post(world, ds_id, write, layout, records, obs)
    expected = [(t, _norm(v), f) for t, v, f in zip(TIMES, spec.results, fois, strict=True)]
    for fmt in READS:
        got = [(t, _norm(v), f) for t, v, f in await _read(world, ds_id, fmt, layout)]
        assert got == expected, fmt


async def test_scalar_binary_bytes_follow_the_published_encoding(world: World) -> None:
    ds_id = await world.datastream("scalar")
    schema = await get_json(world.client, f"/datastreams/{ds_id}/schema", obsFormat=SWE_BINARY)
    members = {m["ref"]: m["dataType"].rsplit("/", 1)[-1] for m in schema["encoding"]["members"]}
    assert members == {"/time": "string-utf-8", "/temp": "double"}
    assert schema["encoding"]["byteOrder"] == "bigEndian" and schema["encoding"]["byteEncoding"] == "raw"
    body = b"".join(
        struct.pack(">H", len(t)) + t.encode() + struct.pack(">d", v)
        for t, v in zip(TIMES, [1.5, 2.5, -3.0], strict=True)
    )
    await post_observations(world.client, ds_id, body, SWE_BINARY)
    r = await world.client.get(f"/datastreams/{ds_id}/observations", headers={"Accept": SWE_BINARY})
    assert r.content == body
    assert [o["result"] for o in await walk(world.client, f"/datastreams/{ds_id}/observations")] == [1.5, 2.5, -3.0]


async def _count(world: World, ds_id: str) -> int:
    return len(await walk(world.client, f"/datastreams/{ds_id}/observations"))


REJECTED: list[tuple[str, str, bytes, tuple[str, ...]]] = [
    ("scalar", SWE_CSV, b"2021-01-01T00:00:00Z,1.0\n2021-01-01T00:01:00Z\n", ("swe+csv",)),  # missing field
    ("scalar", SWE_CSV, b"2021-01-01T00:00:00Z,1.0\n2021-01-01T00:01:00Z,1.0,2.0\n", ("swe+csv",)),  # extra field
    ("scalar", SWE_CSV, b"2021-01-01T00:00:00Z,1.0\n2021-01-01T00:01:00Z,abc\n", ("swe+csv",)),  # bad number
    ("scalar", SWE_TEXT, b"2021-01-01T00:00:00Z,1.0\nnot-a-time,2.0\n", ("swe+text",)),
    ("scalar", SWE_CSV, b"2021-01-01T00:00:00Z,1.0\n2021-01-01T00:01:00Z,99\n", ("record 1", "result")),  # > 60
    (
        "record",
        SWE_CSV,
        b"2021-01-01T00:00:00Z,1,2,ok,1,true\n2021-01-01T00:01:00Z,1,2,broken,1,true\n",
        ("record 1",),
    ),  # not an allowed token
    ("record", SWE_CSV, b"2021-01-01T00:00:00Z,1,2,ok,1.5,true\n", ("swe+csv",)),  # a Count is an integer
    ("record", SWE_CSV, b"2021-01-01T00:00:00Z,1,2,ok,1,maybe\n", ("swe+csv",)),
    (
        "scalar",
        SWE_JSON,
        b'[{"time": "2021-01-01T00:00:00Z", "temp": 1.0}, {"time": "2021-01-01T00:00:00Z"}]',
        ("swe+json",),
    ),
    ("scalar", SWE_JSON, b"[1.0, 2.0]", ("swe+json",)),
    ("scalar", SWE_JSON, b"[{", ("swe+json",)),
    ("vector", JSON, json.dumps(example("observations/obs-location-create.json")).encode(), ("result",)),  # 'alt'
    (
        "scalar",
        JSON,
        json.dumps(
            [
                {"resultTime": TIMES[0], "result": 1.0},
                {"resultTime": TIMES[1], "result": 1.0},
                {"resultTime": TIMES[2], "result": -51.0},
            ]
        ).encode(),
        ("observation 2.result",),
    ),
    (
        "record",
        JSON,
        json.dumps([{"resultTime": TIMES[0], "result": {"temp": 1.0}}]).encode(),
        ("observation 0.result",),
    ),
    ("foi-field", SWE_CSV, b"2021-01-01T00:00:00Z,nowhere,1.0\n", ("nowhere",)),  # not a sampling feature here
]


@pytest.mark.parametrize(
    ("kind", "fmt", "body", "words"), REJECTED, ids=[f"{k}-{f}-{i}" for i, (k, f, _, _) in enumerate(REJECTED)]
)
async def test_rejected_batches_insert_nothing(
    world: World, kind: str, fmt: str, body: bytes, words: tuple[str, ...]
) -> None:
    ds_id = await world.datastream(kind)
    await post_observations(
        world.client,
        ds_id,
        [
            {
                "resultTime": "2020-01-01T00:00:00Z",
                "result": KINDS[kind].results[0],
                **({"samplingFeature@id": world.fois["sf1"]} if kind == "foi-field" else {}),
            }
        ],
    )
    r = await world.client.post(f"/datastreams/{ds_id}/observations", content=body, headers={"Content-Type": fmt})
    assert_error(r, 400, *words)
    assert await _count(world, ds_id) == 1


async def test_truncated_binary_is_rejected(world: World) -> None:
    ds_id = await world.datastream("record")
    layout = await Layout.of(world.client, ds_id)
    records = [layout.record(t, v, None) for t, v in zip(TIMES, KINDS["record"].results, strict=True)]
    body = b"".join((await _binary_codec(world.client, ds_id)).encode(records))
    for cut in (1, 5, len(body) // 2):
        r = await world.client.post(
            f"/datastreams/{ds_id}/observations", content=body[:-cut], headers={"Content-Type": SWE_BINARY}
        )
        assert_error(r, 400, "swe+binary")
    assert await _count(world, ds_id) == 0
    await post_observations(world.client, ds_id, body, SWE_BINARY)
    assert await _count(world, ds_id) == 3


async def test_unsupported_write_formats(world: World) -> None:
    ds_id = await world.datastream("scalar")
    r = await world.client.post(
        f"/datastreams/{ds_id}/observations", content=b"<obs/>", headers={"Content-Type": "application/xml"}
    )
    assert_error(r, 400, "JSON")
    assert_error(await world.client.get(f"/datastreams/{ds_id}/observations", headers={"Accept": "image/png"}), 406)
    link_ds = await new_stream(
        world.client,
        world.system_id,
        "datastreams",
        {"name": "images", "schema": {"obsFormat": JSON, "resultLink": {"mediaType": "image/png"}}},
    )
    doc = await get_json(world.client, f"/datastreams/{link_ds}")
    assert doc["formats"] == [JSON]
    r = await world.client.post(
        f"/datastreams/{link_ds}/observations", content=b"x,y\n", headers={"Content-Type": SWE_CSV}
    )
    assert_error(r, 415)
    await post_observations(
        world.client,
        link_ds,
        {"resultTime": TIMES[0], "result@link": {"href": "https://example.org/a.png", "type": "image/png"}},
    )
    obs = (await walk(world.client, f"/datastreams/{link_ds}/observations"))[0]
    assert obs["result@link"]["href"] == "https://example.org/a.png" and "result" not in obs
