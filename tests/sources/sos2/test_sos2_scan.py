"""The byte-level fast lane for plain OM_Measurement members (`bridge.sources.sos2.observations.scan`).

Every variation below is a well-formed document (or a broken one) that a real server could send: the rows
must be exactly those of the general lxml decoder, whether a member took the byte pattern, its per-stream
template, or lxml on its own; broken documents fail as they do with lxml.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest

from bridge.sources import sos2
from bridge.sources.gml import GmlError
from bridge.sources.sos2.observations import iter_stream_records
from bridge.sources.xml import XmlSecurityError, XmlSyntaxError
from tests.sources.sos2.test_sos2_hostile import GeneratedBody, generate_measurements
from tests.sources.sos2.test_sos2_mapping import _fast_rows, _general_rows

PROCEDURE = "urn:ioos:sensor:test:3:sea_water_temperature"
PROPERTY = "http://mmisw.org/ont/cf/parameter/sea_water_temperature"
MEMBER_END = b"</sos:observationData>"
PT2 = b"phenomenonTime_2"
O2 = b'xmlns:o2="http://www.opengis.net/om/2.0"'
EXTENSION = b'<swes:extension xmlns:swes="http://www.opengis.net/swes/2.0">x</swes:extension>'
SOS_DEFAULT = b'xmlns="http://www.opengis.net/sos/2.0"'


def _doc(count: int = 40) -> bytes:
    return b"".join(generate_measurements(count))


def _member(doc: bytes, n: int, change: Callable[[bytes], bytes]) -> bytes:
    """The document with member `n` (0-based) rewritten."""
    parts = doc.split(MEMBER_END)
    parts[n] = change(parts[n])
    return MEMBER_END.join(parts)


def _sub(pattern: bytes, replacement: bytes, count: int = 1) -> Callable[[bytes], bytes]:
    return lambda member: re.sub(pattern, replacement, member, count=count)


VARIANTS: dict[str, Callable[[bytes], bytes]] = {
    "plain": lambda d: d,
    "entity in a feature": lambda d: _member(d, 5, _sub(rb"height-", b"height&amp;")),
    "character reference in a value": lambda d: _member(d, 6, _sub(rb'Type">([0-9])', rb'Type">&#x31;\1')),
    "CDATA value": lambda d: _member(d, 7, _sub(rb'MeasureType">([^<]*)<', rb'MeasureType"><![CDATA[\1]]><')),
    "comment inside a member": lambda d: _member(d, 8, _sub(rb"<om:procedure", b"<!-- note --><om:procedure")),
    "comment between members": lambda d: _member(d, 9, lambda m: m + b"<!-- page 2 -->"),
    "non-ASCII feature": lambda d: _member(d, 10, _sub(rb"height-", "Höhe-".encode())),
    "tab in an attribute (normalised by XML)": lambda d: _member(d, 11, _sub(rb"height-", b"height\t")),
    "attributes in another order": lambda d: _member(
        d, 12, _sub(rb'uom="([^"]*)" xsi:type="([^"]*)"', rb'xsi:type="\2" uom="\1"')
    ),
    "feature title": lambda d: _member(d, 13, _sub(rb'(featureOfInterest xlink:href="[^"]*")', rb'\1 xlink:title="T"')),
    "indentation changes": lambda d: _member(d, 14, _sub(rb"\n      <om:", b"\n <om:", count=0)),
    "empty value": lambda d: _member(d, 15, _sub(rb'MeasureType">[^<]*<', b'MeasureType"><')),
    "value not a number": lambda d: _member(d, 16, _sub(rb'MeasureType">[^<]*<', b'MeasureType">n/a<')),
    "time without zone": lambda d: _member(d, 17, _sub(rb"(T\d\d:\d\d:00\.000)Z", rb"\1")),
    "time with offset": lambda d: _member(d, 18, _sub(rb"(T\d\d:\d\d:00\.000)Z", rb"\1+02:00")),
    "resultTime of another member": lambda d: _member(
        d, 19, _sub(rb'resultTime xlink:href="#[^"]*"', b'resultTime xlink:href="#phenomenonTime_3"')
    ),
    "phenomenonTime by reference": lambda d: _member(
        d, 20, _sub(rb"<om:phenomenonTime>.*?</om:phenomenonTime>", b'<om:phenomenonTime xlink:href="#' + PT2 + b'"/>')
    ),
    "other procedure": lambda d: _member(d, 21, _sub(rb"sensor:test:3:", b"sensor:test:4:")),
    "result renamed by a declaration": lambda d: _member(
        d, 22, _sub(rb'<om:result xmlns:ns=', b'<om:result xmlns:om="urn:x-other" xmlns:ns=')
    ),
    "result of another type": lambda d: _member(d, 23, _sub(rb"ns:MeasureType", b"ns:ReferenceType")),
    "extra attribute on the result": lambda d: _member(d, 24, _sub(rb"<om:result ", b'<om:result gml:id="r1" ')),
    "feature by local reference": lambda d: _member(d, 25, _sub(rb'(featureOfInterest xlink:href=")', rb"\1#")),
    "single-quoted attribute": lambda d: _member(d, 26, _sub(rb'gml:id="o_(\d+)"', rb"gml:id='o_\1'")),
    "other prefixes inside a member": lambda d: _member(
        d, 27, lambda m: m.replace(b"om:", b"o2:").replace(b"<o2:OM_Observation", b"<o2:OM_Observation " + O2, 1)
    ),
    "extension before the members": lambda d: d.replace(
        b"<sos:observationData>", EXTENSION + b"<sos:observationData>", 1
    ),
    "default namespace for SOS": lambda d: d.replace(b'xmlns:sos="', SOS_DEFAULT + b' xmlns:sos="', 1).replace(
        b"sos:observationData", b"observationData"
    ),
    "no XML declaration, CRLF line ends": lambda d: d.split(b"?>", 1)[1].replace(b"\n", b"\r\n"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(VARIANTS))
def test_every_member_reads_exactly_like_the_general_decoder(name: str) -> None:
    data = VARIANTS[name](_doc())
    rows, fast = _fast_rows(data, "num")
    assert rows == _general_rows(data, "num")
    assert fast >= 30, fast  # the others still took the fast lane


def test_the_byte_lane_reads_a_long_stream_across_buffer_refills() -> None:
    """Chunks end anywhere (inside a member, a tag, a value): the result does not depend on it."""
    body = GeneratedBody(generate_measurements(3_000, per_chunk=7))
    records = list(iter_stream_records(body, offering=None, procedure=PROCEDURE, prop=PROPERTY))
    assert len(records) == 3_000 and sum(1 for r in records if type(r[0]) is int) == 2_999
    assert body.size == len(_doc(3_000))


def _read(data: bytes) -> list[Any]:
    return list(iter_stream_records(io.BytesIO(data), offering=None, procedure=PROCEDURE, prop=PROPERTY))


def test_broken_documents_fail_as_with_lxml() -> None:
    whole = _doc(50)
    for cut in (len(whole) // 2, len(whole) - 40, len(whole) - 3):
        with pytest.raises(XmlSyntaxError):
            _read(whole[:cut])
    with pytest.raises(XmlSyntaxError):
        _read(whole + b"<more/>")
    with pytest.raises(XmlSyntaxError):  # a member that is not well-formed
        _read(_member(whole, 30, _sub(rb"</om:result>", b"</om:resul>")))
    with pytest.raises(XmlSyntaxError):  # an undeclared entity (there is no DTD to declare one)
        _read(_member(whole, 31, _sub(rb"height-", b"height&bomb;")))
    doctype = whole.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY a "b">]>', 1)
    with pytest.raises(XmlSecurityError):
        _read(doctype)
    assert len(_read(whole + b"\n  \n")) == 50  # white space after the root is fine


def test_a_value_that_is_not_a_number_is_kept_as_null_with_a_note() -> None:
    """A server writing `n/a` in a MeasureType result must not stop the harvest of the window."""
    data = _member(_doc(10), 4, _sub(rb'MeasureType">[^<]*<', b'MeasureType">n/a<'))
    records = _read(data)
    (odd,) = [r for r in records if type(r[0]) is not int and r[0].result is None]
    assert any("'n/a' is not a Measurement" in issue for issue in odd[0].issues), odd[0]


def test_comments_and_processing_instructions_may_follow_the_document() -> None:
    assert len(_read(_doc(5) + b"<!-- generated in 0.2 s --><?done?>\n")) == 5


def test_an_invalid_time_fails_as_with_lxml_even_before_an_empty_value() -> None:
    """The byte lane hands a member with an unreadable time to the general decoder, whatever its value."""
    bad_time = _sub(rb"2014-\d\d-\d\dT", b"2014-13-45T")
    data = _member(_doc(10), 4, lambda m: _sub(rb'MeasureType">[^<]*<', b'MeasureType"><')(bad_time(m)))
    with pytest.raises(GmlError, match="2014-13-45"):
        list(sos2.iter_observations(io.BytesIO(data)))
    with pytest.raises(GmlError, match="2014-13-45"):
        _read(data)
