"""When a request gets HTML: `f=html`, or an `Accept` header whose preferred media range is HTML.

`f` beats `Accept` (any other `f` value means that format, never HTML). Without `f`, the media range of
highest quality decides, the first listed winning ties: a browser's `text/html,application/xhtml+xml,…,*/*;q=0.8`
is HTML, `*/*`, `application/json` or no `Accept` header are not — JSON clients see no change.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode

HTML_TYPES = ("text/html", "application/xhtml+xml")
HTML_F = ("html", "text/html")


def _ranges(header: str) -> list[tuple[str, float]]:
    ranges: list[tuple[str, float]] = []
    for part in header.split(","):
        pieces = [p.strip() for p in part.split(";")]
        if not pieces[0]:
            continue
        quality = 1.0
        for param in pieces[1:]:
            if param.lower().startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        ranges.append((pieces[0].lower(), quality))
    return sorted(ranges, key=lambda r: -r[1])  # stable: the first listed wins ties


def wants_html(query: Iterable[tuple[str, str]], accept: str) -> bool:
    """Whether the request asks for HTML (`f=html`, or HTML preferred in `Accept`)."""
    formats = [v.strip().lower() for k, v in query if k == "f"]
    if formats:
        return formats[-1] in HTML_F
    for media, quality in _ranges(accept):
        if quality > 0:
            return media in HTML_TYPES
    return False


def html_query(raw: bytes) -> tuple[bytes, bool]:
    """The query string without `f=html` (the JSON request behind a page), and whether `f=html` was in it."""
    pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if not (k == "f" and v.strip().lower() in HTML_F)]
    return urlencode(kept).encode("latin-1"), len(kept) != len(pairs)
