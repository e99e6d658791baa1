"""Media types and content negotiation: `f=` first, then `Accept`, per endpoint format lists."""

from __future__ import annotations

from collections.abc import Sequence

from starlette.requests import HTTPConnection

from bridge.errors import InvalidParameter, NotAcceptable

JSON = "application/json"
GEOJSON = "application/geo+json"
SML_JSON = "application/sml+json"
SWE_JSON = "application/swe+json"
SWE_CSV = "application/swe+csv"
SWE_TEXT = "application/swe+text"
SWE_BINARY = "application/swe+binary"
OPENAPI = "application/vnd.oai.openapi+json;version=3.1"
HTML = "text/html"
URI_LIST = "text/uri-list"

# Aliases accepted from clients, mapped to the canonical type we emit (checklist D13, Part 2 §15 item 3).
ALIASES = {
    "application/vnd.ogc.sml+json": SML_JSON,
    "application/vnd.ogc.swe+json": SWE_JSON,
    "application/vnd.ogc.swe+text": SWE_TEXT,
    "application/vnd.ogc.swe+binary": SWE_BINARY,
    "text/csv": SWE_CSV,
    "application/om+json": JSON,
    "application/cmd+json": JSON,
}

# Short `f=` values.
F_VALUES = {
    "geojson": GEOJSON,
    "sml": SML_JSON,
    "smljson": SML_JSON,
    "swejson": SWE_JSON,
    "swecsv": SWE_CSV,
    "csv": SWE_CSV,
    "swetext": SWE_TEXT,
    "swebinary": SWE_BINARY,
    "binary": SWE_BINARY,
}


def f_values(offered: Sequence[str]) -> list[str]:
    """Every value `f` may take for an endpoint offering `offered`: `json`, short names, media types, aliases."""
    names = ["json", *(name for name, media in F_VALUES.items() if media in offered)]
    return [*names, *offered, *(alias for alias, media in ALIASES.items() if media in offered)]


def canonical(media_type: str) -> str:
    """Lower-cased media type without parameters, with aliases resolved."""
    base = media_type.split(";", 1)[0].strip().lower()
    return ALIASES.get(base, base)


def _accept_ranges(header: str) -> list[tuple[str, float]]:
    ranges: list[tuple[str, float]] = []
    for part in header.split(","):
        if not part.strip():
            continue
        pieces = [p.strip() for p in part.split(";")]
        quality = 1.0
        for param in pieces[1:]:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        ranges.append((pieces[0].lower(), quality))
    return sorted(ranges, key=lambda r: -r[1])


def negotiate(request: HTTPConnection, offered: Sequence[str], f: str | None = None) -> str:
    """Pick the response media type among `offered` (first = default).

    `f` (a short name, `json`, or a media type) wins over `Accept`; an `f` naming a format the endpoint
    does not offer is a 400 on `f`, an `Accept` matching nothing is a 406.
    """
    if f is not None:
        key = f.lower()  # any letter case, no white space (the pattern `/api` publishes)
        wanted = offered[0] if key == "json" else F_VALUES.get(key, ALIASES.get(key, key))
        if wanted == JSON and JSON not in offered:
            wanted = offered[0]
        if wanted not in offered:
            raise InvalidParameter("f", f"'{f}' is not offered here; use one of {', '.join(f_values(offered))}")
        return wanted
    header = request.headers.get("accept", "")
    if not header.strip():
        return offered[0]
    for media, quality in _accept_ranges(header):
        if quality <= 0:
            continue
        if media in ("*/*", "application/*"):
            return offered[0]
        resolved = canonical(media)
        if resolved in offered:
            return resolved
        if resolved == JSON and offered[0].endswith("json"):
            return offered[0]
    raise NotAcceptable(f"none of the requested media types is available; this resource offers {', '.join(offered)}")
