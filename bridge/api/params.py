"""OGC query parameters as reusable typed dependencies.

Each parser takes the raw string FastAPI declared (so the OpenAPI document lists it) and
raises `InvalidParameter` naming the parameter and the reason; nothing is silently ignored.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request
from pydantic import BeforeValidator
from shapely import wkt
from shapely.errors import ShapelyError
from shapely.geometry.base import BaseGeometry

from bridge.api import syntax
from bridge.errors import InvalidParameter, LimitExceeded, NotFound
from bridge.model.query import BBox, IdList, TimeFilter
from bridge.model.time import parse_datetime, to_us, utcnow
from bridge.settings import Limits

MAX_KEYWORD = 50


async def reject_unknown(request: Request) -> None:
    """Router dependency: a query parameter the endpoint does not declare is a 400 (Feat-1 query-param-unknown).

    A NUL character, which no identifier or keyword contains and PostgreSQL text cannot hold, is
    refused too: 404 in a path segment, 400 in a query parameter; so are lists longer than `limits.list_items`
    and more than `limits.keywords` keywords in `q` (each becomes a term of the SQL query).
    """
    for value in request.path_params.values():
        if "\x00" in str(value):
            raise NotFound("no resource has a NUL character in its identifier")
    limits: Limits = request.app.state.settings.limits
    for name, value in request.query_params.multi_items():
        if "\x00" in value:
            raise InvalidParameter(name, "a NUL character is not allowed")
        items = value.count(",") + 1
        if name == "q" and items > limits.keywords:
            raise LimitExceeded("keywords", limits.keywords, f"'q' with {items} keywords")
        if items > limits.list_items:
            raise LimitExceeded("list_items", limits.list_items, f"'{name}' with {items} entries")
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None or getattr(getattr(route, "endpoint", None), "validates_own_params", False):
        return  # e.g. collection items: the accepted parameters depend on the collection's item type
    declared = {p.alias for p in _all_query_params(dependant)}
    for name in request.query_params:
        if name not in declared:
            allowed = ", ".join(sorted(declared)) or "none"
            raise InvalidParameter(name, f"unknown parameter for this endpoint (allowed: {allowed})")


def _all_query_params(dependant: Any) -> list[Any]:
    params = list(getattr(dependant, "query_params", []))
    for sub in getattr(dependant, "dependencies", []):
        params += _all_query_params(sub)
    return params


def parse_id_list(name: str, raw: str | None) -> IdList | None:
    """ID_List (Req 38): comma-separated local ids *or* UIDs, never mixed (checklist D5), written as
    `syntax.id_list` says (no white space; a local id has no colon)."""
    if raw is None:
        return None
    items = raw.split(",")
    uid, local = syntax.compiled(syntax.UID), syntax.compiled(syntax.LOCAL)
    if all(uid.fullmatch(i) for i in items):
        return IdList(uids=tuple(items))
    if all(local.fullmatch(i) for i in items):
        return IdList(local=tuple(items))
    if any(uid.fullmatch(i) for i in items) and any(local.fullmatch(i) for i in items):
        raise InvalidParameter(name, "a list mixes local ids and UIDs (URIs); send one kind only")
    raise InvalidParameter(name, "expected comma-separated local ids or URIs (no empty entry, no white space)")


def parse_keywords(raw: str | None) -> tuple[str, ...]:
    """`q`: comma-separated keywords of 1-50 characters."""
    if raw is None:
        return ()
    if not syntax.matches(syntax.keywords(10**6), raw):
        raise InvalidParameter("q", f"keywords have 1 to {MAX_KEYWORD} characters and do not start with a space")
    return tuple(raw.split(","))


def parse_bbox(raw: str | None) -> BBox | None:
    """`bbox`: 4 or 6 numbers in CRS84(h); minx > maxx crosses the antimeridian."""
    if raw is None:
        return None
    if not syntax.matches(syntax.BBOX, raw):
        raise InvalidParameter("bbox", "must be 4 or 6 comma-separated decimal numbers")
    values = [float(v) for v in raw.split(",")]
    minx, miny, maxx, maxy = (
        (values[0], values[1], values[2], values[3])
        if len(values) == 4
        else (
            values[0],
            values[1],
            values[3],
            values[4],
        )
    )
    if len(values) == 6 and values[2] > values[5]:
        raise InvalidParameter("bbox", "minimum height is above maximum height")
    if miny > maxy:
        raise InvalidParameter("bbox", "minimum latitude is above maximum latitude")
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90 and -90 <= maxy <= 90):
        raise InvalidParameter("bbox", "coordinates are outside CRS84 (longitude -180..180, latitude -90..90)")
    return BBox(minx, miny, maxx, maxy)


def parse_geom(raw: str | None) -> BaseGeometry | None:
    """`geom`: OGC WKT (POINT, LINESTRING, POLYGON, MULTI*, with optional Z) in CRS84 (Req 41)."""
    if raw is None:
        return None
    if not syntax.matches(syntax.GEOM, raw):
        raise InvalidParameter("geom", "expected WKT: POINT, LINESTRING, POLYGON or MULTI… (upper case), then (…)")
    try:
        geometry = wkt.loads(raw)
    except (ShapelyError, ValueError, TypeError) as exc:
        raise InvalidParameter("geom", f"not valid WKT: {exc}") from None
    if geometry.is_empty:
        raise InvalidParameter("geom", "empty geometry")
    minx, miny, maxx, maxy = geometry.bounds
    if minx < -180 or maxx > 180 or miny < -90 or maxy > 90:
        raise InvalidParameter("geom", "coordinates are outside the CRS84 extent (lon -180..180, lat -90..90)")
    if not geometry.is_valid:
        geometry = geometry.buffer(0) if geometry.geom_type in ("Polygon", "MultiPolygon") else geometry
    return geometry


def _instant(name: str, text: str) -> int:
    if text == "now":
        return to_us(utcnow())
    try:
        return to_us(parse_datetime(text))
    except (ValueError, OverflowError) as exc:  # OverflowError: year 1 or 9999 shifted out of range by an offset
        raise InvalidParameter(name, f"'{text}' is not a usable RFC 3339 date-time ({exc})") from None


def parse_time(name: str, raw: str | None, allow_latest: bool = False) -> TimeFilter | None:
    """`datetime` and the Part 2 time parameters: instant, `start/end`, open `..` ends, `now`.

    A comma is tolerated as the interval separator (Part 2 checklist §2.3); `latest` only where allowed.
    """
    if raw is None:
        return None
    if not syntax.matches(syntax.LATEST_TIME, raw):
        raise InvalidParameter(name, "expected an RFC 3339 instant, 'now', or an interval start/end ('..' open)")
    text = raw
    if text == "latest":
        if not allow_latest:
            raise InvalidParameter(name, "'latest' is not supported by this parameter")
        return TimeFilter(None, None, latest=True)
    sep = "/" if "/" in text else ("," if "," in text else None)
    if sep is None:
        if text in ("..", ""):
            raise InvalidParameter(name, "an instant cannot be open")
        value = _instant(name, text)
        return TimeFilter(value, value)
    parts = text.split(sep)
    if len(parts) != 2:
        raise InvalidParameter(name, "an interval has exactly one '/' between start and end")
    start = None if parts[0].strip() in ("..", "") else _instant(name, parts[0].strip())
    end = None if parts[1].strip() in ("..", "") else _instant(name, parts[1].strip())
    if start is None and end is None:
        raise InvalidParameter(name, "both ends of the interval are open")
    if start is not None and end is not None and start > end:
        raise InvalidParameter(name, "the interval ends before it starts")
    return TimeFilter(start, end)


def clamp_limit(limit: int, maximum: int) -> int:
    """A limit above the server maximum is not an error: the maximum is used (Feat-1)."""
    return min(limit, maximum)


# Reusable declared parameters (the OpenAPI document lists them with these descriptions).
def _whole_number(value: Any) -> Any:
    """`limit` is written in digits: `10.0` or `1e3` would be read as a number by a lenient parser."""
    if isinstance(value, str) and not (value.isascii() and value.isdigit()):
        raise ValueError("must be a whole number written in digits")
    return value


LimitParam = Annotated[
    int | None,
    BeforeValidator(_whole_number),
    Query(ge=1, description="Maximum number of items per page (default 10, max 10000)"),
]
CursorParam = Annotated[
    str | None, Query(alias="cursor", description="Opaque paging token from a next/prev link (empty: the first page)")
]
FParam = Annotated[str | None, Query(description="Response format: json, geojson, sml, or a media type")]
IdParam = Annotated[str | None, Query(description="Comma-separated local ids, or UIDs (a UID ending in * is a prefix)")]
QParam = Annotated[str | None, Query(description="Comma-separated keywords searched in name and description")]
BboxParam = Annotated[
    str | None, Query(description="minLon,minLat,maxLon,maxLat[,...] in CRS84 (6 numbers with heights)")
]
DatetimeParam = Annotated[
    str | None, Query(description="Instant or interval (RFC 3339, '..' for open ends, 'now'), on validTime")
]
GeomParam = Annotated[str | None, Query(description="WKT geometry in CRS84; features whose geometry intersects it")]
RecursiveParam = Annotated[bool, Query(description="Include nested subsystems/subdeployments at all levels")]
CascadeParam = Annotated[bool, Query(description="Also delete dependent resources")]


def id_list_param(description: str) -> object:
    """Declare an ID_List query parameter with a description."""
    return Query(description=description)
