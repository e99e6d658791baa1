"""The landing page, `/conformance`, collections, harvest sources with their runs, and any other document."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from bridge.api.html.page import Cell, Page, PageRequest, Section, add_param
from bridge.api.html.views.common import SEGMENT_TITLES, compact, formats, item_title, link_of, list_title, paging
from bridge.api.html.views.features import link_sections

API_RELS = ("service-desc", "service-doc", "conformance", "data")
FOLD_ABOVE = 20  # rows of a table shown folded above this


def _origins(req: PageRequest, sources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Harvest sources (with what the app knows of them: a replay's recordings) then the other origins."""
    known = [dict(o) for o in getattr(req.state, "content_origins", None) or [] if isinstance(o, dict)]
    by_source = {o["source"]: o for o in known if o.get("source")}
    out = []
    for source in sources:
        run = source.get("lastRun") or {}
        extra = by_source.get(source["name"], {})
        kind = str(source.get("type") or "").upper()
        out.append(
            {
                "title": extra.get("title") or source["name"],
                "kind": f"{kind} harvest source “{source['name']}”".strip(),
                "href": link_of(source, "self"),
                "description": source.get("description") or extra.get("description") or source.get("url") or "",
                "status": run.get("status"),
                "observations": run.get("observations"),
                "recordings": extra.get("recordings", []),
            }
        )
    listed = {source["name"] for source in sources}
    for origin in known:  # the sources the client may not list (`/sources` needs the admin role) keep their story
        if origin.get("source") not in listed:
            href = origin.get("href")
            out.append({**origin, "href": req.root + href if isinstance(href, str) and href.startswith("/") else href})
    return out


async def landing(req: PageRequest) -> Page:
    """`/`: what this server holds and where each part came from, where to start, the API's documents."""
    doc = req.doc
    links = [lnk for lnk in doc.get("links", []) if isinstance(lnk, dict)]
    resources = [
        Cell(str(lnk.get("title") or lnk["rel"]), lnk["href"])
        for lnk in links
        if lnk.get("rel") not in ("self", *API_RELS)
    ]
    api = [Cell(str(lnk.get("title") or lnk["rel"]), lnk["href"]) for lnk in links if lnk.get("rel") in API_RELS]
    listing = await req.fetch(req.root + "/sources")
    sources = listing.get("sources", []) if isinstance(listing, dict) else []
    start = [
        Cell("Datastreams with observations (each page plots them)", f"{req.root}/datastreams?phenomenonTime=../now"),
        Cell("Control streams (send a command from their page)", f"{req.root}/controlstreams"),
        Cell("Harvest sources and their runs", f"{req.root}/sources"),
        Cell("Collections", f"{req.root}/collections"),
    ]
    page = Page("landing.html", str(doc.get("title") or "csapi-bridge"), formats=formats(req))
    page.context = {
        "description": doc.get("description"),
        "resources": resources,
        "api": api,
        "start": start,
        "origins": _origins(req, sources),
    }
    return page


def conformance(req: PageRequest) -> Page:
    """`/conformance`: the declared conformance classes."""
    classes = [str(c) for c in req.doc.get("conformsTo", [])]
    rows = [[Cell(c, c)] for c in classes]
    page = Page("list.html", "Conformance classes", formats=formats(req))
    page.context = {
        "columns": ["Conformance class"],
        "rows": rows,
        "paging": {},
        "map": False,
        "counts": {"returned": len(rows)},
    }
    return page


def _items_links(coll: dict[str, Any]) -> list[Cell]:
    return [
        Cell(str(lnk.get("type") or "items"), lnk["href"])
        for lnk in coll.get("links", [])
        if isinstance(lnk, dict) and lnk.get("rel") == "items"
    ]


def collections(req: PageRequest) -> Page:
    """`/collections`: id, title, item type and the items links of each collection."""
    rows = []
    for coll in req.doc.get("collections", []):
        href = link_of(coll, "self")
        items = _items_links(coll)
        rows.append(
            [
                Cell(str(coll.get("title") or coll.get("id")), href),
                Cell(str(coll.get("id", ""))),
                Cell(str(coll.get("itemType", ""))),
                Cell(str(coll.get("featureType") or "")),
                Cell("items", items[0].href if items else None),
            ]
        )
    page = Page("list.html", "Collections", formats=formats(req))
    page.context = {
        "columns": ["Title", "Id", "Item type", "Feature type", "Items"],
        "rows": rows,
        "paging": {},
        "counts": {"returned": len(rows)},
        "map": False,
    }
    return page


def collection(req: PageRequest) -> Page:
    """`/collections/{cid}`: the collection's metadata and its items in each format."""
    doc = req.doc
    rows = [(k, v) for k, v in doc.items() if k != "links"]
    sections = [Section("Collection", "props", rows=rows), Section("Items", "links", rows=_items_links(doc))]
    page = Page("item.html", f"Collection “{doc.get('title') or doc.get('id')}”", formats=formats(req))
    page.context = {"sections": sections, "description": doc.get("description")}
    return page


def _run_cells(run: dict[str, Any]) -> list[Cell]:
    status = str(run.get("status", ""))
    errors = run.get("errors") or []
    return [
        Cell(str(run.get("id", ""))),
        Cell(status, None, f"status status-{status}"),
        Cell(str(run.get("started", ""))),
        Cell(str(run.get("ended") or "")),
        Cell(f"{run.get('durationSeconds', 0)} s"),
        Cell(compact(run.get("entities") or {}, 300)),
        Cell(str(run.get("observations", 0))),
        Cell(str(run.get("duplicatesDropped", 0))),
        Cell(str(run.get("requests", 0))),
        Cell(str(run.get("bytes", 0))),
        Cell(str(len(errors))),
    ]


def _entities(counts: Any) -> str:
    """`{"Datastream": {"created": 3}}` as `Datastream: 3 created`."""
    if not isinstance(counts, dict):
        return compact(counts)
    parts = []
    for entity, outcomes in counts.items():
        done = ", ".join(f"{n} {o}" for o, n in outcomes.items()) if isinstance(outcomes, dict) else str(outcomes)
        parts.append(f"{entity}: {done}")
    return "; ".join(parts)


RUN_COLUMNS = [
    "Run",
    "Status",
    "Started",
    "Ended",
    "Duration",
    "Entities",
    "Observations",
    "Duplicates dropped",
    "Requests",
    "Bytes",
    "Errors",
]


def sources(req: PageRequest) -> Page:
    """`/sources`: every harvest source with its type, URL and latest run."""
    rows = []
    for source in req.doc.get("sources", []):
        run = source.get("lastRun") or {}
        status = str(run.get("status") or "never harvested")
        rows.append(
            [
                Cell(str(source["name"]), link_of(source, "self")),
                Cell(str(source.get("type") or "")),
                Cell(str(source.get("url") or "")),
                Cell(str(source.get("description") or "")),
                Cell(status, None, f"status status-{status}"),
                Cell(str(run.get("started") or "")),
                Cell(str(len(run.get("errors") or []))),
            ]
        )
    page = Page("list.html", "Harvest sources", formats=formats(req))
    page.context = {
        "columns": ["Source", "Type", "URL", "Description", "Last run", "Started", "Errors"],
        "rows": rows,
        "paging": {},
        "counts": {"returned": len(rows)},
        "map": False,
    }
    return page


def source(req: PageRequest) -> Page:
    """`/sources/{name}`: the source, its runs (status, counts, errors, duration) and stream cursors."""
    doc = req.doc
    props = [(k, doc[k]) for k in ("name", "type", "url", "schedule", "configured") if k in doc]
    runs = doc.get("runs", [])
    sections = [
        Section("Source", "props", rows=props),
        Section(
            "Runs",
            "table",
            columns=RUN_COLUMNS,
            rows=[_run_cells(r) for r in runs],
            note="Newest first; add ?limit=N for more.",
        ),
    ]
    errors = [(str(r.get("id")), str(e)) for r in runs for e in (r.get("errors") or [])]
    if errors:
        sections.append(
            Section(
                "Errors reported by the runs",
                "table",
                columns=["Run", "Error"],
                rows=[[Cell(run), Cell(text)] for run, text in errors],
            )
        )
    cursors = [
        [Cell(unquote(str(c.get("stream", "")))), Cell(str(c.get("position", "")))] for c in doc.get("cursors", [])
    ]
    sections.append(
        Section(
            "Cursors",
            "table",
            columns=["Stream", "Harvested up to"],
            rows=cursors,
            note="The next run reads each stream from its cursor (minus the source's lag).",
            folded=len(cursors) > FOLD_ABOVE,
        )
    )
    page = Page("item.html", f"Source “{doc.get('name')}”", formats=formats(req))
    page.context = {"sections": sections, "description": doc.get("description")}
    return page


def generic(req: PageRequest) -> Page:
    """Any other JSON document: a list page for `items`, else its members."""
    doc = req.doc
    if isinstance(doc, dict) and isinstance(doc.get("items"), list):
        rows = [
            [Cell(compact(item, 200), link_of(item, "self", "canonical") if isinstance(item, dict) else None)]
            for item in doc["items"]
        ]
        page = Page("list.html", list_title(req), formats=formats(req))
        page.context = {
            "columns": [SEGMENT_TITLES.get(req.segment(), "Item")],
            "rows": rows,
            "paging": paging(req),
            "counts": {"returned": len(rows)},
            "map": False,
        }
        return page
    members = [(k, v) for k, v in doc.items() if k != "links"] if isinstance(doc, dict) else [("value", doc)]
    page = Page("item.html", item_title(req, None) if req.is_item else list_title(req), formats=formats(req))
    page.context = {"sections": [Section("Members", "props", rows=members), *link_sections(doc)]}
    return page


def with_limit(url: str, limit: int) -> str:
    """`url` asking for `limit` items."""
    return add_param(url, "limit", str(limit))
