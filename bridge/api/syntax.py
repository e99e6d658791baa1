"""The exact text of each query parameter, as one regular expression per kind of value.

The parsers in `bridge.api.params` refuse any value outside these patterns before reading it, and `/api` publishes
the same patterns, so a value is accepted exactly when the API definition says it is: the only refusals of a
matching value are for what a pattern cannot state (`SEMANTIC`: a bounding box's corner order, a WKT geometry's
validity, a time interval's order, a paging token issued by this server).
"""

from __future__ import annotations

import re
from functools import cache

from bridge.model.csapi import StatusCode

_WS = r" \t\n\r\f\v"  # white space, spelled out: `\s` means more characters in some regex engines than others
LOCAL = rf"[^,:{_WS}\x00]+"  # a local id: the bridge's ids contain no colon, space or comma
UID = rf"[A-Za-z][A-Za-z0-9+.-]*:[^,{_WS}\x00]+"  # a URI (a trailing * asks for a prefix)
_NUMBER = r"-?[0-9]+(?:\.[0-9]+)?"
_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
_INSTANT = rf"{_DATE}(?:[Tt][0-9]{{2}}:[0-9]{{2}}:[0-9]{{2}}(?:\.[0-9]+)?(?:[Zz]|[+-][0-9]{{2}}:[0-9]{{2}})|Z)?"
_END = rf"(?:{_INSTANT}|\.\.|now)"
_GEOMETRY_TYPES = "POINT|LINESTRING|POLYGON|MULTIPOINT|MULTILINESTRING|MULTIPOLYGON"
STATUS_CODES = tuple(code.value for code in StatusCode)

TIME = rf"(?:{_INSTANT}|now|{_END}[/,]{_END})"
LATEST_TIME = rf"(?:{TIME}|latest)"
BBOX = rf"{_NUMBER}(?:,{_NUMBER}){{3}}(?:,{_NUMBER},{_NUMBER})?"
GEOM = rf"(?:{_GEOMETRY_TYPES})(?: Z)? ?\([^\x00]+\)"
CURSOR = r"[A-Za-z0-9_-]{0,400}"
_STATUS = "|".join("".join(f"[{c}{c.lower()}]" for c in code) for code in STATUS_CODES)  # in any case
STATUS_LIST = rf"(?:{_STATUS})(?:,(?:{_STATUS}))*"
TEXT_LIST = r"[^,\x00]+(?:,[^,\x00]+)*"  # senders, event types: compared as given
# `obsFormat` / `cmdFormat`: the stream formats by media type (or an alias), written exactly so
FORMATS = (
    "application/json",
    "application/swe+json",
    "application/swe+csv",
    "application/swe+text",
    "application/swe+binary",
    "application/vnd.ogc.swe+json",
    "application/vnd.ogc.swe+text",
    "application/vnd.ogc.swe+binary",
    "text/csv",
    "application/om+json",
    "application/cmd+json",
)
SEMANTIC = frozenset(
    {"bbox", "geom", "cursor", "datetime", "phenomenonTime", "resultTime", "executionTime", "issueTime",
     "reportTime", "validTime"}
)  # fmt: skip


@cache
def id_list(items: int) -> str:
    """Up to `items` local ids, or up to `items` UIDs, comma-separated (never both kinds: checklist D5)."""
    more = f"{{0,{items - 1}}}"
    return rf"(?:{LOCAL}(?:,{LOCAL}){more}|{UID}(?:,{UID}){more})"


@cache
def keywords(count: int) -> str:
    """Up to `count` keywords of 1 to 50 characters, the first of which is not white space."""
    word = rf"[^,{_WS}\x00][^,\x00]{{0,49}}"
    return rf"{word}(?:,{word}){{0,{count - 1}}}"


def any_case(words: list[str] | tuple[str, ...]) -> str:
    """One of `words`, in any letter case (JSON Schema patterns have no case-insensitive flag)."""

    def letters(word: str) -> str:
        return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in word)

    return "(?:" + "|".join(letters(w) for w in words) + ")"


@cache
def compiled(pattern: str) -> re.Pattern[str]:
    """A pattern compiled for whole-value matching."""
    return re.compile(pattern)


def matches(pattern: str, value: str) -> bool:
    """Whether the whole of `value` is written as `pattern` says."""
    return compiled(pattern).fullmatch(value) is not None
