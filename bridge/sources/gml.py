"""GML 3.1.1 / 3.2 helpers: time primitives and geometries → Python datetimes and GeoJSON.

Times: ISO 8601 with reduced precision (`1999`, `1999-01`, `2000-01-01` become the covered interval),
offsets kept, missing zone assumed UTC and flagged, whitespace trimmed, `indeterminatePosition`,
and `xlink:href="#id"` references to time elements seen earlier in the same document (Q5).

Geometries: axis order decided per srsName (EPSG geographic CRSs are lat/lon in GML, CRS84 and
`epsg.xml#` are lon/lat) and then checked for plausibility, since one 52°North server writes lon/lat
under EPSG:4326 (Q4); rings are closed (Q19); srsName is inherited from the nearest ancestor.
Projected EPSG CRSs (Gauss-Krüger, UTM, national grids) are reprojected to WGS 84 lon/lat with PROJ.
"""

from __future__ import annotations

import re
from calendar import monthrange
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import pyproj
from lxml import etree

from bridge.model.legacy.sos2 import Bbox, JsonDict, TimeExtent

GML32 = "http://www.opengis.net/gml/3.2"
GML311 = "http://www.opengis.net/gml"
GML_NS = (GML32, GML311)
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"

_YEAR = re.compile(r"^(\d{4})(Z|[+-]\d\d:\d\d)?$")
_MONTH = re.compile(r"^(\d{4})-(\d\d)(Z|[+-]\d\d:\d\d)?$")
_DAY = re.compile(r"^(\d{4})-(\d\d)-(\d\d)(Z|[+-]\d\d:\d\d)?$")
_EPSG = re.compile(r"(?:EPSG|epsg)(?:/\d+(?:\.\d+)*/|:[\d.]*:|::|:|\.xml#)(\d+)$")
# geographic CRSs whose GML axis order is latitude, longitude (datums close enough to WGS 84 for siting)
_GEOGRAPHIC = {4326, 4979, 4258, 4269, 4283, 4167, 4272, 4230, 4617, 4019, 4937, 4171, 4619, 4612}
_WGS84 = {4326, 4979}


class GmlError(ValueError):
    """A GML time or geometry value cannot be read."""


# ---------------------------------------------------------------------------------------------- times


def _zone(text: str | None) -> tuple[Any, bool]:
    if not text:
        return UTC, True
    return datetime.fromisoformat("2000-01-01T00:00:00" + text).tzinfo, False


@lru_cache(maxsize=2048)
def parse_time_value(text: str) -> tuple[datetime, datetime, bool]:
    """Parse an ISO 8601 time → (start, end, assumed_utc); reduced precision gives the covered interval."""
    value = text.strip()
    try:
        if m := _DAY.match(value):
            tz, assumed = _zone(m.group(4))
            start = datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), tzinfo=tz)
            return start, start + timedelta(days=1), assumed
        if m := _MONTH.match(value):
            tz, assumed = _zone(m.group(3))
            year, month = int(m.group(1)), int(m.group(2))
            start = datetime(year, month, 1, tzinfo=tz)
            return start, start + timedelta(days=monthrange(year, month)[1]), assumed
        if m := _YEAR.match(value):
            tz, assumed = _zone(m.group(2))
            year = int(m.group(1))
            return datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz), assumed
        stamp = datetime.fromisoformat(value)
    except ValueError as exc:
        raise GmlError(f"invalid ISO 8601 time {value!r}") from exc
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
        return stamp, stamp, True
    return stamp, stamp, False


def to_rfc3339(value: datetime) -> str:
    """RFC 3339 text of an aware datetime (`Z` for UTC), as JSON schemas' `date-time` expect."""
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def normalize_time_text(text: str) -> str | None:
    """Rewrite an ISO time as RFC 3339 (start of a reduced-precision value); None when unreadable."""
    try:
        return to_rfc3339(parse_time_value(text)[0])
    except GmlError:
        return None


def _local(el: etree._Element) -> str:
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _position(el: etree._Element | None) -> tuple[datetime | None, datetime | None, str | None, bool]:
    """A gml:timePosition/beginPosition/endPosition → (start, end, indeterminate, assumed_utc)."""
    if el is None:
        return None, None, None, False
    indeterminate = el.get("indeterminatePosition")
    raw = (el.text or "").strip()
    if not raw:
        return None, None, indeterminate or "unknown", False
    start, end, assumed = parse_time_value(raw)
    return start, end, indeterminate, assumed


def _find_gml(el: etree._Element, name: str) -> etree._Element | None:
    for ns in GML_NS:
        found = el.find(f"{{{ns}}}{name}")
        if found is not None:
            return found
    return None


def _period_bound(period: etree._Element, name: str) -> etree._Element | None:
    """beginPosition/endPosition, or begin|end/TimeInstant/timePosition."""
    pos = _find_gml(period, name + "Position")
    if pos is not None:
        return pos
    holder = _find_gml(period, name)
    if holder is None:
        return None
    instant = _find_gml(holder, "TimeInstant")
    return _find_gml(instant, "timePosition") if instant is not None else None


def time_primitive(el: etree._Element) -> TimeExtent:
    """Read a gml:TimeInstant or gml:TimePeriod element."""
    gml_id = el.get(f"{{{GML32}}}id") or el.get(f"{{{GML311}}}id")
    if _local(el) == "TimeInstant":
        start, end, indet, assumed = _position(_find_gml(el, "timePosition"))
        return TimeExtent(start, end, indet, indet, assumed, gml_id)
    if _local(el) != "TimePeriod":
        raise GmlError(f"not a GML time primitive: {_local(el)}")
    b_start, _, b_indet, b_assumed = _position(_period_bound(el, "begin"))
    _, e_end, e_indet, e_assumed = _position(_period_bound(el, "end"))
    return TimeExtent(b_start, e_end, b_indet, e_indet, b_assumed or e_assumed, gml_id)


def time_property(prop: etree._Element | None, refs: dict[str, TimeExtent] | None = None) -> TimeExtent | None:
    """Read a time property (om:phenomenonTime…) holding a primitive or an `#id` reference.

    Parsed primitives with a gml:id are added to `refs`, so later `xlink:href="#id"` resolve.
    """
    if prop is None:
        return None
    href = prop.get(XLINK_HREF)
    if href is not None:
        return refs.get(href.strip().lstrip("#")) if refs is not None else None
    for child in prop:
        if isinstance(child.tag, str) and child.tag.startswith(("{" + GML32, "{" + GML311 + "}")):
            extent = time_primitive(child)
            if refs is not None and extent.gml_id:
                refs[extent.gml_id] = extent
            return extent
    return None


# ------------------------------------------------------------------------------------------ geometry


@dataclass(frozen=True, slots=True)
class GeoResult:
    """A GeoJSON geometry (or bbox) with the srsName it came in and what was done to it."""

    geometry: JsonDict | None
    srs_name: str | None
    crs84: bool
    issues: tuple[str, ...] = ()
    bbox: Bbox | None = None


def epsg_code(srs_name: str | None) -> int | None:
    """EPSG code of an srsName in any of its spellings, or None."""
    if not srs_name:
        return None
    m = _EPSG.search(srs_name.strip())
    return int(m.group(1)) if m else None


def _axis_plan(srs_name: str | None) -> tuple[bool, bool, list[str]]:
    """(lat_first, crs84, issues) for an srsName."""
    if srs_name is None:
        return True, True, ["no srsName: EPSG:4326 assumed"]
    name = srs_name.strip()
    if "CRS84" in name.upper() or "CRS:84" in name.upper():
        return False, True, []
    code = epsg_code(name)
    if code is None:
        return False, False, [f"unknown srsName {name}: coordinates kept as given"]
    if code in _GEOGRAPHIC:
        lat_first = ".xml#" not in name  # the old epsg.xml#4326 form is lon/lat
        issues = [] if code in _WGS84 else [f"EPSG:{code} treated as WGS 84"]
        return lat_first, True, issues
    return False, False, []  # a projected CRS: reprojected by `_Axes.finish`


def _srs_of(el: etree._Element) -> str | None:
    node: Any = el
    while node is not None:
        srs = node.get("srsName")
        if srs:
            return str(srs)
        node = node.getparent()
    return None


def _descendant_srs(el: etree._Element) -> str | None:
    """srsName written on a child (Q19: one srsName per gml:pos)."""
    for node in el.iter():
        srs = node.get("srsName") if isinstance(node.tag, str) else None
        if srs:
            return str(srs)
    return None


def _dimension(el: etree._Element) -> int:
    node: Any = el
    while node is not None:
        dim = node.get("srsDimension") or node.get("dimension")
        if dim and dim.isdigit():
            return int(dim)
        node = node.getparent()
    return 2


def _numbers(text: str | None) -> list[float]:
    try:
        return [float(v) for v in (text or "").split()]
    except ValueError as exc:
        raise GmlError(f"invalid coordinates {text!r}") from exc


def _coordinates(el: etree._Element) -> list[list[float]]:
    """gml:coordinates (cs/ts/decimal attributes; whitespace-only lists are one tuple per 2-3 numbers)."""
    raw = (el.text or "").strip()
    cs, ts, dec = el.get("cs", ","), el.get("ts", " "), el.get("decimal", ".")
    if cs not in raw:
        nums = _numbers(raw)
        return [nums] if len(nums) in (2, 3) else [nums[i : i + 2] for i in range(0, len(nums), 2)]
    tuples = raw.split() if ts.isspace() else raw.split(ts)
    out = []
    for tup in tuples:
        parts = tup.strip().split(cs)
        out.append([float(p.replace(dec, ".")) for p in parts if p.strip()])
    return out


def _points(el: etree._Element) -> list[list[float]]:
    """Raw coordinate tuples under a Point/LineString/LinearRing/Envelope element, in document order."""
    out: list[list[float]] = []
    for child in el:
        name = _local(child)
        if name in ("pos", "lowerCorner", "upperCorner"):
            out.append(_numbers(child.text))
        elif name == "posList":
            nums, dim = _numbers(child.text), _dimension(child)
            out.extend(nums[i : i + dim] for i in range(0, len(nums) - dim + 1, dim))
        elif name == "coordinates":
            out.extend(_coordinates(child))
        elif name == "coord":
            out.append([float(c.text or "nan") for c in child])
        elif name in ("pointProperty", "pointRep") and len(child):
            out.extend(_points(child[0]))
    return out


class _Axes:
    """Collects coordinates of one geometry, then orders them lon/lat consistently."""

    def __init__(self, root: etree._Element, srs_name: str | None) -> None:
        self.srs = srs_name or _srs_of(root) or _descendant_srs(root)
        self.tuples: list[list[float]] = []
        self.issues: list[str] = []

    def take(self, el: etree._Element) -> list[list[float]]:
        pts = _points(el)
        self.tuples.extend(pts)
        return pts

    def finish(self) -> tuple[bool, bool]:
        """Decide (swap, crs84) for the whole geometry and swap the collected tuples in place."""
        lat_first, crs84, issues = _axis_plan(self.srs)
        self.issues.extend(issues)
        code = epsg_code(self.srs)
        if not crs84 and code is not None and code not in _GEOGRAPHIC:
            return False, self._reproject(code)
        if crs84 and self.tuples:
            first_big = any(abs(t[0]) > 90 for t in self.tuples)
            second_big = any(len(t) > 1 and abs(t[1]) > 90 for t in self.tuples)
            if lat_first and first_big and not second_big:
                lat_first = False
                self.issues.append("axis order was lon/lat despite srsName (Q4): not swapped")
            elif not lat_first and second_big and not first_big:
                lat_first = True
                self.issues.append("axis order was lat/lon despite srsName: swapped")
        if lat_first:
            for t in self.tuples:
                if len(t) > 1:
                    t[0], t[1] = t[1], t[0]
        return lat_first, crs84

    def _reproject(self, code: int) -> bool:
        """Projected coordinates → lon/lat (WGS 84). The CRS's own axis order is tried first, then the other
        one; the order whose result lies in the CRS's area of use wins (servers write both). False, and the
        coordinates untouched, when the CRS is unknown or neither order fits."""
        plan = _projection(code)
        if plan is None:
            self.issues.append(f"EPSG:{code} is not a known projected CRS: coordinates not reprojected")
            return False
        transform, north_first, (west, south, east, north) = plan
        pairs = [(t[0], t[1]) for t in self.tuples if len(t) > 1]
        if not pairs:
            return False
        for swap in (north_first, not north_first):
            xs, ys = ([p[1] for p in pairs], [p[0] for p in pairs]) if swap else zip(*pairs, strict=True)
            lons, lats = transform(list(xs), list(ys))
            if all(
                west - 1 <= lo <= east + 1 and south - 1 <= la <= north + 1 for lo, la in zip(lons, lats, strict=True)
            ):
                converted = iter(zip(lons, lats, strict=True))
                for t in self.tuples:
                    if len(t) > 1:
                        t[0], t[1] = next(converted)
                order = "northing/easting" if swap else "easting/northing"
                self.issues.append(f"reprojected from EPSG:{code} ({order} axis order) to WGS 84 lon/lat")
                if swap != north_first:
                    self.issues.append(f"axis order was not the one EPSG:{code} declares")
                return True
        self.issues.append(f"coordinates outside the area of EPSG:{code} in either axis order: not reprojected")
        return False


@lru_cache(maxsize=64)
def _projection(code: int) -> tuple[Callable[..., Any], bool, tuple[float, float, float, float]] | None:
    """(transform x,y → lon,lat; CRS declares northing first; area of use in degrees) of a projected EPSG CRS."""
    try:
        crs = pyproj.CRS.from_epsg(code)
    except pyproj.exceptions.CRSError:
        return None
    if not crs.is_projected or crs.area_of_use is None:
        return None
    transformer = pyproj.Transformer.from_crs(crs, pyproj.CRS.from_epsg(4326), always_xy=True)
    north_first = bool(crs.axis_info) and crs.axis_info[0].direction.lower() == "north"
    return transformer.transform, north_first, crs.area_of_use.bounds


def _ring(axes: _Axes, ring_holder: etree._Element) -> list[list[float]] | None:
    for ring in ring_holder:
        if _local(ring) in ("LinearRing", "Ring"):
            if _local(ring) == "Ring":  # gml:Ring/curveMember/LineString…
                pts = [p for member in ring for g in member for p in axes.take(g)]
            else:
                pts = axes.take(ring)
            if pts and pts[0] != pts[-1]:
                pts.append(list(pts[0]))
                axes.tuples.append(pts[-1])
                axes.issues.append("unclosed ring closed (Q19)")
            return pts
    return None


def _polygon(axes: _Axes, el: etree._Element) -> list[list[list[float]]]:
    rings: list[list[list[float]]] = []
    for name in ("exterior", "outerBoundaryIs", "interior", "innerBoundaryIs"):
        for holder in el:
            if _local(holder) == name and (ring := _ring(axes, holder)) is not None:
                rings.append(ring)
    return rings


def _members(el: etree._Element, single: tuple[str, ...], plural: tuple[str, ...]) -> list[etree._Element]:
    found: list[etree._Element] = []
    for child in el:
        name = _local(child)
        if name in single and len(child):
            found.append(child[0])
        elif name in plural:
            found.extend(c for c in child if isinstance(c.tag, str))
    return found


def _build(axes: _Axes, el: etree._Element) -> JsonDict | None:
    name = _local(el)
    if name == "Point":
        pts = axes.take(el)
        return {"type": "Point", "coordinates": pts[0]} if pts else None
    if name in ("LineString", "LineStringSegment"):
        return {"type": "LineString", "coordinates": axes.take(el)}
    if name == "Curve":
        segs = [s for holder in el for s in holder if _local(s) == "LineStringSegment"]
        return {"type": "LineString", "coordinates": [p for s in segs for p in axes.take(s)]} if segs else None
    if name in ("Polygon", "PolygonPatch"):
        return {"type": "Polygon", "coordinates": _polygon(axes, el)}
    if name == "Surface":
        patches = [p for holder in el for p in holder if _local(p) == "PolygonPatch"]
        return {"type": "Polygon", "coordinates": _polygon(axes, patches[0])} if patches else None
    if name == "MultiPoint":
        members = _members(el, ("pointMember",), ("pointMembers",))
        return {"type": "MultiPoint", "coordinates": [axes.take(m)[0] for m in members]}
    if name in ("MultiCurve", "MultiLineString"):
        members = _members(el, ("curveMember", "lineStringMember"), ("curveMembers",))
        lines = [g["coordinates"] for m in members if (g := _build(axes, m)) and g["type"] == "LineString"]
        return {"type": "MultiLineString", "coordinates": lines}
    if name in ("MultiSurface", "MultiPolygon"):
        members = _members(el, ("surfaceMember", "polygonMember"), ("surfaceMembers",))
        polys = [g["coordinates"] for m in members if (g := _build(axes, m)) and g["type"] == "Polygon"]
        return {"type": "MultiPolygon", "coordinates": polys}
    return None


def geometry_to_geojson(el: etree._Element, srs_name: str | None = None) -> GeoResult:
    """Convert a GML geometry element to GeoJSON (lon/lat when the CRS is geographic)."""
    axes = _Axes(el, srs_name)
    try:
        geometry = _build(axes, el)
    except (GmlError, ValueError, IndexError) as exc:
        return GeoResult(None, axes.srs, False, (f"unreadable {_local(el)}: {exc}",))
    if geometry is None:
        return GeoResult(None, axes.srs, False, (f"unsupported or empty GML geometry {_local(el)}",))
    _, crs84 = axes.finish()
    return GeoResult(geometry, axes.srs, crs84, tuple(axes.issues))


def geometry_property(prop: etree._Element | None) -> GeoResult | None:
    """Read the first GML geometry child of a property element (sams:shape, sml:position…)."""
    if prop is None:
        return None
    for child in prop:
        if isinstance(child.tag, str) and child.tag.startswith(("{" + GML32, "{" + GML311 + "}")):
            return geometry_to_geojson(child)
    return None


def envelope_to_bbox(el: etree._Element) -> GeoResult:
    """A gml:Envelope → bbox (min lon, min lat, max lon, max lat) after axis normalisation."""
    axes = _Axes(el, None)
    try:
        pts = axes.take(el)
    except (GmlError, ValueError) as exc:
        return GeoResult(None, axes.srs, False, (f"unreadable Envelope: {exc}",))
    if len(pts) < 2 or len(pts[0]) < 2 or len(pts[1]) < 2:
        return GeoResult(None, axes.srs, False, ("Envelope without two corners",))
    _, crs84 = axes.finish()
    (x1, y1), (x2, y2) = pts[0][:2], pts[1][:2]
    bbox = (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))
    return GeoResult(None, axes.srs, crs84, tuple(axes.issues), bbox)
