"""Reading pages in tests: the HTML of a GET as a browser asks for it, its links, scripts and page data."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import httpx

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
ROOT = "http://testserver"


@dataclass
class Parsed:
    """What a page holds: links (text, href), asset URLs, headings, table rows, the page data and the text."""

    links: list[tuple[str, str]] = field(default_factory=list)
    assets: list[str] = field(default_factory=list)
    h1: list[str] = field(default_factory=list)
    rows: int = 0
    data: Any = None
    text: str = ""

    def hrefs(self, text: str) -> list[str]:
        """The targets of the links whose text contains `text`."""
        return [href for label, href in self.links if text in label]


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.out = Parsed()
        self._anchor: str | None = None
        self._label = ""
        self._tag = ""
        self._data_block = False
        self._data = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self._tag = tag
        if tag == "a" and a.get("href"):
            self._anchor, self._label = a["href"], ""
        if tag == "script" and a.get("src"):
            self.out.assets.append(str(a["src"]))
        if tag == "link" and a.get("href"):
            self.out.assets.append(str(a["href"]))
        if tag == "img" and a.get("src"):
            self.out.assets.append(str(a["src"]))
        if tag == "tr":
            self.out.rows += 1
        self._data_block = tag == "script" and a.get("id") == "page-data"

    def handle_endtag(self, tag: str) -> None:
        if tag == self._tag:
            self._tag = ""
        if tag == "a" and self._anchor is not None:
            self.out.links.append((self._label.strip(), self._anchor))
            self._anchor = None
        if tag == "script" and self._data_block:
            self.out.data = json.loads(self._data)
            self._data_block = False

    def handle_data(self, data: str) -> None:
        if self._anchor is not None:
            self._label += data
        if self._data_block:
            self._data += data
            return
        if self._tag == "h1" and data.strip():
            self.out.h1.append(data.strip())
        self.out.text += data


def parse(html: str) -> Parsed:
    """The links, assets, headings, rows and page data of a page."""
    reader = _Reader()
    reader.feed(html)
    return reader.out


async def page(client: httpx.AsyncClient, url: str, status: int = 200, **params: str) -> Parsed:
    """GET `url` as a browser does; checks the status and that the answer is an HTML page."""
    r = await client.get(url, params=params or None, headers={"Accept": BROWSER_ACCEPT})
    assert r.status_code == status, f"{url}: {r.status_code} {r.text[:500]}"
    assert r.headers["content-type"] == "text/html; charset=utf-8", url
    assert "accept" in r.headers.get("vary", "").lower()
    assert "default-src 'self'" in r.headers["content-security-policy"]
    return parse(r.text)
