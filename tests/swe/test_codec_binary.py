"""SWE binary codec: the checklist's byte-level example, data types, structure rules, bad input."""

from __future__ import annotations

import base64
import struct
from typing import Any

import pytest

from bridge.swe import (
    SWE_BINARY,
    BinaryBlock,
    BinaryComponent,
    BinaryEncoding,
    Component,
    DataArray,
    SweDecodeError,
    SweEncodeError,
    SweSchemaError,
    default_binary_encoding,
    make_codec,
    parse_component,
    parse_encoding,
)
from tests.swe.helpers import load

OGC = "http://www.opengis.net/def/dataType/OGC/0/"
ISO = {"href": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}


def _checklist_schema(time_uom: dict[str, str]) -> Component:
    return parse_component(
        {
            "type": "DataRecord",
            "fields": [
                {
                    "name": "time",
                    "type": "Time",
                    "definition": "http://www.opengis.net/def/property/OGC/0/SamplingTime",
                    "label": "Sampling Time",
                    "uom": time_uom,
                    "referenceTime": "1970-01-01T00:00:00Z",
                },
                {"name": "temp", "type": "Quantity", "definition": "urn:x:temp", "label": "T", "uom": {"code": "Cel"}},
            ],
        }
    )


def _encoding(byte_order: str = "bigEndian", byte_encoding: str = "raw", **types: str) -> BinaryEncoding:
    members = [{"type": "Component", "ref": f"/{ref}", "dataType": OGC + t} for ref, t in types.items()]
    enc = parse_encoding(
        {"type": "BinaryEncoding", "byteOrder": byte_order, "byteEncoding": byte_encoding, "members": members}
    )
    assert isinstance(enc, BinaryEncoding)
    return enc


def test_checklist_byte_level_example() -> None:
    schema = _checklist_schema({"code": "s"})
    raw = make_codec(schema, _encoding(time="double", temp="float32"))
    assert raw.media_type == SWE_BINARY
    body = b"".join(raw.encode([{"time": "2021-03-15T04:53:34Z", "temp": 23.5}]))
    assert body == bytes.fromhex("41d813ba13800000 41bc0000")
    assert len(body) == 12
    assert raw.decode(body) == [{"time": 1615784014.0, "temp": 23.5}]
    assert b"".join(raw.encode([{"time": 1615784014, "temp": 23.5}])) == body
    b64 = make_codec(schema, _encoding(byte_encoding="base64", time="double", temp="float32"))
    text = b"".join(b64.encode([{"time": "2021-03-15T04:53:34Z", "temp": 23.5}]))
    assert text == b"QdgTuhOAAABBvAAA"
    assert b64.decode(text) == [{"time": 1615784014.0, "temp": 23.5}]


def test_iso_time_as_seconds_since_reference_time() -> None:
    codec = make_codec(_checklist_schema(ISO), _encoding(time="double", temp="float32"))
    record = {"time": "2021-03-15T04:53:34.25Z", "temp": 23.5}
    body = b"".join(codec.encode([record]))
    assert body[:8] == struct.pack(">d", 1615784014.25)
    assert codec.decode(body) == [record]
    little = make_codec(_checklist_schema(ISO), _encoding("littleEndian", time="double", temp="float32"))
    assert b"".join(little.encode([record])) == struct.pack("<df", 1615784014.25, 23.5)
    as_text = make_codec(_checklist_schema(ISO), _encoding(time="string-utf-8", temp="double"))
    body = b"".join(as_text.encode([record]))
    assert body == b"\x00\x172021-03-15T04:53:34.25Z" + struct.pack(">d", 23.5)
    assert as_text.decode(body) == [record]


def test_satellite_image_example_with_relative_refs() -> None:
    doc = load("spec/array3-encoded-values.json")
    image = parse_component(doc)
    assert isinstance(image, DataArray) and image.encoding is not None
    codec = make_codec(image, image.encoding)
    data = base64.b64decode(doc["values"]["href"].split(",", 1)[1])
    (pixels,) = codec.decode(data)
    assert len(pixels) == 4 and all(len(row) == 4 for row in pixels)
    assert pixels[0][0] == {"band1": data[0], "band2": data[1], "band3": data[2]}
    assert isinstance(pixels[0][0]["band1"], float)
    assert b"".join(codec.encode([pixels])) == data


def test_strings_booleans_counts_and_fixed_length_strings() -> None:
    schema = parse_component(
        {
            "type": "DataRecord",
            "fields": [
                {"name": "id", "type": "Text"},
                {"name": "code", "type": "Category"},
                {"name": "ok", "type": "Boolean"},
                {"name": "n", "type": "Count"},
            ],
        }
    )
    enc = _encoding("littleEndian", id="string-utf-8", code="string-utf-8", n="unsignedShort")
    enc.members[1] = BinaryComponent(ref="/code", data_type=OGC + "string-utf-8", byte_length=6)
    codec = make_codec(schema, enc)
    record = {"id": "Zürich", "code": "ab", "ok": True, "n": 513}
    body = b"".join(codec.encode([record]))
    assert body == b"\x07\x00Z\xc3\xbcrich" + b"ab\x00\x00\x00\x00" + b"\x01" + b"\x01\x02"
    assert codec.decode(body) == [record]
    with pytest.raises(SweEncodeError) as err:
        b"".join(codec.encode([{**record, "code": "toolong"}]))
    assert err.value.field_path == "code"
    with pytest.raises(SweEncodeError) as err:
        b"".join(codec.encode([record, {**record, "n": 70000}]))
    assert (err.value.record_index, err.value.field_path) == (1, "n")
    assert "unsignedShort" in err.value.message
    with pytest.raises(SweDecodeError) as derr:
        codec.decode(body[:-3] + b"\x02" + body[-2:])
    assert derr.value.field_path == "ok" and "0 or 1" in derr.value.message


def test_optional_choice_variable_array_and_geometry_rules() -> None:
    schema = parse_component(
        {
            "type": "DataRecord",
            "fields": [
                {"name": "note", "type": "Quantity", "optional": True},
                {"name": "msg", **load("spec/choice1.json")},
                {"name": "track", **load("spec/array2.json")},
                {"name": "where", **load("spec/geometry1.json")},
            ],
        }
    )
    enc = default_binary_encoding(schema)
    assert [m.ref for m in enc.members] == [
        "/note", "/msg/TEMP/time", "/msg/TEMP/temp", "/msg/PRESS/time", "/msg/PRESS/press",
        "/track/point/lat", "/track/point/lon",
    ]  # fmt: skip
    codec = make_codec(schema, enc)
    records: list[dict[str, Any]] = [
        {
            "note": 1.5,
            "msg": {"PRESS": {"time": "2021-03-15T04:53:34Z", "press": 1013.0}},
            "track": [{"lat": 1.0, "lon": 2.0}],
            "where": {"type": "Point", "coordinates": [12.34, 56.36]},
        },
        {
            "msg": {"TEMP": {"time": "2021-03-15T04:53:35Z", "temp": 20.0}},
            "track": [],
            "where": load("spec/geometry3.json")["value"],
        },
    ]
    body = b"".join(codec.encode(records))
    assert body.startswith(b"Y" + struct.pack(">d", 1.5) + b"\x01\x00\x142021-03-15T04:53:34Z")
    assert b"N\x00\x00\x142021-03-15T04:53:35Z" in body
    assert struct.pack(">I", 1) + struct.pack(">dd", 1.0, 2.0) + b"\x00\x00\x00\x00\x01" in body
    assert codec.decode(body) == records


def test_truncated_and_trailing_data_name_the_record() -> None:
    codec = make_codec(_checklist_schema(ISO), _encoding(time="double", temp="float32"))
    body = b"".join(codec.encode([{"time": "2021-03-15T04:53:34Z", "temp": 23.5}] * 3))
    with pytest.raises(SweDecodeError) as err:
        codec.decode(body[:-1])
    assert err.value.record_index == 2 and "truncated" in err.value.message
    with pytest.raises(SweDecodeError) as err:
        codec.decode(body + b"\x00\x01")
    assert err.value.record_index == 3
    strings = make_codec(_checklist_schema(ISO), _encoding(time="string-utf-8", temp="float32"))
    body = b"".join(strings.encode([{"time": "2021-03-15T04:53:34Z", "temp": 23.5}] * 2))
    for cut, field in ((1, "temp"), (8, "time"), (25, "time")):
        with pytest.raises(SweDecodeError) as err:
            strings.decode(body[:-cut])
        assert (err.value.record_index, err.value.field_path) == (1, field)
    with pytest.raises(SweDecodeError, match="invalid base64"):
        make_codec(_checklist_schema(ISO), _encoding(byte_encoding="base64", time="double", temp="double")).decode(
            b"QdgT*"
        )


def test_garbage_counts_and_indexes() -> None:
    schema = parse_component(
        {
            "type": "DataRecord",
            "fields": [{"name": "msg", **load("spec/choice1.json")}, {"name": "track", **load("spec/array2.json")}],
        }
    )
    codec = make_codec(schema, default_binary_encoding(schema))
    with pytest.raises(SweDecodeError) as err:
        codec.decode(b"\x05")
    assert err.value.field_path == "msg" and "out of range" in err.value.message
    good = b"".join(codec.encode([{"msg": {"PRESS": {"time": "2021-03-15T04:53:34Z", "press": 1.0}}, "track": []}]))
    with pytest.raises(SweDecodeError) as err:
        codec.decode(good[:-4] + b"\xff\xff\xff\xff")
    assert err.value.field_path == "track" and "exceeds" in err.value.message


@pytest.mark.parametrize(
    ("members", "path", "fragment"),
    [
        ({"time": "double"}, "$.encoding.members", "no binary encoding member for 'temp'"),
        ({"time": "double", "temp": "double", "humidity": "double"}, "$.encoding.members[2].ref", "no component"),
        ({"time": "double", "temp": "string-utf-8"}, "$.encoding.members[1].dataType", "cannot encode a Quantity"),
        ({"time": "float128", "temp": "double"}, "$.encoding.members[0].dataType", "cannot encode a Time"),
    ],
)
def test_encodings_that_do_not_fit_the_schema(members: dict[str, str], path: str, fragment: str) -> None:
    with pytest.raises(SweSchemaError) as err:
        make_codec(_checklist_schema(ISO), _encoding(**members))
    assert err.value.path == path
    assert fragment in err.value.message


def test_unsupported_block_options_are_refused() -> None:
    enc = parse_encoding(load("spec/binary-encoding.json"))
    schema = parse_component(
        {
            "type": "DataRecord",
            "fields": [{"name": "time", "type": "Time", "uom": ISO}, {"name": "img", **load("spec/array3.json")}],
        }
    )
    with pytest.raises(SweSchemaError) as err:
        make_codec(schema, enc)
    assert err.value.path == "$.encoding.members[1].compression"


def test_count_and_index_members_and_block_padding() -> None:
    schema = parse_component(
        {
            "type": "DataRecord",
            "fields": [{"name": "msg", **load("spec/choice1.json")}, {"name": "track", **load("spec/array2.json")}],
        }
    )
    enc = default_binary_encoding(schema)
    enc.members += [
        BinaryComponent(ref="/track/elementCount", data_type=OGC + "unsignedShort"),
        BinaryComponent(ref="/msg", data_type=OGC + "signedInt"),
    ]
    enc.members.append(BinaryBlock(ref="/track", padding_before=2, padding_after=1))
    codec = make_codec(schema, enc)
    record = {"msg": {"PRESS": {"time": "2021-03-15T04:53:34Z", "press": 1.0}}, "track": [{"lat": 1.0, "lon": 2.0}]}
    body = b"".join(codec.encode([record]))
    assert body.startswith(b"\x00\x00\x00\x01")  # signedInt choice index
    assert body.endswith(b"\x00\x00" + b"\x00\x01" + struct.pack(">dd", 1.0, 2.0) + b"\x00")
    assert codec.decode(body) == [record]
    enc.members.append(BinaryComponent(ref="/track/elementCount", data_type=OGC + "double"))
    with pytest.raises(SweSchemaError, match="referenced twice"):
        make_codec(schema, enc)


def test_numeric_time_units_and_reference_time() -> None:
    schema = parse_component(
        {
            "type": "DataRecord",
            "fields": [{"name": "t", "type": "Time", "uom": {"code": "ms"}, "referenceTime": "2021-03-15T00:00:00Z"}],
        }
    )
    codec = make_codec(schema, _encoding(t="signedLong"))
    body = b"".join(codec.encode([{"t": "2021-03-15T00:00:01.5Z"}, {"t": 42}]))
    assert body == struct.pack(">qq", 1500, 42)
    assert codec.decode(body) == [{"t": 1500}, {"t": 42}]
    with pytest.raises(SweEncodeError, match="not an integer"):
        b"".join(codec.encode([{"t": 1.5}]))
