"""Pieces every view uses: page titles, breadcrumbs, the navigation bar, link lists and compact values."""

from __future__ import annotations

from typing import Any

import orjson

from bridge.api.html.page import Cell, PageRequest, add_param
from bridge.model.kinds import PART1_KINDS, PART2_KINDS

# Titles of the literal path segments of the API (list pages and breadcrumbs).
SEGMENT_TITLES: dict[str, str] = {
    **{d.path: d.title for d in (*PART1_KINDS, *PART2_KINDS)},
    "subsystems": "Subsystems",
    "subdeployments": "Subdeployments",
    "featuresOfInterest": "Features of interest",
    "history": "History",
    "events": "Events",
    "systemevents": "System events",
    "status": "Status reports",
    "result": "Results",
    "feasibility": "Feasibility requests",
    "schema": "Schema",
    "collections": "Collections",
    "items": "Items",
    "conformance": "Conformance",
    "sources": "Harvest sources",
    "api": "API definition",
}
# What one item of a segment is called (item page titles).
ITEM_NAMES: dict[str, str] = {
    **{d.path: d.item for d in (*PART1_KINDS, *PART2_KINDS)},
    "subsystems": "system",
    "subdeployments": "deployment",
    "featuresOfInterest": "feature",
    "history": "past description",
    "events": "event",
    "systemevents": "system event",
    "status": "status report",
    "result": "result",
    "feasibility": "feasibility request",
    "items": "item",
    "sources": "source",
}
ASSOCIATION_RELS = {
    "subsystems",
    "samplingFeatures",
    "deployments",
    "datastreams",
    "controlstreams",
    "parentSystem",
    "procedures",
    "subdeployments",
    "parentDeployment",
    "implementingSystems",
    "system",
    "observations",
    "commands",
    "schema",
    "featuresOfInterest",
    "status",
    "result",
    "controlstream",
    "datastream",
    "collection",
    "items",
}
SKIPPED_RELS = {"self", "alternate", "canonical", "next", "prev"}


def nav(req: PageRequest) -> list[Cell]:
    """The navigation bar: every resource kind the landing page links, Part 2 lists, collections, sources, API."""
    items = [Cell(d.title, req.root + "/" + d.path) for d in PART1_KINDS if d.landing]
    items += [Cell(SEGMENT_TITLES[p], f"{req.root}/{p}") for p in ("datastreams", "controlstreams", "commands")]
    items += [Cell("Collections", req.root + "/collections"), Cell("Sources", req.root + "/sources")]
    items.append(Cell("API", req.root + "/api.html"))
    return items


def breadcrumbs(req: PageRequest) -> list[Cell]:
    """Home, then every path prefix of the request (each an API resource), the last one without a link."""
    crumbs = [Cell("Home", req.root + "/")]
    parts = [p for p in req.path.split("/") if p]
    for i, part in enumerate(parts):
        href = req.root + "/" + "/".join(parts[: i + 1])
        crumbs.append(Cell(SEGMENT_TITLES.get(part, part), href if i < len(parts) - 1 else None))
    return crumbs


def list_title(req: PageRequest) -> str:
    """`Datastreams`, or `Datastreams of systems abc` on a nested path."""
    segment = req.segment()
    title = SEGMENT_TITLES.get(segment, segment)
    parts = [p for p in req.path.split("/") if p]
    if len(parts) >= 3:
        owner = ITEM_NAMES.get(parts[-3], parts[-3])
        return f"{title} of {owner} {parts[-2]}"
    return title


def item_title(req: PageRequest, name: str | None) -> str:
    """`System "Weather station"`, or the item kind and id when it has no name."""
    kind = ITEM_NAMES.get(req.segment(), req.segment()).capitalize()
    ident = next(iter(reversed(req.params.values())), "") if req.params else ""
    return f"{kind} “{name}”" if name else f"{kind} {ident}".strip()


def compact(value: Any, limit: int = 120) -> str:
    """A value as short text: strings as they are, anything else as JSON, cut at `limit` characters."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else orjson.dumps(value).decode()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def period(value: Any) -> str:
    """A time period `[start, end]` (or an instant) as text."""
    if isinstance(value, list) and len(value) == 2:
        return f"{value[0]} → {value[1]}"
    return compact(value)


def link_of(doc: Any, *rels: str) -> str | None:
    """The href of the first link of `doc` with one of `rels`."""
    links = doc.get("links", []) if isinstance(doc, dict) else []
    for rel in rels:
        for lnk in links:
            if isinstance(lnk, dict) and lnk.get("rel") == rel and isinstance(lnk.get("href"), str):
                return str(lnk["href"])
    return None


def related_links(doc: Any) -> tuple[list[Cell], list[Cell]]:
    """(associations, other links) of a document, `ogc-rel:` duplicates of the bare relation names dropped."""
    links = doc.get("links", []) if isinstance(doc, dict) else []
    seen: set[tuple[str, str]] = set()
    assoc: list[Cell] = []
    other: list[Cell] = []
    for lnk in links:
        if not isinstance(lnk, dict) or not isinstance(lnk.get("href"), str):
            continue
        rel = str(lnk.get("rel") or "related").removeprefix("ogc-rel:")
        if rel in SKIPPED_RELS or (rel, lnk["href"]) in seen:
            continue
        seen.add((rel, lnk["href"]))
        title = str(lnk.get("title") or rel)
        cell = Cell(title, lnk["href"], rel)
        (assoc if rel in ASSOCIATION_RELS else other).append(cell)
    return assoc, other


def formats(req: PageRequest, extra: list[Cell] | None = None) -> list[Cell]:
    """Other representations of the page's resource: its default JSON, its `alternate` links, and `extra`."""
    out = [Cell("JSON", req.with_format("json"), "application/json")]
    seen = {out[0].href}
    doc_links = req.doc.get("links", []) if isinstance(req.doc, dict) else []
    for lnk in doc_links:
        if isinstance(lnk, dict) and lnk.get("rel") == "alternate" and lnk.get("href") not in seen:
            seen.add(lnk["href"])
            out.append(Cell(str(lnk.get("type") or lnk.get("title") or "alternate"), str(lnk["href"]), "alternate"))
    for cell in extra or []:
        if cell.href not in seen:
            seen.add(cell.href)
            out.append(cell)
    return out


def paging(req: PageRequest) -> dict[str, str | None]:
    """`next` / `prev` page links of a listing (from its links; SWE pages carry none in JSON)."""
    return {"next": link_of(req.doc, "next"), "prev": link_of(req.doc, "prev"), "first": _first(req)}


def _first(req: PageRequest) -> str | None:
    if not any(k == "cursor" for k, _ in req.query):
        return None
    query = [(k, v) for k, v in req.query if k != "cursor"]
    url = req.root + req.path
    for key, value in query:
        url = add_param(url, key, value)
    return url
