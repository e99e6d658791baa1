"""When a request gets HTML: `f=html`, or an Accept header preferring HTML; nothing else changes for JSON clients."""

from __future__ import annotations

import pytest

from bridge.api.html.negotiation import html_query, wants_html

CHROME = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(
    ("query", "accept", "html"),
    [
        ([], CHROME, True),
        ([], FIREFOX, True),
        ([], "application/xhtml+xml", True),
        ([], "", False),  # no Accept: JSON, as before
        ([], "*/*", False),  # curl, httpx, requests
        ([], "application/json", False),
        ([], "application/geo+json, text/html", False),  # the first listed wins ties
        ([], "text/html;q=0.5, application/json", False),  # quality decides
        ([], "application/json;q=0.2, text/html", True),
        ([], "text/html;q=0, */*", False),  # q=0 means "not this"
        ([("f", "html")], "", True),
        ([("f", "HTML")], "application/json", True),  # f beats Accept
        ([("f", "json")], CHROME, False),
        ([("f", "geojson")], CHROME, False),
        ([("f", "text/html")], "*/*", True),
    ],
)
def test_wants_html(query: list[tuple[str, str]], accept: str, html: bool) -> None:
    assert wants_html(query, accept) is html


def test_the_json_request_behind_a_page_drops_only_f_html() -> None:
    assert html_query(b"limit=2&f=html&bbox=1%2C2%2C3%2C4") == (b"limit=2&bbox=1%2C2%2C3%2C4", True)
    assert html_query(b"limit=2") == (b"limit=2", False)
    assert html_query(b"f=sml") == (b"f=sml", False)
