"""Part 2 pages of dynamic data: observations, commands and feasibility requests with their status reports and
results, system events; a list page each, and an item page (a command shows its status history)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bridge.api.html.page import Cell, Page, PageRequest, Section, add_param
from bridge.api.html.views.common import compact, formats, item_title, link_of, list_title, paging, period
from bridge.api.html.views.features import link_sections

Row = Callable[[dict[str, Any], str | None], list[Cell]]


def _observation(item: dict[str, Any], href: str | None) -> list[Cell]:
    return [
        Cell(str(item.get("phenomenonTime", "")), href),
        Cell(str(item.get("resultTime", ""))),
        Cell(compact(item.get("result", item.get("result@link")))),
        Cell(str(item.get("samplingFeature@id", ""))),
        Cell(str(item.get("datastream@id", ""))),
    ]


def _command(item: dict[str, Any], href: str | None) -> list[Cell]:
    status = str(item.get("currentStatus", ""))
    return [
        Cell(str(item.get("id", "")), href),
        Cell(str(item.get("issueTime") or "")),
        Cell(status, None, f"status status-{status.lower()}"),
        Cell(compact(item.get("parameters"))),
        Cell(str(item.get("sender") or "")),
    ]


def _status(item: dict[str, Any], href: str | None) -> list[Cell]:
    code = str(item.get("statusCode", ""))
    done = item.get("percentCompletion")
    return [
        Cell(str(item.get("reportTime", "")), href),
        Cell(code, None, f"status status-{code.lower()}"),
        Cell("" if done is None else f"{done} %"),
        Cell(period(item.get("executionTime"))),
        Cell(str(item.get("message") or "")),
    ]


def _result(item: dict[str, Any], href: str | None) -> list[Cell]:
    target = next((v for k, v in item.items() if k.endswith("@link") and isinstance(v, dict)), None)
    value = (
        Cell(str(target.get("title") or target.get("href")), target.get("href"))
        if target
        else Cell(compact(item.get("data")))
    )
    return [Cell(str(item.get("id", "")), href), value]


def _event(item: dict[str, Any], href: str | None) -> list[Cell]:
    return [
        Cell(str(item.get("label") or item.get("id")), href),
        Cell(period(item.get("time"))),
        Cell(str(item.get("definition") or item.get("eventType") or "")),
        Cell(compact(item.get("description"))),
    ]


LISTS: dict[str, tuple[list[str], Row]] = {
    "observations": (["Phenomenon time", "Result time", "Result", "Sampling feature", "Datastream"], _observation),
    "commands": (["Id", "Issue time", "Status", "Parameters", "Sender"], _command),
    "feasibility": (["Id", "Issue time", "Status", "Parameters", "Sender"], _command),
    "status": (["Report time", "Status", "Done", "Execution time", "Message"], _status),
    "result": (["Id", "Result"], _result),
    "systemEvents": (["Label", "Time", "Event type", "Description"], _event),
    "systemevents": (["Label", "Time", "Event type", "Description"], _event),
    "events": (["Label", "Time", "Event type", "Description"], _event),
}


def _item_href(req: PageRequest, item: dict[str, Any]) -> str | None:
    found = link_of(item, "self", "canonical")
    if found is None and item.get("id") is not None:
        found = f"{req.root}{req.path}/{item['id']}"
    return found


def dynamic_list(req: PageRequest) -> Page:
    """A page of observations, commands, status reports, results or events, with keyset paging."""
    columns, row = LISTS[req.segment()]
    rows = [row(item, _item_href(req, item)) for item in req.doc.get("items", []) if isinstance(item, dict)]
    page = Page("list.html", list_title(req), formats=formats(req))
    chart = None
    if req.template == "/datastreams/{dataStreamId}/observations":
        owner = f"{req.root}/datastreams/{req.params.get('dataStreamId', '')}"
        chart = Cell("them on a chart (the datastream's page)", owner)
    page.context = {
        "columns": columns,
        "rows": rows,
        "paging": paging(req),
        "counts": {"returned": len(rows)},
        "map": False,
        "filter": chart,
    }
    return page


def _members(doc: dict[str, Any]) -> list[tuple[str, Any]]:
    return [(k, v) for k, v in doc.items() if k != "links"]


async def command_item(req: PageRequest) -> Page:
    """A command (or feasibility request): its members, parameters, status history and results."""
    doc = req.doc
    sections = [Section("Command", "props", rows=[(k, v) for k, v in _members(doc) if k != "parameters"])]
    sections.append(Section("Parameters", "json", data=doc.get("parameters")))
    status = await req.fetch(add_param(link_of(doc, "status") or "", "limit", "1000"))
    history = status.get("items", []) if isinstance(status, dict) else []
    columns, row = LISTS["status"]
    sections.append(
        Section("Status history", "table", columns=columns, rows=[row(s, link_of(s, "self")) for s in history])
    )
    results = await req.fetch(add_param(link_of(doc, "result") or "", "limit", "100"))
    found = results.get("items", []) if isinstance(results, dict) else []
    if found:
        columns, row = LISTS["result"]
        sections.append(Section("Results", "table", columns=columns, rows=[row(r, link_of(r, "self")) for r in found]))
    sections += link_sections(doc)
    page = Page("item.html", item_title(req, None), formats=formats(req))
    page.context = {"sections": sections}
    return page


def dynamic_item(req: PageRequest) -> Page:
    """An observation, status report, result or system event: its members and links."""
    doc = req.doc if isinstance(req.doc, dict) else {}
    sections = [Section("Members", "props", rows=_members(doc)), *link_sections(doc)]
    page = Page(
        "item.html",
        item_title(req, doc.get("label") if isinstance(doc.get("label"), str) else None),
        formats=formats(req),
    )
    page.context = {"sections": sections, "description": doc.get("description")}
    return page
