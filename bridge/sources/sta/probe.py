"""What a SensorThings server grants and what its read shapes cost: probed once per run, before any stream is read.

- Page size: the largest `$top` up to the source's `page_size` whose answer is a correct page — no error, no more
  rows than asked, no silent end (a page without a next link must be the last: one more row is asked for past
  it, so no count of the whole collection is needed). Halved until one is (istSOS4 answers `$top=10000` with
  10,001 rows and no next link; django-ogc-sensorthings refuses a JSON `$top` above 100).
- dataArray paging: a dataArray page must carry a next link where the same JSON page does (istSOS4's never do,
  so its dataArray answers end silently after one page): otherwise dataArray is not used.
- Costs: one page of a stream's observations read plain and with `$expand=FeatureOfInterest($select=id)`, timed;
  the feature-of-interest strategy of each stream is chosen with them (see `bridge.sources.sta.streams`).

The result is the run report's `reading` member: the page sizes, the costs and the strategy of every stream.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bridge.errors import BridgeError
from bridge.sources.http import PoliteClient
from bridge.sources.sta.errors import get_json
from bridge.sources.sta.query import OBSERVATION_FIELDS, ServerQuirks

SAFE_TOP = 100  # every server grants this much
COST_ROWS = 100  # rows of the timed pages
MAX_NOTES = 20


@dataclass(slots=True)
class ReadProfile:
    """What probing found and what the reads chose (for the run report)."""

    page: dict[str, int] = field(default_factory=dict)  # result format ("json", "dataArray") → granted $top
    data_array: str = "not probed"
    costs_ms: dict[str, float] = field(default_factory=dict)  # shape → milliseconds for a page of COST_ROWS
    strategies: Counter[str] = field(default_factory=Counter)  # feature-of-interest strategy → streams
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        """Remember one finding (the first MAX_NOTES)."""
        if len(self.notes) < MAX_NOTES and text not in self.notes:
            self.notes.append(text)

    def to_json(self) -> dict[str, Any]:
        """The profile as the run report shows it."""
        return {
            "pageSize": dict(self.page),
            "dataArray": self.data_array,
            "costMsPerPage": {k: round(v, 1) for k, v in self.costs_ms.items()} | {"rows": COST_ROWS},
            "featuresOfInterest": dict(sorted(self.strategies.items())),
            "notes": list(self.notes),
        }


def _rows(doc: Any, data_array: bool) -> int | None:
    values = doc.get("value") if isinstance(doc, dict) else None
    if not isinstance(values, list):
        return None
    if not data_array:
        return len(values)
    return sum(len(v.get("dataArray") or []) for v in values if isinstance(v, dict))


def _judge(doc: Any, top: int, data_array: bool) -> tuple[str | None, int | None]:
    """(why an answer to `$top=top` is not a correct page, or None; the row count to look past when an answer
    without a next link may have stopped early)."""
    rows = _rows(doc, data_array)
    if rows is None:
        return "answered without a value array", None
    if rows > top:
        return f"answered {rows} rows", None
    return None, (rows if rows and not doc.get("@iot.nextLink") else None)


async def _try(client: PoliteClient, url: str, params: dict[str, str]) -> tuple[Any, str | None]:
    try:
        return await get_json(client, url, params, retry=False), None
    except BridgeError as exc:
        status = getattr(exc, "status_code", None)
        return None, f"refused (HTTP {status})" if status else f"failed ({exc.description[:80]})"


async def _more_after(client: PoliteClient, url: str, rows: int, params: dict[str, str]) -> bool:
    """Whether the collection holds a row after the first `rows` (asked with `$skip`: no count of a big set)."""
    doc, problem = await _try(client, url, params | {"$top": "1", "$skip": str(rows)})
    return problem is None and bool(_rows(doc, "$resultFormat" in params))


async def granted_page(client: PoliteClient, url: str, limit: int, data_array: bool, profile: ReadProfile) -> int:
    """The largest correct `$top` ≤ `limit` on the collection `url` (halving from `limit`, at least SAFE_TOP).

    Correct: no error, no more rows than asked, and no silent end — an answer without a next link must hold
    every row (checked by asking for one more row past it)."""
    top, first = max(limit, 1), ""
    label = "dataArray" if data_array else "JSON"
    shape = {"$resultFormat": "dataArray"} if data_array else {"$select": "id"}
    while True:
        doc, problem = await _try(client, url, shape | {"$top": str(top)})
        if problem is None:
            problem, last = _judge(doc, top, data_array)
            if last is not None and await _more_after(client, url, last, shape):
                problem = f"stopped after {last} rows without a next link"
        if problem is None or top <= SAFE_TOP:
            if first:
                outcome = "kept" if problem else "granted"
                profile.note(f"{label} pages: $top={limit} {first}; {top} {outcome}")
            return top
        first = first or problem
        top = max(SAFE_TOP, top // 2)


async def data_array_pages(client: PoliteClient, url: str) -> str:
    """`used` when dataArray answers page like JSON ones on `url`, else why not."""
    plain, problem = await _try(client, url, {"$top": "1", "$select": "id"})
    if problem:
        return f"not probed: JSON {problem}"
    arrays, problem = await _try(
        client, url, {"$top": "1", "$resultFormat": "dataArray", "$select": OBSERVATION_FIELDS}
    )
    values = arrays.get("value") if isinstance(arrays, dict) else None
    if not problem and isinstance(values, list) and not values:
        return "not probed: no observations"
    if problem or not isinstance(values, list) or not all(isinstance(v, dict) and "dataArray" in v for v in values):
        return f"not offered ({problem or 'answered plain entities'})"
    if plain.get("@iot.nextLink") and not arrays.get("@iot.nextLink"):
        return "not used: its pages carry no next link (a read would end after one page)"
    return "used"


async def timed(client: PoliteClient, url: str, params: dict[str, str]) -> float | None:
    """Milliseconds of one GET (None when it failed)."""
    began = time.perf_counter()
    try:
        await get_json(client, url, params, retry=False)
    except BridgeError:
        return None
    return (time.perf_counter() - began) * 1000


async def probe_pages(
    client: PoliteClient, observations_url: str, limits: dict[str, int], quirks: ServerQuirks, offered: bool | None
) -> ReadProfile:
    """Probe the server once: dataArray paging, then the page size of each usable format (into `quirks.max_top`)."""
    profile = ReadProfile()
    if offered is False:
        profile.data_array = "not offered"
        quirks.data_array = False
    else:
        profile.data_array = await data_array_pages(client, observations_url)
        unknown = profile.data_array.startswith("not probed")
        quirks.data_array = None if unknown else profile.data_array == "used"
    formats = {"json": False} | ({"dataArray": True} if quirks.data_array else {})
    for key, arrays in formats.items():
        granted = await granted_page(client, observations_url, limits[key], arrays, profile)
        profile.page[key] = quirks.max_top[key] = granted
    return profile


async def shape_costs(client: PoliteClient, stream_url: str) -> dict[str, float]:
    """Milliseconds of a page of COST_ROWS observations of a stream, plain and with the feature of interest expanded."""
    base = {"$top": str(COST_ROWS), "$select": OBSERVATION_FIELDS}
    costs = {}
    for shape, extra in (("plain", {}), ("expand", {"$expand": "FeatureOfInterest($select=id)"})):
        cost = await timed(client, stream_url, base | extra)
        if cost is not None:
            costs[shape] = cost
    return costs
