"""Paging strategy for link-paged legacy APIs (SensorThings `@iot.nextLink`).

The next link is opaque: it is followed verbatim (only made absolute against the service root, and
only re-encoded when the HTTP client refuses it: raw spaces, quirk Q14). A server whose links do not
advance (same link again, `$skip` not increasing, a cycle) raises `PagingLoopError` instead of
looping forever, a hard page cap is the final guard, and items repeated across a page boundary
(a real server repeats the last item of page N as the first of page N+1) are dropped by key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import parse_qsl, quote, unquote_plus, urljoin, urlsplit

import httpx

from bridge.errors import UpstreamError

T = TypeVar("T")

DEFAULT_MAX_PAGES = 100_000
_URL_SAFE = ":/?#[]@!$&'()*+,;=%~"


class PagingLoopError(UpstreamError):
    """A server's paging links do not advance; the harvest stops instead of looping forever."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"paging does not advance at {url}: {reason}", details={"url": url, "reason": reason})
        self.url = url
        self.reason = reason


def resolve_link(root: str, link: str) -> str:
    """Make a (possibly relative) link absolute against the service root, otherwise verbatim."""
    link = link.strip()
    absolute = link if urlsplit(link).scheme else urljoin(root, link)
    try:
        httpx.URL(absolute)
    except (httpx.InvalidURL, UnicodeError):
        return quote(absolute, safe=_URL_SAFE)
    return absolute


def query_params(url: str) -> list[tuple[str, str]]:
    """Decoded top-level query parameters (`%24skip` and `$skip` read alike)."""
    return parse_qsl(urlsplit(url).query, keep_blank_values=True)


def skip_of(url: str) -> int | None:
    """The top-level `$skip` of a URL, None when absent or not an integer."""
    for key, value in query_params(url):
        if key == "$skip":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _without_skip(url: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    parts = urlsplit(url)
    rest = tuple(sorted((k, v) for k, v in query_params(url) if k != "$skip"))
    return unquote_plus(f"{parts.netloc}{parts.path}"), rest


def _canonical(url: str) -> str:
    parts = urlsplit(url)
    return unquote_plus(f"{parts.netloc}{parts.path}") + "?" + repr(sorted(query_params(url)))


@dataclass(slots=True)
class LinkPaging:
    """Follows next links with loop detection, a page cap and boundary de-duplication.

    Use one instance per listing: `start(url)`, then per page `fresh(items, key)` and
    `advance(current_url, next_link)` until it returns None.
    """

    root: str
    max_pages: int = DEFAULT_MAX_PAGES
    pages: int = 0
    _seen: set[str] = field(default_factory=set)
    _previous_keys: set[str] = field(default_factory=set)
    _current_keys: set[str] = field(default_factory=set)
    duplicates: int = 0

    def start(self, url: str) -> str:
        """Register the first request URL of the listing and return it (absolute)."""
        url = resolve_link(self.root, url)
        self._seen.add(_canonical(url))
        self.pages = 1
        return url

    def advance(self, current: str, next_link: str | None) -> str | None:
        """The URL of the next page, None when the listing is complete; raises PagingLoopError."""
        if not next_link:
            return None
        url = resolve_link(self.root, next_link)
        canonical = _canonical(url)
        if canonical in self._seen:
            raise PagingLoopError(url, "the server returned a link that was already followed")
        next_skip = skip_of(url)
        if next_skip is not None and _without_skip(url) == _without_skip(current):
            current_skip = skip_of(current) or 0
            if next_skip <= current_skip:
                raise PagingLoopError(url, f"$skip does not increase ({current_skip} -> {next_skip})")
        if self.pages >= self.max_pages:
            raise PagingLoopError(url, f"page cap of {self.max_pages} pages reached")
        self._seen.add(canonical)
        self.pages += 1
        self._previous_keys, self._current_keys = self._current_keys, set()
        return url

    def fresh(self, items: Iterable[T], key: Callable[[T], str | None]) -> list[T]:
        """Drop items already seen on this or the previous page (boundary overlap), keep order."""
        out: list[T] = []
        for item in items:
            k = key(item)
            if k is not None:
                if k in self._current_keys or k in self._previous_keys:
                    self.duplicates += 1
                    continue
                self._current_keys.add(k)
            out.append(item)
        return out
