"""Codec micro-benchmark (skipped unless SWE_BENCH=1): records/s per format, encode and decode.

SWE_BENCH=1 python -m pytest tests/swe/test_codec_bench.py -s
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from bridge.swe import (
    Component,
    Encoding,
    JSONEncoding,
    RecordCodec,
    csv_encoding,
    default_binary_encoding,
    make_codec,
    parse_component,
)
from bridge.swe.encodings import DATA_TYPE_PREFIX

pytestmark = pytest.mark.skipif(os.environ.get("SWE_BENCH") != "1", reason="benchmark: set SWE_BENCH=1")

ISO = {"href": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
N = 100_000


def _schemas() -> dict[str, tuple[Component, Callable[[int], dict[str, Any]]]]:
    two = parse_component(
        {
            "type": "DataRecord",
            "fields": [{"name": "time", "type": "Time", "uom": ISO}, {"name": "temp", "type": "Quantity"}],
        }
    )
    six = parse_component(
        {
            "type": "DataRecord",
            "fields": [
                {"name": "time", "type": "Time", "uom": ISO},
                {"name": "temp", "type": "Quantity"},
                {"name": "press", "type": "Quantity"},
                {"name": "count", "type": "Count"},
                {"name": "status", "type": "Category"},
                {"name": "ok", "type": "Boolean"},
            ],
        }
    )

    def stamp(i: int) -> str:
        return f"2021-03-15T{i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d}.{i % 999 + 1:03d}".rstrip("0") + "Z"

    return {
        "time+quantity": (two, lambda i: {"time": stamp(i), "temp": 20.0 + i / 1000}),
        "6 fields": (
            six,
            lambda i: {
                "time": stamp(i),
                "temp": 20.0 + i / 1000,
                "press": 1013.25,
                "count": i,
                "status": "OK",
                "ok": True,
            },
        ),
    }


def _encodings(schema: Component) -> dict[str, Encoding]:
    double_time = default_binary_encoding(schema)
    double_time.members[0].data_type = DATA_TYPE_PREFIX + "double"  # type: ignore[union-attr]
    return {
        "swe+json": JSONEncoding(),
        "swe+json arrays": JSONEncoding(records_as_arrays=True),
        "swe+csv": csv_encoding(),
        "swe+binary": default_binary_encoding(schema),
        "swe+binary double time": double_time,
    }


def _best(run: Callable[[], Any], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def _encode_all(codec: RecordCodec, records: list[Any]) -> bytes:
    return b"".join(codec.encode(records))


def test_codec_speed() -> None:
    print()
    for label, (schema, make) in _schemas().items():
        records = [make(i) for i in range(N)]
        for name, enc in _encodings(schema).items():
            codec = make_codec(schema, enc)
            body = b"".join(codec.encode(records))
            assert codec.decode(body) == records
            encode = _best(partial(_encode_all, codec, records))
            decode = _best(partial(codec.decode, body))
            size = len(body) / N
            print(f"{label:14} {name:24} encode {N / encode:>9,.0f}/s  decode {N / decode:>9,.0f}/s  {size:5.1f} B")
