"""What a view gets (`PageRequest`) and gives back (`Page`): the JSON behind a page, and what to show of it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bridge.settings import Settings

Fetch = Callable[[str], Awaitable[Any]]


@dataclass(slots=True)
class Cell:
    """One table cell: text, optionally a link, a CSS class (e.g. a status badge) or preformatted."""

    text: str
    href: str | None = None
    cls: str | None = None


@dataclass(slots=True)
class Section:
    """A block of an item page: `props` (rows of name/value cells), `table`, `links`, `json` or a partial."""

    title: str
    kind: str
    rows: list[Any] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    data: Any = None  # for `json` sections and partials (schema trees, charts, forms)
    note: str | None = None
    id: str | None = None
    folded: bool = False  # shown folded (long tables)


@dataclass(slots=True)
class PageRequest:
    """The request behind a page: the route that answered, its JSON document, and how to read related ones."""

    template: str  # path template of the route, e.g. "/systems/{id}"
    params: dict[str, str]  # its path parameters
    doc: Any  # the JSON the route answered with
    root: str  # public API root (no trailing slash)
    path: str  # request path under the root
    query: list[tuple[str, str]]  # query parameters, `f=html` removed
    explicit: bool  # `f=html` was asked for (links then keep it)
    settings: Settings
    fetch: Fetch  # GET a link (absolute under the root, or a path) as JSON; None unless 200
    state: Any = None  # the app's state (demo content origins)

    @property
    def url(self) -> str:
        """Absolute URL of the JSON resource behind the page."""
        return self.root + self.path + (f"?{urlencode(self.query)}" if self.query else "")

    def with_format(self, f: str) -> str:
        """The resource's URL in another format (`f=`)."""
        return add_param(self.url, "f", f)

    def segment(self) -> str:
        """The last literal segment of the route template (`datastreams` of `/systems/{systemId}/datastreams`)."""
        literals = [s for s in self.template.split("/") if s and not s.startswith("{")]
        return literals[-1] if literals else ""

    @property
    def is_item(self) -> bool:
        """The route names one resource (its template ends with a path parameter)."""
        return self.template.rstrip("/").endswith("}")


@dataclass(slots=True)
class Page:
    """What the templates render: a template name and its context."""

    template: str
    title: str
    context: dict[str, Any] = field(default_factory=dict)
    formats: list[Cell] = field(default_factory=list)  # other representations of the resource
    scripts: list[str] = field(default_factory=list)  # page scripts under static/js (besides page.js)
    styles: list[str] = field(default_factory=list)  # vendored style sheets under static/vendor
    data: dict[str, Any] = field(default_factory=dict)  # JSON handed to the page scripts


def add_param(url: str, name: str, value: str) -> str:
    """`url` with query parameter `name` set to `value` (replacing it)."""
    parts = urlsplit(url)
    pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    pairs.append((name, value))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(pairs), parts.fragment))
