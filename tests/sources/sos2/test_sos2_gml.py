"""GML time and geometry helpers: reduced precision, zones, references, axis order, rings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from bridge.sources.gml import (
    GmlError,
    envelope_to_bbox,
    epsg_code,
    geometry_property,
    geometry_to_geojson,
    parse_time_value,
    time_property,
)
from bridge.sources.xml import parse_xml

NS = 'xmlns:gml="http://www.opengis.net/gml/3.2" xmlns:x="urn:x" xmlns:xlink="http://www.w3.org/1999/xlink"'


def el(body: str):  # type: ignore[no-untyped-def]
    return parse_xml(f"<x:w {NS}>{body}</x:w>".encode())[0]


@pytest.mark.parametrize(
    ("text", "start", "end", "assumed"),
    [
        ("1999-01", datetime(1999, 1, 1, tzinfo=UTC), datetime(1999, 2, 1, tzinfo=UTC), True),
        ("2000-02", datetime(2000, 2, 1, tzinfo=UTC), datetime(2000, 3, 1, tzinfo=UTC), True),
        ("2000-01-01", datetime(2000, 1, 1, tzinfo=UTC), datetime(2000, 1, 2, tzinfo=UTC), True),
        ("2001", datetime(2001, 1, 1, tzinfo=UTC), datetime(2002, 1, 1, tzinfo=UTC), True),
        ("2005-01-12T09:25:00.00", datetime(2005, 1, 12, 9, 25, tzinfo=UTC), None, True),
        (" 2000-12-31T22:00:00.000+01:00\n\t\t", datetime(2000, 12, 31, 21, tzinfo=UTC), None, False),
        ("2014-07-07T22:00:00.000Z", datetime(2014, 7, 7, 22, tzinfo=UTC), None, False),
    ],
)
def test_time_values(text: str, start: datetime, end: datetime | None, assumed: bool) -> None:
    got_start, got_end, got_assumed = parse_time_value(text)
    assert got_start == start and got_end == (end or start) and got_assumed is assumed


def test_offset_is_kept() -> None:
    start, _, _ = parse_time_value("2019-05-01T12:00:00.000+12:00")
    assert start.utcoffset() == timedelta(hours=12)
    assert start.tzinfo == timezone(timedelta(hours=12))


def test_bad_time_raises() -> None:
    with pytest.raises(GmlError):
        parse_time_value("yesterday")


def test_period_reference_and_indeterminate() -> None:
    refs: dict = {}  # type: ignore[type-arg]
    period = el(
        '<x:p><gml:TimePeriod gml:id="t1"><gml:beginPosition>2015-05-18T13:42:42Z</gml:beginPosition>'
        '<gml:endPosition indeterminatePosition="unknown"/></gml:TimePeriod></x:p>'
    )
    extent = time_property(period, refs)
    assert extent is not None and extent.end is None and extent.end_indeterminate == "unknown"
    ref = el('<x:r xlink:href="#t1"/>')
    assert time_property(ref, refs) == extent
    nested = el(
        "<x:p><gml:TimePeriod><gml:begin><gml:TimeInstant><gml:timePosition>2001</gml:timePosition>"
        "</gml:TimeInstant></gml:begin><gml:end><gml:TimeInstant><gml:timePosition indeterminatePosition='now'/>"
        "</gml:TimeInstant></gml:end></gml:TimePeriod></x:p>"
    )
    got = time_property(nested)
    assert got is not None and got.start == datetime(2001, 1, 1, tzinfo=UTC) and got.end_indeterminate == "now"


def test_epsg_spellings() -> None:
    for srs in (
        "EPSG:4326",
        "urn:ogc:def:crs:EPSG::4326",
        "urn:ogc:def:crs:EPSG:6.6:4326",
        "http://www.opengis.net/def/crs/EPSG/0/4326",
        "urn:ogc:crs:epsg::4326",
        "http://www.opengis.net/gml/srs/epsg.xml#4326",
    ):
        assert epsg_code(srs) == 4326


def test_point_axis_orders() -> None:
    lat_lon = geometry_to_geojson(el('<gml:Point srsName="EPSG:4326"><gml:pos>50.9 5.4</gml:pos></gml:Point>'))
    assert lat_lon.geometry == {"type": "Point", "coordinates": [5.4, 50.9]} and lat_lon.crs84
    crs84 = geometry_to_geojson(
        el('<gml:Point srsName="http://www.opengis.net/def/crs/OGC/1.3/CRS84"><gml:pos>5.4 50.9</gml:pos></gml:Point>')
    )
    assert crs84.geometry == {"type": "Point", "coordinates": [5.4, 50.9]}
    # lon/lat written under EPSG:4326 (Q4): plausibility keeps lon first
    swapped = geometry_to_geojson(el('<gml:Point srsName="EPSG:4326"><gml:pos>172.3 -41.8</gml:pos></gml:Point>'))
    assert swapped.geometry == {"type": "Point", "coordinates": [172.3, -41.8]} and swapped.issues
    inherited = el(
        '<x:shape srsName="urn:ogc:def:crs:EPSG::4326"><gml:Point><gml:pos>10 20 3</gml:pos></gml:Point></x:shape>'
    )
    geo = geometry_property(inherited)
    assert geo is not None and geo.geometry == {"type": "Point", "coordinates": [20.0, 10.0, 3.0]}


def test_polygon_with_interior_and_unclosed_ring() -> None:
    poly = geometry_to_geojson(
        el(
            '<gml:Polygon srsName="EPSG:4326"><gml:exterior><gml:LinearRing>'
            "<gml:posList>0 0 0 10 10 10 10 0</gml:posList></gml:LinearRing></gml:exterior>"
            "<gml:interior><gml:LinearRing><gml:pos>1 1</gml:pos><gml:pos>1 2</gml:pos><gml:pos>2 2</gml:pos>"
            "<gml:pos>1 1</gml:pos></gml:LinearRing></gml:interior></gml:Polygon>"
        )
    )
    assert poly.geometry is not None
    outer, inner = poly.geometry["coordinates"]
    assert outer == [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0], [0.0, 0.0]]
    assert inner[0] == [1.0, 1.0] and inner[1] == [2.0, 1.0]
    assert "unclosed ring closed (Q19)" in poly.issues


def test_multi_geometries_and_gml311_coordinates() -> None:
    line = geometry_to_geojson(
        el(
            '<gml:LineString srsName="EPSG:4326"><gml:posList srsDimension="3">1 2 0 3 4 0</gml:posList>'
            "</gml:LineString>"
        )
    )
    assert line.geometry == {"type": "LineString", "coordinates": [[2.0, 1.0, 0.0], [4.0, 3.0, 0.0]]}
    multi = geometry_to_geojson(
        el(
            '<gml:MultiPoint srsName="EPSG:4326"><gml:pointMember><gml:Point><gml:pos>1 2</gml:pos></gml:Point>'
            "</gml:pointMember><gml:pointMember><gml:Point><gml:pos>3 4</gml:pos></gml:Point></gml:pointMember>"
            "</gml:MultiPoint>"
        )
    )
    assert multi.geometry == {"type": "MultiPoint", "coordinates": [[2.0, 1.0], [4.0, 3.0]]}
    old = parse_xml(
        b'<gml:Point xmlns:gml="http://www.opengis.net/gml" srsName="urn:ogc:crs:epsg::4326">'
        b"<gml:coordinates>30.04 -80.55</gml:coordinates></gml:Point>"
    )
    assert geometry_to_geojson(old).geometry == {"type": "Point", "coordinates": [-80.55, 30.04]}
    commas = parse_xml(
        b'<gml:LineString xmlns:gml="http://www.opengis.net/gml" srsName="EPSG:4326">'
        b"<gml:coordinates>1,2 3,4</gml:coordinates></gml:LineString>"
    )
    assert geometry_to_geojson(commas).geometry == {"type": "LineString", "coordinates": [[2.0, 1.0], [4.0, 3.0]]}


def _point(srs: str, pos: str) -> Any:
    return geometry_to_geojson(el(f'<gml:Point><gml:pos srsName="{srs}">{pos}</gml:pos></gml:Point>'))


def test_projected_coordinates_are_reprojected_in_either_axis_order() -> None:
    """Teufelsbrück on the Elbe (Hamburg), as the Tideelbe SOS writes it: Gauss-Krüger zone 3, northing first
    as EPSG:31467 declares; the same point easting first; and in UTM 32N (ETRS89)."""
    expected = (9.8607, 53.5466)
    cases = [
        ("http://www.opengis.net/def/crs/EPSG/0/31467", "5935357 3557126", False),
        ("EPSG:31467", "3557126 5935357", True),
        ("urn:ogc:def:crs:EPSG::25832", "557032.12 5933421.96", False),
    ]
    for srs, pos, swapped in cases:
        got = _point(srs, pos)
        lon, lat = got.geometry["coordinates"]
        assert got.crs84 and (round(lon, 3), round(lat, 3)) == (round(expected[0], 3), round(expected[1], 3)), got
        assert any("reprojected from EPSG" in i for i in got.issues)
        assert any("axis order was not" in i for i in got.issues) is swapped
    polygon = geometry_to_geojson(
        el(
            '<gml:Polygon srsName="EPSG:25832"><gml:exterior><gml:LinearRing><gml:posList>'
            "557000 5933000 558000 5933000 558000 5934000 557000 5933000"
            "</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon>"
        )
    )
    ring = polygon.geometry["coordinates"][0]  # type: ignore[index]
    assert polygon.crs84 and len(ring) == 4 and ring[0] == ring[-1] and all(9 < x < 10 and 53 < y < 54 for x, y in ring)


def test_unknown_or_implausible_projections_are_kept_as_given() -> None:
    far = _point("EPSG:31467", "1 2")  # outside the zone in both orders
    assert not far.crs84 and far.geometry["coordinates"] == [1.0, 2.0]  # type: ignore[index]
    assert any("outside the area" in i for i in far.issues)
    unknown = _point("EPSG:999999", "1 2")
    assert not unknown.crs84 and any("not a known projected CRS" in i for i in unknown.issues)
    solid = geometry_to_geojson(el("<gml:Solid/>"))
    assert solid.geometry is None and solid.issues


def test_envelope_bbox() -> None:
    env = envelope_to_bbox(
        el(
            '<gml:Envelope srsName="http://www.opengis.net/def/crs/EPSG/0/4326">'
            "<gml:lowerCorner>41 -120</gml:lowerCorner>"
            "<gml:upperCorner>60 -60</gml:upperCorner></gml:Envelope>"
        )
    )
    assert env.bbox == (-120.0, 41.0, -60.0, 60.0)
