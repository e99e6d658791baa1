"""SWE Common XML → SWE 3 JSON, encodings and the text-block splitter."""

from __future__ import annotations

import pytest

from bridge.sources.swe_xml import (
    SweError,
    component_to_json,
    decode_block,
    encoding_to_json,
    row_decoder,
    safe_name,
    split_text_block,
)
from bridge.sources.xml import parse_xml
from bridge.validation import SWE, errors

SWE2 = 'xmlns:swe="http://www.opengis.net/swe/2.0" xmlns:xlink="http://www.w3.org/1999/xlink"'
SWE1 = 'xmlns:swe="http://www.opengis.net/swe/1.0.1" xmlns:gml="http://www.opengis.net/gml"'

RECORD = f"""<swe:DataRecord {SWE2} definition="urn:x:task">
  <swe:field name="speed"><swe:Quantity definition="urn:x:speed" optional="true">
    <swe:label>Speed</swe:label><swe:uom code="m/s"/>
    <swe:constraint><swe:AllowedValues><swe:interval>0 INF</swe:interval></swe:AllowedValues></swe:constraint>
    <swe:nilValues><swe:NilValues><swe:nilValue reason="urn:x:missing">-999</swe:nilValue>
    </swe:NilValues></swe:nilValues>
  </swe:Quantity></swe:field>
  <swe:field name="mode"><swe:Category definition="urn:x:mode"><swe:codeSpace xlink:href="urn:x:modes"/>
    <swe:constraint><swe:AllowedTokens><swe:value>fast</swe:value><swe:value>slow</swe:value></swe:AllowedTokens>
    </swe:constraint></swe:Category></swe:field>
  <swe:field name="window"><swe:TimeRange definition="urn:x:window">
    <swe:uom xlink:href="http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"/>
    <swe:constraint><swe:AllowedTimes><swe:interval>2010-01-01T00:00:00Z now</swe:interval></swe:AllowedTimes>
    </swe:constraint></swe:TimeRange></swe:field>
  <swe:field name="target"><swe:DataChoice definition="urn:x:target">
    <swe:item name="point"><swe:Vector definition="urn:x:loc" referenceFrame="urn:ogc:def:crs:EPSG::4326">
      <swe:coordinate name="lat"><swe:Quantity definition="urn:x:lat" axisID="Lat"><swe:uom code="deg"/>
      </swe:Quantity></swe:coordinate>
      <swe:coordinate name="lon"><swe:Quantity definition="urn:x:lon" axisID="Lon"><swe:uom code="deg"/>
      </swe:Quantity></swe:coordinate>
    </swe:Vector></swe:item>
    <swe:item name="name"><swe:Text definition="urn:x:name"/></swe:item>
  </swe:DataChoice></swe:field>
  <swe:field name="on"><swe:Boolean definition="urn:x:on"><swe:value>true</swe:value></swe:Boolean></swe:field>
  <swe:field name="n"><swe:Count definition="urn:x:n"><swe:value>3</swe:value></swe:Count></swe:field>
</swe:DataRecord>"""


def test_record_components_validate() -> None:
    comp = component_to_json(parse_xml(RECORD.encode()))
    assert errors(SWE + "DataRecord.json", comp) == []
    speed, mode, window, target, on, n = comp["fields"]
    assert speed["optional"] is True and speed["uom"] == {"code": "m/s"}
    assert speed["constraint"] == {"type": "AllowedValues", "intervals": [[0, "Infinity"]]}
    assert speed["nilValues"] == [{"reason": "urn:x:missing", "value": -999}]
    assert mode["constraint"] == {"type": "AllowedTokens", "values": ["fast", "slow"]}
    assert mode["codeSpace"] == "urn:x:modes"
    assert window["type"] == "TimeRange"
    assert [i["name"] for i in target["items"]] == ["point", "name"]
    assert (on["value"], n["value"]) == (True, 3)


def test_decode_block_with_optional_and_choice() -> None:
    comp = component_to_json(parse_xml(RECORD.encode()))
    tokens = [
        "Y",
        "3.5",
        "fast",
        "2010-08-20T12:37:00+02:00",
        "2010-08-20T14:30:00+02:00",
        "point",
        "51.9",
        "8.19",
        "true",
        "2",
    ]
    value = decode_block(tokens, comp)
    assert value["speed"] == 3.5
    assert value["window"] == ["2010-08-20T12:37:00+02:00", "2010-08-20T14:30:00+02:00"]
    assert value["target"] == {"point": {"lat": 51.9, "lon": 8.19}}
    assert decode_block(["N", "slow", "2010-01-01", "2010-01-02", "name", "x", "false", "1"], comp)["speed"] is None


def test_swe101_components() -> None:
    xml = f"""<swe:DataRecord {SWE1}><swe:field name="alt"><swe:Quantity axisID="z"><swe:uom code="UNIT_NOT_SET"/>
      <swe:value>-INF</swe:value></swe:Quantity></swe:field>
      <swe:field name="t"><swe:Time definition="urn:x:t"><gml:name>When</gml:name>
      <swe:constraint><swe:AllowedTimes><swe:min>2000-01-01T00:00:00Z</swe:min></swe:AllowedTimes></swe:constraint>
      </swe:Time></swe:field>
      <swe:field name="cat"><swe:Category definition="urn:x:c"><swe:constraint><swe:AllowedTokens>
      <swe:valueList>a b c</swe:valueList></swe:AllowedTokens></swe:constraint></swe:Category></swe:field>
      </swe:DataRecord>"""
    comp = component_to_json(parse_xml(xml.encode()))
    assert errors(SWE + "DataRecord.json", comp) == []
    alt, t, cat = comp["fields"]
    assert alt["value"] == "-Infinity" and alt["label"] == "alt"
    assert t["label"] == "When" and t["constraint"]["intervals"] == [["2000-01-01T00:00:00Z", "+Infinity"]]
    assert cat["constraint"]["values"] == ["a", "b", "c"]


def test_unknown_component_raises() -> None:
    with pytest.raises(SweError):
        component_to_json(parse_xml(f"<swe:Frobnicator {SWE2}/>".encode()))


def test_safe_names() -> None:
    assert safe_name("Sensor adcp0") == "Sensor_adcp0"
    assert safe_name("http://x.org/a#b") == "http___x_org_a_b"
    assert safe_name("1st") == "f_1st"


def test_encodings() -> None:
    text = encoding_to_json(parse_xml(f'<swe:TextEncoding {SWE2} tokenSeparator="," blockSeparator="@@"/>'.encode()))
    assert text == {
        "type": "TextEncoding",
        "tokenSeparator": ",",
        "blockSeparator": "@@",
        "decimalSeparator": ".",
        "collapseWhiteSpaces": True,
    }
    binary = encoding_to_json(
        parse_xml(
            f'<swe:BinaryEncoding {SWE2} byteOrder="littleEndian" byteEncoding="base64"><swe:member>'
            '<swe:Component ref="a/b" dataType="http://www.opengis.net/def/dataType/OGC/0/float32"/>'
            "</swe:member></swe:BinaryEncoding>".encode()
        )
    )
    assert binary["members"][0]["ref"] == "a/b" and binary["byteOrder"] == "littleEndian"


@pytest.mark.parametrize(
    ("values", "encoding", "expected"),
    [
        ("a,1@@b,2", {"tokenSeparator": ",", "blockSeparator": "@@"}, [["a", "1"], ["b", "2"]]),
        ("2@@a,1@@b,2", {"tokenSeparator": ",", "blockSeparator": "@@"}, [["a", "1"], ["b", "2"]]),  # count
        ("a,1;b,2;", {"tokenSeparator": ",", "blockSeparator": ";"}, [["a", "1"], ["b", "2"]]),  # trailing
        ("\n  00,12\n  10,13\n", {"tokenSeparator": ",", "blockSeparator": "\r\n"}, [["00", "12"], ["10", "13"]]),
        ("x#1@y#2", {"tokenSeparator": "#", "blockSeparator": "@"}, [["x", "1"], ["y", "2"]]),
        ("2,a,1@@b,2", {"tokenSeparator": ",", "blockSeparator": "@@"}, [["a", "1"], ["b", "2"]]),
        ("1@@2", {"tokenSeparator": ",", "blockSeparator": "@@"}, [["2"]]),  # ambiguous: read as a count
        ("5@@7@@9", {"tokenSeparator": ",", "blockSeparator": "@@"}, [["5"], ["7"], ["9"]]),  # 5 ≠ 2: data
        ("", {"tokenSeparator": ",", "blockSeparator": "@@"}, []),
    ],
)
def test_split_text_block(values: str, encoding: dict[str, str], expected: list[list[str]]) -> None:
    assert split_text_block(values, encoding) == expected


def test_split_explicit_count_and_decimal_separator() -> None:
    enc = {"type": "TextEncoding", "tokenSeparator": ";", "blockSeparator": "|", "decimalSeparator": ","}
    rows = split_text_block("3,5;2|4,25;3", enc, count_prefix=False)
    record = {
        "type": "DataRecord",
        "fields": [
            {"name": "v", "type": "Quantity", "definition": "urn:x", "label": "v", "uom": {"code": "m"}},
            {"name": "n", "type": "Count", "definition": "urn:x", "label": "n"},
        ],
    }
    decode = row_decoder(record, enc)
    assert [decode(r) for r in rows] == [[3.5, 2], [4.25, 3]]
