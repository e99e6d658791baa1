"""Data model: parse → to_json round-trips of the official examples, schema validity, error paths."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from bridge.swe import (
    SWE_BINARY,
    SWE_CSV,
    SWE_JSON,
    SWE_TEXT,
    BinaryEncoding,
    DataArray,
    DataChoice,
    DataRecord,
    JSONEncoding,
    Quantity,
    SweSchemaError,
    TextEncoding,
    Time,
    UnitReference,
    Vector,
    csv_encoding,
    default_binary_encoding,
    default_text_encoding,
    encoding_for,
    json_encoding,
    make_codec,
    parse_component,
    parse_datastream,
    parse_encoding,
)
from tests.swe.helpers import (
    component_errors,
    encoding_errors,
    fixture_paths,
    load,
    swe_schema_errors,
)

NOT_COMPONENTS = {"spec/uom1.json", "spec/uom2.json", "spec/uom3.json", "spec/datastream1.json"}
ENCODINGS = [
    "spec/binary-encoding.json",
    "spec/json-encoding.json",
    "spec/text-encoding.json",
    "spec/xml-encoding.json",
]
COMPONENTS = [
    p
    for p in fixture_paths("spec", "geopose", "uxs", "sat-tasking")
    if p not in NOT_COMPONENTS and p not in ENCODINGS and not p.endswith("_Data.json") and "-with-" not in p
]
PART2 = fixture_paths("part2")


def test_every_component_example_is_covered() -> None:
    assert len(COMPONENTS) >= 60
    assert "spec/choice1.json" in COMPONENTS and "sat-tasking/sat-coverage-tasking-schema.json" in COMPONENTS


@pytest.mark.parametrize("rel", COMPONENTS)
def test_component_example_round_trips_and_stays_valid(rel: str) -> None:
    doc = load(rel)
    component = parse_component(doc)
    out = component.to_json()
    assert out == doc
    assert component_errors(out) == []


@pytest.mark.parametrize("rel", ENCODINGS)
def test_encoding_example_round_trips_and_stays_valid(rel: str) -> None:
    doc = load(rel)
    out = parse_encoding(doc).to_json()
    assert out == doc
    assert encoding_errors(out) == []


@pytest.mark.parametrize("rel", PART2)
def test_part2_schema_examples_round_trip(rel: str) -> None:
    doc = load(rel)
    rebuilt = dict(doc)
    for key in ("recordSchema", "resultSchema", "parametersSchema"):
        if key in doc:
            rebuilt[key] = parse_component(doc[key]).to_json()
    if "encoding" in doc:
        rebuilt["encoding"] = parse_encoding(doc["encoding"]).to_json()
        assert swe_schema_errors(rebuilt) == []
    assert rebuilt == doc


@pytest.mark.parametrize("rel", [p for p in PART2 if "swe" in p])
def test_part2_swe_examples_compile_to_codecs(rel: str) -> None:
    doc = load(rel)
    codec = make_codec(parse_component(doc["recordSchema"]), parse_encoding(doc["encoding"]))
    assert codec.media_type == doc.get("obsFormat", doc.get("commandFormat"))


def test_units_round_trip_inside_a_quantity() -> None:
    for rel in ("spec/uom1.json", "spec/uom2.json", "spec/uom3.json"):
        doc = {"type": "Quantity", "definition": "urn:x:q", "label": "Q", "uom": load(rel)}
        q = parse_component(doc)
        assert isinstance(q, Quantity) and isinstance(q.uom, UnitReference)
        assert q.to_json() == doc
    assert parse_component({"type": "Quantity", "uom": load("spec/uom3.json")}).uom.symbol == "°C"  # type: ignore[attr-defined]


def test_datastream_example_with_unnamed_field_is_rejected_like_the_official_schema() -> None:
    doc = load("spec/datastream1.json")
    with pytest.raises(SweSchemaError) as err:
        parse_datastream(doc)
    assert err.value.path == "$.elementType.fields[0].name"
    fixed = copy.deepcopy(doc)
    fixed["elementType"]["fields"][0]["name"] = "time"
    stream = parse_datastream(fixed)
    assert isinstance(stream.element_type, DataRecord)
    assert isinstance(stream.encoding, TextEncoding)
    assert stream.to_json() == fixed


def test_typed_access_to_parsed_components() -> None:
    choice = parse_component(load("spec/choice1.json"))
    assert isinstance(choice, DataChoice)
    assert [i.name for i in choice.items] == ["TEMP", "PRESS"]
    array = parse_component(load("spec/array3.json"))
    assert isinstance(array, DataArray) and array.fixed_size == 3000
    assert isinstance(array.element_type, DataArray) and array.element_type.element_type.name == "pixel"
    trajectory = parse_component(load("spec/array2.json"))
    assert isinstance(trajectory, DataArray) and trajectory.fixed_size is None
    assert isinstance(trajectory.element_type, Vector)
    time = parse_component(load("spec/time2.json"))
    assert isinstance(time, Time) and not time.is_iso and time.reference_time == "1970-01-01T00:00:00Z"
    assert isinstance(parse_component(load("spec/time1.json")), Time)
    assert parse_component(load("spec/time1.json")).is_iso  # type: ignore[attr-defined]


def test_unknown_members_are_preserved() -> None:
    doc: dict[str, Any] = {
        "type": "DataRecord",
        "x-origin": {"sos": "urn:ogc:def:procedure:1"},
        "fields": [
            {"name": "t", "type": "Quantity", "definition": "urn:x", "label": "T", "uom": {"code": "Cel"}, "x-a": 1},
            {
                "name": "c",
                "type": "Count",
                "definition": "urn:x",
                "label": "C",
                "constraint": {"values": [1], "x-b": 2},
            },
        ],
    }
    component = parse_component(doc)
    assert component.extras == {"x-origin": {"sos": "urn:ogc:def:procedure:1"}}
    assert component.to_json() == doc


def test_components_built_in_code_are_schema_valid() -> None:
    record = DataRecord(
        fields=[
            Time(
                name="time",
                definition="http://www.opengis.net/def/property/OGC/0/SamplingTime",
                label="Sampling Time",
                uom=UnitReference(href="http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"),
            ),
            Quantity(name="temp", definition="urn:x:temp", label="Temperature", uom=UnitReference(code="Cel")),
        ]
    )
    out = record.to_json()
    assert out["fields"][0] == {
        "name": "time",
        "type": "Time",
        "definition": "http://www.opengis.net/def/property/OGC/0/SamplingTime",
        "label": "Sampling Time",
        "uom": {"href": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"},
    }
    assert component_errors(out) == []
    assert parse_component(out) == record


def _q(**extra: Any) -> dict[str, Any]:
    return {"name": "q", "type": "Quantity", "definition": "urn:x", "label": "Q", "uom": {"code": "m"}, **extra}


@pytest.mark.parametrize(
    ("doc", "path"),
    [
        ({"type": "Foo"}, "$.type"),
        ([], "$"),
        ({"type": "DataRecord", "fields": [_q(), {"name": "x", "type": "Nope"}]}, "$.fields[1].type"),
        ({"type": "DataRecord", "fields": [_q(uom={"label": "metre"})]}, "$.fields[0].uom"),
        ({"type": "DataRecord", "fields": [_q(uom={"code": "m", "bogus": 1})]}, "$.fields[0].uom"),
        ({"type": "DataRecord", "fields": [_q(name="1bad")]}, "$.fields[0].name"),
        ({"type": "DataRecord", "fields": [_q(), _q()]}, "$.fields[1].name"),
        ({"type": "DataRecord", "fields": [_q(label=5)]}, "$.fields[0].label"),
        ({"type": "DataRecord", "fields": []}, "$.fields"),
        ({"type": "DataRecord"}, "$.fields"),
        (
            {"type": "DataRecord", "fields": [_q(constraint={"intervals": [[0]]})]},
            "$.fields[0].constraint.intervals[0]",
        ),
        ({"type": "DataRecord", "fields": [_q(constraint={"values": ["x"]})]}, "$.fields[0].constraint.values[0]"),
        ({"type": "DataRecord", "fields": [_q(nilValues=[{"value": 1}])]}, "$.fields[0].nilValues[0]"),
        ({"type": "Text", "constraint": {"pattern": "("}}, "$.constraint.pattern"),
        ({"type": "Category", "constraint": {}}, "$.constraint"),
        ({"type": "Time", "constraint": {"intervals": [["yesterday", "now"]]}}, "$.constraint.intervals[0][0]"),
        ({"type": "Vector", "coordinates": [{"name": "a", "type": "Text"}]}, "$.coordinates[0]"),
        ({"type": "DataArray", "elementCount": {"value": -1}, "elementType": _q()}, "$.elementCount.value"),
        ({"type": "DataArray"}, "$.elementType"),
        ({"type": "Quantity", "optional": "yes"}, "$.optional"),
        ({"type": "Geometry", "constraint": {"geomTypes": ["Circle"]}}, "$.constraint.geomTypes[0]"),
    ],
)
def test_schema_errors_name_the_json_path(doc: Any, path: str) -> None:
    with pytest.raises(SweSchemaError) as err:
        parse_component(doc)
    assert err.value.path == path
    assert err.value.status == 400
    assert str(err.value).startswith(path + ": ")


@pytest.mark.parametrize(
    ("doc", "path"),
    [
        ({"type": "CSVEncoding"}, "$.type"),
        ({"type": "TextEncoding", "tokenSeparator": ","}, "$.blockSeparator"),
        ({"type": "BinaryEncoding", "byteOrder": "middle", "byteEncoding": "raw", "members": []}, "$.byteOrder"),
        ({"type": "BinaryEncoding", "byteOrder": "bigEndian", "byteEncoding": "raw", "members": []}, "$.members"),
        (
            {
                "type": "BinaryEncoding",
                "byteOrder": "bigEndian",
                "byteEncoding": "raw",
                "members": [{"type": "Component", "ref": "/a"}],
            },
            "$.members[0].dataType",
        ),
    ],
)
def test_encoding_errors_name_the_json_path(doc: Any, path: str) -> None:
    with pytest.raises(SweSchemaError) as err:
        parse_encoding(doc)
    assert err.value.path == path


def test_default_encodings_are_schema_valid_and_cover_every_media_type() -> None:
    schema = parse_component(load("part2/observationSchema-geopose-swejson.json")["recordSchema"])
    binary = default_binary_encoding(schema)
    assert [m.ref for m in binary.members] == [
        "/time", "/position/lat", "/position/lon", "/position/h", "/angles/yaw", "/angles/pitch", "/angles/roll",
    ]  # fmt: skip
    assert binary.members[0].to_json()["dataType"].endswith("/string-utf-8")
    assert binary.members[1].to_json()["dataType"] == "http://www.opengis.net/def/dataType/OGC/0/double"
    for enc in (binary, csv_encoding(), default_text_encoding(), json_encoding()):
        assert encoding_errors(enc.to_json()) == []
    assert csv_encoding().to_json() == {
        "type": "TextEncoding",
        "collapseWhiteSpaces": True,
        "decimalSeparator": ".",
        "tokenSeparator": ",",
        "blockSeparator": "\n",
    }
    assert isinstance(encoding_for("application/vnd.ogc.swe+json", schema), JSONEncoding)
    assert isinstance(encoding_for("application/swe+binary", schema), BinaryEncoding)
    assert make_codec(schema, encoding_for("text/csv", schema)).media_type == SWE_CSV
    assert make_codec(schema, encoding_for(SWE_TEXT, schema), SWE_TEXT).media_type == SWE_TEXT
    assert make_codec(schema, encoding_for(SWE_BINARY, schema)).media_type == SWE_BINARY
    assert make_codec(schema, encoding_for(SWE_JSON, schema)).media_type == SWE_JSON
    with pytest.raises(SweSchemaError):
        encoding_for("application/json", schema)


def test_generated_fast_paths_are_safe_for_any_field_name() -> None:
    odd = ["a'b", 'c"d', "e\\nf", "x')); import os; ('"]
    record = DataRecord(fields=[Quantity(name=n, uom=UnitReference(code="m")) for n in odd])
    value = {n: float(i) for i, n in enumerate(odd)}
    for enc in (json_encoding(), JSONEncoding(records_as_arrays=True), csv_encoding(), default_binary_encoding(record)):
        codec = make_codec(record, enc)
        assert codec.decode(b"".join(codec.encode([value]))) == [value]
