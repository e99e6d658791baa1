"""SWE JSON codec: worked examples, array options, specials, and malformed input."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from bridge.swe import (
    SWE_JSON,
    JSONEncoding,
    SweDecodeError,
    SweEncodeError,
    json_encoding,
    make_codec,
    parse_component,
    parse_encoding,
)
from tests.swe.helpers import load


def _codec(rel: str, **options: Any) -> Any:
    doc = load(rel)
    enc = JSONEncoding(**options) if options else parse_encoding(doc["encoding"])
    return make_codec(parse_component(doc["recordSchema"]), enc)


def test_worked_example() -> None:
    codec = _codec("part2/observationSchema-scalar-swejson.json")
    assert codec.media_type == SWE_JSON
    records = [{"time": "2021-03-15T04:53:34Z", "temp": 23.5}, {"time": "2021-03-15T04:54:34Z", "temp": "NaN"}]
    body = b"".join(codec.encode(records))
    assert orjson.loads(body) == records
    assert codec.decode(body) == records
    assert codec.encode_record(records[0]) == b'{"time":"2021-03-15T04:53:34Z","temp":23.5}'
    assert codec.decode_record(b'{"time":"2021-03-15T04:53:34Z","temp":23.5}') == records[0]


def test_records_as_arrays() -> None:
    codec = _codec("part2/observationSchema-scalar-swejson.json", records_as_arrays=True)
    body = b"".join(codec.encode([{"time": "2021-03-15T04:53:34Z", "temp": 23.5}]))
    assert body == b'[["2021-03-15T04:53:34Z",23.5]]'
    assert codec.decode(body) == [{"time": "2021-03-15T04:53:34Z", "temp": 23.5}]


def test_geopose_data_example_and_vectors_as_arrays() -> None:
    data = load("geopose/BasicYPRWithTime_Data.json")
    normalised = {**data, "time": "2023-01-29T12:30:45Z"}
    codec = _codec("part2/observationSchema-geopose-swejson.json")
    assert codec.decode(orjson.dumps([data])) == [normalised]
    arrays = _codec("part2/observationSchema-geopose-swejson.json", vectors_as_arrays=True)
    body = b"".join(arrays.encode([data]))
    assert orjson.loads(body) == [
        {"time": "2023-01-29T12:30:45Z", "position": [42.7842, -86.1485, 456.3], "angles": [132.5, 13.2, 1.3]}
    ]
    assert arrays.decode(body) == [normalised]
    both = _codec("part2/observationSchema-geopose-swejson.json", vectors_as_arrays=True, records_as_arrays=True)
    assert orjson.loads(b"".join(both.encode([data])))[0][1] == [42.7842, -86.1485, 456.3]


def test_normalisation_of_times_numbers_and_specials() -> None:
    codec = _codec("part2/commandSchema-ptz-swejson.json")
    decoded = codec.decode(b'{"time": "2021-03-15T05:53:34.248+01:00", "pan": -10, "tilt": "Infinity", "zoom": 0.4}')
    assert decoded == [{"time": "2021-03-15T04:53:34.248Z", "pan": -10.0, "tilt": "+Infinity", "zoom": 0.4}]
    assert isinstance(decoded[0]["pan"], float)
    out = b"".join(
        codec.encode([{"time": "2021-03-15T04:53:34Z", "pan": float("nan"), "tilt": float("-inf"), "zoom": 1}])
    )
    assert out == b'[{"time":"2021-03-15T04:53:34Z","pan":"NaN","tilt":"-Infinity","zoom":1}]'


def test_optional_fields_and_empty_stream() -> None:
    schema = parse_component(
        {
            "type": "DataRecord",
            "fields": [{"name": "a", "type": "Count"}, {"name": "b", "type": "Text", "optional": True}],
        }
    )
    codec = make_codec(schema, json_encoding())
    assert b"".join(codec.encode([])) == b"[]"
    assert codec.decode(b"[]") == []
    assert codec.decode(b'[{"a": 1, "b": null}, {"a": 2}]') == [{"a": 1}, {"a": 2}]
    arrays = make_codec(schema, JSONEncoding(records_as_arrays=True))
    assert b"".join(arrays.encode([{"a": 1}])) == b"[[1,null]]"
    assert arrays.decode(b'[[1,null],[2,"x"]]') == [{"a": 1}, {"a": 2, "b": "x"}]


def test_chunks_join_into_one_json_array() -> None:
    codec = _codec("part2/observationSchema-scalar-swejson.json")
    records = [{"time": "2021-03-15T04:53:34Z", "temp": float(i)} for i in range(2500)]
    chunks = list(codec.encode(records))
    assert len(chunks) == 4  # three chunks of records, then the closing bracket
    assert orjson.loads(b"".join(chunks)) == records


@pytest.mark.parametrize(
    ("body", "index", "field", "fragment"),
    [
        (b'[{"time": "2021-03-15T04:53:34Z", "temp": 1}, {"time": "2021-03-15T04:53:34Z"}]', 1, "temp", "required"),
        (b'[{"time": "2021-03-15T04:53:34Z", "temp": "warm"}]', 0, "temp", "expected a number"),
        (b'[{"time": "2021-03-15T04:53:34Z", "temp": true}]', 0, "temp", "expected a number"),
        (b'[{"time": "2021-03-15", "temp": 1, "hum": 2}]', 0, "hum", "unknown field"),
        (b'[{"time": 1615784014, "temp": 1}]', 0, "time", "ISO 8601"),
        (b'[{"time": "noon", "temp": 1}]', 0, "time", "ISO 8601"),
        (b"[1]", 0, None, "expected an object"),
        (b'[{"time": "2021-03-15T04:53:34Z", "temp": 1}', None, None, "invalid JSON"),
    ],
)
def test_malformed_json_is_rejected(body: bytes, index: int | None, field: str | None, fragment: str) -> None:
    with pytest.raises(SweDecodeError) as err:
        _codec("part2/observationSchema-scalar-swejson.json").decode(body)
    assert (err.value.record_index, err.value.field_path) == (index, field)
    assert fragment in err.value.message


def test_malformed_nested_values() -> None:
    schema = parse_component(
        {
            "type": "DataRecord",
            "fields": [
                {"name": "n", "type": "Count"},
                {"name": "msg", **load("spec/choice1.json")},
                {"name": "track", **load("spec/array2.json")},
                {"name": "where", **load("spec/geometry1.json")},
                {"name": "range", **load("spec/quantity-range1.json")},
            ],
        }
    )
    codec = make_codec(schema, json_encoding())
    good: dict[str, Any] = {
        "n": 1,
        "msg": {"PRESS": {"time": "2021-03-15T04:53:34Z", "press": 1013.0}},
        "track": [{"lat": 1.0, "lon": 2.0}],
        "where": {"type": "Point", "coordinates": [1.0, 2.0]},
        "range": [1.0, 2.0],
    }
    assert codec.decode(orjson.dumps(good)) == [good]
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"n": 1.5}, "n", "integer"),
        ({"msg": {"WIND": {}}}, "msg", "unknown choice item"),
        ({"track": [{"lat": 1.0, "lon": 2.0}, {"lat": 1.0}]}, "track[].lon", "required"),
        ({"where": {"type": "Circle"}}, "where", "GeoJSON"),
        ({"range": [1.0]}, "range", "two values"),
    ]
    for patch, field, fragment in cases:
        with pytest.raises(SweDecodeError) as err:
            codec.decode(orjson.dumps([good, {**good, **patch}]))
        assert (err.value.record_index, err.value.field_path) == (1, field)
        assert fragment in err.value.message
        with pytest.raises(SweEncodeError) as enc_err:
            b"".join(codec.encode([good, {**good, **patch}]))
        assert (enc_err.value.record_index, enc_err.value.field_path) == (1, field)


def test_flat_record_encode_errors_name_record_and_field() -> None:
    codec = _codec("part2/commandSchema-ptz-swejson.json")
    good = {"time": "2021-03-15T04:53:34Z", "pan": 1.0, "tilt": 2.0, "zoom": 3.0}
    for patch, field in (({"pan": "left"}, "pan"), ({"zoom": None}, "zoom"), ({"time": 12}, "time")):
        with pytest.raises(SweEncodeError) as err:
            b"".join(codec.encode([good, good, {**good, **patch}]))
        assert (err.value.record_index, err.value.field_path) == (2, field)


def test_datetime_objects_and_numeric_times_are_converted() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    schema = parse_component(
        {
            "type": "DataRecord",
            "fields": [
                {"name": "t", "type": "Time", "uom": {"href": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}},
                {"name": "ms", "type": "Time", "uom": {"code": "ms"}, "referenceTime": "2021-03-15T00:00:00Z"},
            ],
        }
    )
    codec = make_codec(schema, json_encoding())
    stamp = datetime(2021, 3, 15, 5, 53, 34, 500000, tzinfo=timezone(timedelta(hours=1)))
    body = b"".join(codec.encode([{"t": stamp, "ms": "2021-03-15T00:00:01.5Z"}, {"t": stamp.astimezone(UTC), "ms": 7}]))
    assert orjson.loads(body) == [
        {"t": "2021-03-15T04:53:34.5Z", "ms": 1500.0},
        {"t": "2021-03-15T04:53:34.5Z", "ms": 7},
    ]
