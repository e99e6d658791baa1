"""GeoJSON geometry ↔ WKT (text encoding) and WKB (binary encoding), exact for float coordinates.

Supports Point, LineString, Polygon and their Multi* forms in 2D or 3D (Z). Written here rather than
through a geometry library so that coordinates round-trip bit-exactly (shortest `repr` of floats).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from typing import Any

# GeoJSON type → (WKT keyword, WKB code, nesting depth of positions in `coordinates`)
_TYPES: dict[str, tuple[str, int, int]] = {
    "Point": ("POINT", 1, 0),
    "LineString": ("LINESTRING", 2, 1),
    "Polygon": ("POLYGON", 3, 2),
    "MultiPoint": ("MULTIPOINT", 4, 1),
    "MultiLineString": ("MULTILINESTRING", 5, 2),
    "MultiPolygon": ("MULTIPOLYGON", 6, 3),
}
_BY_KEYWORD = {kw: name for name, (kw, _, _) in _TYPES.items()}
_BY_CODE = {code: name for name, (_, code, _) in _TYPES.items()}
_WKT_TOKEN = re.compile(r"\(|\)|,|[^\s(),]+")
_MEMBER = {"MultiPoint": "Point", "MultiLineString": "LineString", "MultiPolygon": "Polygon"}


def _dimension(coords: Any, depth: int) -> int:
    if depth == 0:
        if not isinstance(coords, list | tuple) or len(coords) not in (2, 3):
            raise ValueError("a position needs 2 or 3 numbers")
        return len(coords)
    dims = {_dimension(c, depth - 1) for c in coords}
    if len(dims) > 1:
        raise ValueError("positions mix 2D and 3D coordinates")
    return dims.pop() if dims else 2


def _kind(geom: Any) -> tuple[str, int, int]:
    if not isinstance(geom, dict) or geom.get("type") not in _TYPES:
        raise ValueError("expected a GeoJSON Point, LineString, Polygon or Multi* geometry")
    return _TYPES[geom["type"]]


def to_wkt(geom: Any) -> str:
    """WKT of a GeoJSON geometry, e.g. 'POINT (43.0 1.9)' or 'POLYGON Z ((…))'."""
    keyword, _, depth = _kind(geom)
    coords = geom.get("coordinates")
    dim = _dimension(coords, depth)
    if depth and not coords:
        return f"{keyword} EMPTY"
    prefix = f"{keyword} Z " if dim == 3 else f"{keyword} "
    return prefix + _wkt_body(coords, depth, wrap=True)


def _wkt_body(coords: Any, depth: int, wrap: bool) -> str:
    if depth == 0:
        text = " ".join(repr(float(x)) for x in coords)
        return f"({text})" if wrap else text
    inner = ", ".join(_wkt_body(c, depth - 1, wrap=depth - 1 > 0) for c in coords)
    return f"({inner})"


def from_wkt(text: str) -> dict[str, Any]:
    """GeoJSON geometry of a WKT string (ValueError if malformed)."""
    tokens = _WKT_TOKEN.findall(text)
    if not tokens or tokens[0].upper() not in _BY_KEYWORD:
        raise ValueError(f"{text!r} is not a WKT Point, LineString, Polygon or Multi* geometry")
    name = _BY_KEYWORD[tokens[0].upper()]
    pos = 1
    if pos < len(tokens) and tokens[pos].upper() in ("Z", "M", "ZM"):
        if tokens[pos].upper() != "Z":
            raise ValueError("measured (M) WKT coordinates are not supported")
        pos += 1
    if pos < len(tokens) and tokens[pos].upper() == "EMPTY" and name != "Point":
        coords: Any = []
        pos += 1
    else:
        coords, pos = _wkt_group(tokens, pos)
    if pos != len(tokens):
        raise ValueError(f"unexpected {tokens[pos]!r} in WKT")
    depth = _TYPES[name][2]
    if name == "Point":
        coords = coords[0] if len(coords) == 1 else coords
    elif name == "MultiPoint" and coords and isinstance(coords[0], list) and isinstance(coords[0][0], list):
        coords = [c[0] for c in coords]
    _dimension(coords, depth)
    return {"type": name, "coordinates": coords}


def _wkt_group(tokens: list[str], pos: int) -> tuple[list[Any], int]:
    if pos >= len(tokens) or tokens[pos] != "(":
        raise ValueError("'(' expected in WKT")
    pos += 1
    items: list[Any] = []
    while True:
        if pos < len(tokens) and tokens[pos] == "(":
            item, pos = _wkt_group(tokens, pos)
        else:
            item = []
            while pos < len(tokens) and tokens[pos] not in ("(", ")", ","):
                item.append(_wkt_number(tokens[pos]))
                pos += 1
            if not item:
                raise ValueError("empty position in WKT")
        items.append(item)
        if pos >= len(tokens):
            raise ValueError("unterminated WKT")
        if tokens[pos] == ")":
            return items, pos + 1
        if tokens[pos] != ",":
            raise ValueError(f"unexpected {tokens[pos]!r} in WKT")
        pos += 1


def _wkt_number(token: str) -> float:
    try:
        return float(token)
    except ValueError:
        raise ValueError(f"{token!r} is not a number") from None


def to_wkb(geom: Any, big_endian: bool) -> bytes:
    """ISO WKB of a GeoJSON geometry in the given byte order."""
    name = geom.get("type") if isinstance(geom, dict) else None
    _, code, depth = _kind(geom)
    coords = geom.get("coordinates")
    dim = _dimension(coords, depth)
    order = ">" if big_endian else "<"
    head = struct.pack(f"{order}BI", 0 if big_endian else 1, code + (1000 if dim == 3 else 0))
    member = _MEMBER.get(str(name))
    if member is not None:
        parts = [to_wkb({"type": member, "coordinates": c}, big_endian) for c in coords]
        return head + struct.pack(f"{order}I", len(coords)) + b"".join(parts)
    return head + _wkb_coords(coords, depth, dim, order)


def _wkb_coords(coords: Any, depth: int, dim: int, order: str) -> bytes:
    if depth == 0:
        return struct.pack(f"{order}{dim}d", *coords)
    body = b"".join(_wkb_coords(c, depth - 1, dim, order) for c in coords)
    return struct.pack(f"{order}I", len(coords)) + body


def from_wkb(buf: bytes, pos: int) -> tuple[dict[str, Any], int]:
    """GeoJSON geometry read from WKB at `pos`, and the position after it (struct.error if short)."""
    (flag,) = struct.unpack_from("B", buf, pos)
    if flag not in (0, 1):
        raise ValueError(f"invalid WKB byte order flag {flag}")
    order = "<" if flag else ">"
    (raw_code,) = struct.unpack_from(f"{order}I", buf, pos + 1)
    pos += 5
    dim = 3 if raw_code & 0x80000000 or 1000 <= raw_code % 0x80000000 < 2000 else 2
    code = (raw_code & 0x0FFFFFFF) % 1000
    name = _BY_CODE.get(code)
    if name is None:
        raise ValueError(f"unsupported WKB geometry type {raw_code}")
    if name in _MEMBER:
        (n,) = struct.unpack_from(f"{order}I", buf, pos)
        pos += 4
        members = []
        for _ in range(n):
            part, pos = from_wkb(buf, pos)
            members.append(part["coordinates"])
        return {"type": name, "coordinates": members}, pos
    coords, pos = _wkb_read(buf, pos, _TYPES[name][2], dim, order)
    return {"type": name, "coordinates": coords}, pos


def _wkb_read(buf: bytes, pos: int, depth: int, dim: int, order: str) -> tuple[Any, int]:
    if depth == 0:
        return list(struct.unpack_from(f"{order}{dim}d", buf, pos)), pos + 8 * dim
    (n,) = struct.unpack_from(f"{order}I", buf, pos)
    pos += 4
    if n > (len(buf) - pos):
        raise struct.error("WKB count larger than the remaining data")
    items = []
    for _ in range(n):
        item, pos = _wkb_read(buf, pos, depth - 1, dim, order)
        items.append(item)
    return items, pos


def check_geojson(geom: Any) -> dict[str, Any]:
    """`geom` if it is a supported GeoJSON geometry with consistent 2D/3D positions, else ValueError."""
    _, _, depth = _kind(geom)
    coords = geom.get("coordinates")
    if depth and not isinstance(coords, list):
        raise ValueError("'coordinates' must be an array")
    for position in _positions(coords, depth):
        if not all(isinstance(x, int | float) and not isinstance(x, bool) for x in position):
            raise ValueError("coordinates must be numbers")
    _dimension(coords, depth)
    return geom  # type: ignore[no-any-return]


def _positions(coords: Any, depth: int) -> Iterator[Any]:
    if depth == 0:
        if not isinstance(coords, list):
            raise ValueError("a position must be an array of numbers")
        yield coords
        return
    if not isinstance(coords, list):
        raise ValueError("'coordinates' nesting does not match the geometry type")
    for item in coords:
        yield from _positions(item, depth - 1)
