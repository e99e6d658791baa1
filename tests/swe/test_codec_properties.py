"""Property tests: decode(encode(x)) == x for random schemas and values, in every encoding."""

from __future__ import annotations

import base64
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.swe import (
    JSONEncoding,
    TextEncoding,
    csv_encoding,
    make_codec,
    parse_component,
    validate_value,
)
from tests.swe.strategies import binary_encoding_for, contains_geometry, record_schemas, values_of

SETTINGS = settings(
    max_examples=int(os.environ.get("SWE_PROPERTY_EXAMPLES", "150")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def schema_and_records(draw: st.DrawFn, allow_geometry: bool = True) -> tuple[Any, list[Any]]:
    schema = parse_component(draw(record_schemas(allow_geometry)))
    records = draw(st.lists(values_of(schema), min_size=1, max_size=4))
    return schema, records


def _round_trip(schema: Any, encoding: Any, records: list[Any]) -> bytes:
    codec = make_codec(schema, encoding)
    body = b"".join(codec.encode(records))
    assert codec.decode(body) == records
    return body


@SETTINGS
@given(schema_and_records())
def test_generated_values_are_valid(case: tuple[Any, list[Any]]) -> None:
    schema, records = case
    for record in records:
        validate_value(schema, record)


@SETTINGS
@given(schema_and_records(), st.booleans(), st.booleans())
def test_json_round_trip(case: tuple[Any, list[Any]], records_as_arrays: bool, vectors_as_arrays: bool) -> None:
    schema, records = case
    enc = JSONEncoding(records_as_arrays=records_as_arrays, vectors_as_arrays=vectors_as_arrays)
    _round_trip(schema, enc, records)


@SETTINGS
@given(schema_and_records())
def test_csv_round_trip(case: tuple[Any, list[Any]]) -> None:
    schema, records = case
    tolerant = [r for r in records if not contains_geometry(schema)]
    body = _round_trip(schema, csv_encoding(), tolerant)
    assert body.count(b"\n") == len(tolerant)


TOKENS = [",", ";", "\t", " ", "||"]
BLOCKS = ["\n", "\r\n", "#", "@@"]


@SETTINGS
@given(
    schema_and_records(),
    st.sampled_from(TOKENS),
    st.sampled_from(BLOCKS),
    st.sampled_from([".", ","]),
    st.booleans(),
)
def test_text_round_trip(case: tuple[Any, list[Any]], token: str, block: str, decimal: str, collapse: bool) -> None:
    schema, records = case
    if decimal == token or (contains_geometry(schema) and token in (",", " ")):
        token = ";"
    enc = TextEncoding(
        token_separator=token, block_separator=block, decimal_separator=decimal, collapse_white_spaces=collapse
    )
    _round_trip(schema, enc, records)


@SETTINGS
@given(schema_and_records(), st.booleans(), st.booleans())
def test_binary_round_trip(case: tuple[Any, list[Any]], big_endian: bool, use_base64: bool) -> None:
    schema, records = case
    body = _round_trip(schema, binary_encoding_for(schema, big_endian, use_base64), records)
    if use_base64:
        raw = b"".join(make_codec(schema, binary_encoding_for(schema, big_endian, False)).encode(records))
        assert body == base64.b64encode(raw)


@SETTINGS
@given(schema_and_records())
def test_encode_record_matches_stream_encoding(case: tuple[Any, list[Any]]) -> None:
    schema, records = case
    codec = make_codec(schema, binary_encoding_for(schema, True, False))
    assert b"".join(codec.encode_record(r) for r in records) == b"".join(codec.encode(records))
    for record in records:
        assert codec.decode_record(codec.encode_record(record)) == record
