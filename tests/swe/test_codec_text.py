"""SWE text / CSV codec: worked examples, separators, white space, and malformed input."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bridge.swe import (
    SWE_CSV,
    SWE_TEXT,
    Component,
    SweDecodeError,
    SweEncodeError,
    SweSchemaError,
    TextEncoding,
    csv_encoding,
    make_codec,
    parse_component,
    parse_encoding,
)
from bridge.swe.codec import CHUNK_RECORDS
from tests.swe.helpers import load


def _scalar_csv() -> Any:
    doc = load("part2/observationSchema-scalar-swecsv.json")
    return make_codec(parse_component(doc["recordSchema"]), parse_encoding(doc["encoding"]))


def _record(*fields: dict[str, Any]) -> Component:
    return parse_component({"type": "DataRecord", "fields": list(fields)})


def test_worked_example_of_the_checklist() -> None:
    codec = _scalar_csv()
    assert codec.media_type == SWE_CSV
    body = b"2021-03-15T04:53:34Z,23.5\n2021-03-15T04:54:34Z,23.6\n"
    records = codec.decode(body)
    assert records == [{"time": "2021-03-15T04:53:34Z", "temp": 23.5}, {"time": "2021-03-15T04:54:34Z", "temp": 23.6}]
    assert b"".join(codec.encode(records)) == body


def test_nil_values_and_specials() -> None:
    codec = _scalar_csv()
    records = [{"time": "2021-03-15T04:53:34Z", "temp": "NaN"}, {"time": "2021-03-15T04:53:35Z", "temp": "+Infinity"}]
    body = b"".join(codec.encode(records))
    assert body == b"2021-03-15T04:53:34Z,NaN\n2021-03-15T04:53:35Z,INF\n"
    assert codec.decode(body) == records
    assert codec.decode(b"2021-03-15T04:53:34Z,-INF\n2021-03-15T04:53:34Z,+INF")[1]["temp"] == "+Infinity"
    for lenient in (b"-Infinity", b"nan", b"inf", b"1e999", "\u0661\u0662".encode(), b"1_0"):  # float() takes them
        with pytest.raises(SweDecodeError):
            codec.decode(b"2021-03-15T04:53:34Z," + lenient)
    assert b"".join(codec.encode([{"time": "2021-03-15T04:53:34Z", "temp": float("-inf")}])).endswith(b",-INF\n")


def test_oas_post_example_without_final_block_separator() -> None:
    schema = _record(
        {"name": "time", "type": "Time", "uom": {"href": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}},
        {"name": "temp", "type": "Quantity", "uom": {"code": "Cel"}},
        {"name": "press", "type": "Quantity", "uom": {"code": "hPa"}},
    )
    codec = make_codec(schema, csv_encoding())
    assert codec.decode(b"2023-04-03T12:45:56Z,20.3,1013.25") == [
        {"time": "2023-04-03T12:45:56Z", "temp": 20.3, "press": 1013.25}
    ]


def test_command_example_and_time_normalisation() -> None:
    doc = load("part2/commandSchema-ptz-swecsv.json")
    codec = make_codec(parse_component(doc["recordSchema"]), parse_encoding(doc["encoding"]))
    command = {"time": "2021-03-15T04:53:34.248Z", "pan": -10.0, "tilt": 23.0, "zoom": 0.4}
    assert b"".join(codec.encode([command])) == b"2021-03-15T04:53:34.248Z,-10.0,23.0,0.4\n"
    decoded = codec.decode(b"2021-03-15T05:53:34.248+01:00 , -10 ,23.0,\t0.4\r\n")
    assert decoded == [command]


def test_sat_tasking_text_examples_decode_like_their_json() -> None:
    schema = parse_component(load("sat-tasking/sat-coverage-tasking-schema.json"))
    point = TextEncoding(token_separator=",", block_separator="@@")
    body = (load_text("sat-tasking/sat-coverage-tasking-with-point.txt")).encode()
    assert make_codec(schema, point).decode(body) == [load("sat-tasking/sat-coverage-tasking-with-point.json")]
    polygon = TextEncoding(token_separator=";", block_separator="@@")
    expected = load("sat-tasking/sat-coverage-tasking-with-polygon.json")
    del expected["$schema"]
    expected["acquisition_angle"]["elevation"] = [0.0, 10.0]  # upstream .txt says 10.0 where its .json says 60.0
    body = load_text("sat-tasking/sat-coverage-tasking-with-polygon.txt").encode()
    codec = make_codec(schema, polygon)
    assert codec.media_type == SWE_TEXT
    assert codec.decode(body) == [expected]
    assert codec.decode(b"".join(codec.encode([expected]))) == [expected]
    with pytest.raises(SweEncodeError) as err:
        b"".join(make_codec(schema, point).encode([expected]))
    assert err.value.field_path == "region_of_interest"


def load_text(rel: str) -> str:
    from tests.swe.helpers import FIXTURES

    return (FIXTURES / rel).read_text(encoding="utf-8")


def test_optional_choice_and_variable_array_rules() -> None:
    schema = _record(
        {"name": "id", "type": "Count"},
        {"name": "note", "type": "Text", "optional": True},
        {"name": "msg", **load("spec/choice1.json")},
        {"name": "track", **load("spec/array2.json")},
    )
    codec = make_codec(schema, csv_encoding())
    records = [
        {
            "id": 1,
            "note": "hello world",
            "msg": {"TEMP": {"time": "2021-03-15T04:53:34Z", "temp": 21.5}},
            "track": [{"lat": 1.5, "lon": 2.0}, {"lat": 3.0, "lon": 4.0}],
        },
        {"id": 2, "msg": {"PRESS": {"time": "2021-03-15T04:53:35Z", "press": 1013.0}}, "track": []},
    ]
    body = b"".join(codec.encode(records))
    assert body == (
        b"1,Y,hello world,TEMP,2021-03-15T04:53:34Z,21.5,2,1.5,2.0,3.0,4.0\n2,N,PRESS,2021-03-15T04:53:35Z,1013.0,0\n"
    )
    assert codec.decode(body) == records


def test_custom_separators_decimal_comma_and_whitespace_token() -> None:
    schema = _record(
        {"name": "a", "type": "Quantity"}, {"name": "b", "type": "Boolean"}, {"name": "c", "type": "Count"}
    )
    codec = make_codec(schema, TextEncoding(token_separator=";", block_separator="|", decimal_separator=","))
    body = b"".join(codec.encode([{"a": 1.25, "b": True, "c": -3}, {"a": 1e-7, "b": False, "c": 0}]))
    assert body == b"1,25;true;-3|1e-07;false;0|"
    assert codec.decode(b" 1,25 ; true;-3 |\n1e-07;0;0|") == [
        {"a": 1.25, "b": True, "c": -3},
        {"a": 1e-7, "b": False, "c": 0},
    ]
    spaced = make_codec(schema, TextEncoding(token_separator=" ", block_separator="\n"))
    assert spaced.decode(b"1.5   true  7\n\n  2 false 8  \n") == [
        {"a": 1.5, "b": True, "c": 7},
        {"a": 2.0, "b": False, "c": 8},
    ]


def test_without_collapse_white_space_is_data() -> None:
    schema = _record({"name": "t", "type": "Text"}, {"name": "n", "type": "Count"})
    enc = TextEncoding(token_separator=",", block_separator="\n", collapse_white_spaces=False)
    codec = make_codec(schema, enc)
    assert codec.decode(b" padded ,1\n") == [{"t": " padded ", "n": 1}]
    assert b"".join(codec.encode([{"t": " padded ", "n": 1}])) == b" padded ,1\n"
    with pytest.raises(SweEncodeError, match="white space"):
        b"".join(make_codec(schema, csv_encoding()).encode([{"t": " padded ", "n": 1}]))


@pytest.mark.parametrize(
    ("body", "index", "field", "fragment"),
    [
        (b"2021-03-15T04:53:34Z,23.5,99\n", 0, None, "too many fields"),
        (b"2021-03-15T04:53:34Z,23.5\n2021-03-15T04:53:34Z\n", 1, "temp", "too few fields"),
        (b"2021-03-15T04:53:34Z,23.5\n2021-03-15T04:53:34Z,warm\n", 1, "temp", "'warm' is not a number"),
        (b"2021-03-15T04:53:34Z,1_000\n", 0, "temp", "not a number"),
        (b"yesterday,23.5\n", 0, "time", "ISO 8601"),
        (b"2021-03-15T04:53:34,23.5\n", 0, "time", "time zone"),
        (b"\xff\xfe,1\n", None, None, "UTF-8"),
    ],
)
def test_malformed_csv_is_rejected_with_record_and_field(
    body: bytes, index: int | None, field: str | None, fragment: str
) -> None:
    with pytest.raises(SweDecodeError) as err:
        _scalar_csv().decode(body)
    assert err.value.record_index == index
    assert err.value.field_path == field
    assert fragment in err.value.message
    assert err.value.status == 400


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        (b"maybe,1,0\n", "flag", "not a boolean"),
        (b"true,1.5,0\n", "count", "not an integer"),
        (b"true,1,Q\n", "opt", "'Y' or 'N'"),
        (b"true,1,Y\n", "opt", "too few fields"),
        (b"true,1,N,extra\n", None, "too many fields"),
    ],
)
def test_malformed_scalars(body: bytes, field: str | None, fragment: str) -> None:
    schema = _record(
        {"name": "flag", "type": "Boolean"},
        {"name": "count", "type": "Count"},
        {"name": "opt", "type": "Quantity", "optional": True},
    )
    with pytest.raises(SweDecodeError) as err:
        make_codec(schema, csv_encoding()).decode(body)
    assert (err.value.record_index, err.value.field_path) == (0, field)
    assert fragment in err.value.message


def test_malformed_arrays_and_choices() -> None:
    schema = _record({"name": "msg", **load("spec/choice1.json")}, {"name": "track", **load("spec/array2.json")})
    codec = make_codec(schema, csv_encoding())
    with pytest.raises(SweDecodeError) as err:
        codec.decode(b"WIND,1,2,0\n")
    assert err.value.field_path == "msg" and "TEMP, PRESS" in err.value.message
    with pytest.raises(SweDecodeError) as err:
        codec.decode(b"TEMP,2021-03-15T04:53:34Z,21.5,-1\n")
    assert err.value.field_path == "track" and "element count" in err.value.message
    with pytest.raises(SweDecodeError) as err:
        codec.decode(b"TEMP,2021-03-15T04:53:34Z,21.5,2,1,2,3\n")
    assert err.value.field_path == "track[].lon"


@pytest.mark.parametrize(
    ("value", "field", "fragment"),
    [
        ({"t": "a,b", "n": 1}, "t", "separator"),
        ({"t": "line\nbreak", "n": 1}, "t", "separator"),
        ({"t": 5, "n": 1}, "t", "expected a string"),
        ({"t": "x", "n": 1.5}, "n", "integer"),
        ({"t": "x"}, "n", "required"),
        ("x", None, "expected an object"),
    ],
)
def test_unencodable_values_are_refused(value: Any, field: str | None, fragment: str) -> None:
    schema = _record({"name": "t", "type": "Text"}, {"name": "n", "type": "Count"})
    codec = make_codec(schema, csv_encoding())
    with pytest.raises(SweEncodeError) as err:
        b"".join(codec.encode([{"t": "ok", "n": 0}, value]))
    assert err.value.record_index == 1
    assert err.value.field_path == field
    assert fragment in err.value.message


@pytest.mark.parametrize(
    "enc",
    [
        {"tokenSeparator": "T", "blockSeparator": "\n"},
        {"tokenSeparator": ":", "blockSeparator": "\n"},
        {"tokenSeparator": ",", "blockSeparator": ","},
        {"tokenSeparator": ",", "blockSeparator": ",\n"},
        {"tokenSeparator": ",", "blockSeparator": "\n", "decimalSeparator": ","},
    ],
)
def test_unusable_separators_are_refused(enc: dict[str, str]) -> None:
    schema = _record({"name": "n", "type": "Count"})
    with pytest.raises(SweSchemaError):
        make_codec(schema, parse_encoding({"type": "TextEncoding", **enc}))


def test_encode_streams_in_chunks() -> None:
    schema = parse_component(load("part2/observationSchema-scalar-swecsv.json")["recordSchema"])
    consumed = 0

    def records() -> Iterator[dict[str, Any]]:
        nonlocal consumed
        for i in range(3 * CHUNK_RECORDS + 5):
            consumed += 1
            yield {"time": "2021-03-15T04:53:34Z", "temp": float(i)}

    chunks = make_codec(schema, csv_encoding()).encode(records())
    first = next(chunks)
    assert consumed <= CHUNK_RECORDS + 1
    assert first.count(b"\n") == CHUNK_RECORDS
    rest = list(chunks)
    assert len(rest) == 3 and rest[-1].count(b"\n") == 5


def test_components_the_text_codec_cannot_write() -> None:
    by_ref = _record({"name": "n", "type": "Count"}, {"name": "x", "href": "#other"})
    with pytest.raises(SweSchemaError) as err:
        make_codec(by_ref, csv_encoding())
    assert err.value.path == "x"
    linked = _record(
        {
            "name": "a",
            "type": "DataArray",
            "elementCount": {"href": "#n"},
            "elementType": {"name": "v", "type": "Count"},
        }
    )
    with pytest.raises(SweSchemaError, match="elementCount is a reference"):
        make_codec(linked, csv_encoding())
    assert make_codec(linked, parse_encoding({"type": "JSONEncoding"})).decode(b'[{"a": [1, 2]}]') == [{"a": [1, 2]}]
    with pytest.raises(SweSchemaError):
        make_codec(linked, parse_encoding({"type": "XMLEncoding"}))


def test_empty_text_with_white_space_token_separator_is_refused() -> None:
    schema = _record({"name": "a", "type": "Text"}, {"name": "b", "type": "Text"})
    codec = make_codec(schema, TextEncoding(token_separator=" ", block_separator="\n"))
    assert codec.decode(b"".join(codec.encode([{"a": "x", "b": "y"}]))) == [{"a": "x", "b": "y"}]
    with pytest.raises(SweEncodeError, match="empty string"):
        b"".join(codec.encode([{"a": "", "b": "y"}]))
    single = make_codec(_record({"name": "a", "type": "Text"}), csv_encoding())
    with pytest.raises(SweEncodeError, match="empty record"):
        b"".join(single.encode([{"a": ""}]))
