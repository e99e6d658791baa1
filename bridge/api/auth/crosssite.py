"""Cross-site safety of state-changing requests: what a web page of another origin can make a browser send
without asking (a CORS "simple" request: a form, or `fetch` with `text/plain`) never changes anything here.

- A body labelled `text/plain`, `application/x-www-form-urlencoded` or `multipart/form-data` is refused (415) on
  POST, PUT, PATCH and DELETE: JSON goes as `application/json` (or the JSON family), SWE as its own types.
- A request whose `Origin` is another origin is refused (403) unless CORS lists that origin and the request is one
  a browser only sends after a successful preflight (PUT, PATCH, DELETE, or a POST with a non-simple type), so a
  credential the browser attaches by itself (HTTP Basic) cannot be used from another site.

The bridge has no cookie sessions: API keys and bearer tokens are sent by the client itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from bridge.errors import Forbidden, UnsupportedMediaType

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SIMPLE_TYPES = frozenset({"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"})


def _netloc(url: str) -> str:
    parts = urlsplit(url)
    return (parts.netloc or "").lower()


def same_origin(origin: str, headers: Mapping[str, str], base_url: str | None) -> bool:
    """Whether `Origin` names this server (its `Host`, or the host of the configured public base URL)."""
    mine = {headers.get("host", "").lower()}
    if base_url:
        mine.add(_netloc(base_url))
    return _netloc(origin) in mine - {""}


def check_request(method: str, headers: Mapping[str, str], allowed: list[str], base_url: str | None) -> None:
    """Refuse a state-changing request a foreign page could have made the browser send (415 or 403)."""
    if method not in UNSAFE_METHODS:
        return
    media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media in SIMPLE_TYPES:
        raise UnsupportedMediaType(
            f"a {media} body is refused on {method}: a browser sends it from any web site without asking; "
            "send JSON as application/json (or application/geo+json, application/sml+json…)"
        )
    origin = headers.get("origin")
    if origin is None or same_origin(origin, headers, base_url):
        return
    if origin == "null" or not ("*" in allowed or origin in allowed):
        raise Forbidden(f"a {method} from the web origin {origin[:100]} is refused (not allowed by the CORS settings)")
    if method == "POST" and not media:
        raise UnsupportedMediaType("a cross-origin POST must label its body (application/json…)")
