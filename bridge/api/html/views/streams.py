"""Part 2 stream pages: lists of datastreams and control streams, a datastream with its observation chart,
a control stream with its command schema, its commands and their status history, and a command form."""

from __future__ import annotations

from typing import Any

from bridge.api.html.page import Cell, Page, PageRequest, Section, add_param
from bridge.api.html.views.common import compact, formats, item_title, link_of, list_title, paging, period
from bridge.api.html.views.features import link_sections
from bridge.api.html.views.schema import plottable, schema_section

COMMANDS_SHOWN = 20  # commands with their status history on a control stream page
COMMANDS_READ = 100
LIVE_NOTE = "Tick Live to add new observations to the chart as they are stored."
ACCESS_NOTE = (
    "The form posts the command to the API like any other client (POST …/commands): the server validates it "
    "again and applies the API's access rules to it — submitting commands needs a credential with the "
    "command role unless the operator opened it to anonymous clients."
)


def _properties(values: Any) -> str:
    if not isinstance(values, list):
        return ""
    names = [str(p.get("label") or p.get("definition") or "") if isinstance(p, dict) else str(p) for p in values]
    return ", ".join(n for n in names if n)


def _system(doc: dict[str, Any]) -> Cell:
    href = (doc.get("system@link") or {}).get("href")
    return Cell(str(href).rstrip("/").rsplit("/", 1)[-1] if href else "", href)


def stream_list(req: PageRequest) -> Page:
    """Datastreams or control streams: name, system, properties and time extents, keyset paging."""
    datastreams = req.segment() == "datastreams"
    rows = []
    for item in req.doc.get("items", []):
        href = link_of(item, "canonical", "self")
        props = item.get("observedProperties" if datastreams else "controlledProperties")
        times = (
            [period(item.get("phenomenonTime")), str(item.get("resultType") or "")]
            if datastreams
            else [period(item.get("issueTime")), "async" if item.get("async") else "sync"]
        )
        rows.append(
            [
                Cell(str(item.get("name") or item.get("id")), href),
                Cell(str(item.get("id", ""))),
                _system(item),
                Cell(_properties(props)),
                *[Cell(t) for t in times],
            ]
        )
    columns = ["Name", "Id", "System", "Observed properties" if datastreams else "Controlled properties"]
    columns += ["Phenomenon time", "Result type"] if datastreams else ["Issue time", "Mode"]
    page = Page("list.html", list_title(req), formats=formats(req))
    with_data = add_param(req.root + req.path, "phenomenonTime", "../now") if datastreams else None
    page.context = {
        "columns": columns,
        "rows": rows,
        "paging": paging(req),
        "counts": {"returned": len(rows)},
        "map": False,
        "filter": Cell("only datastreams with observations", with_data) if with_data else None,
    }
    return page


def _stream_props(doc: dict[str, Any]) -> list[tuple[str, Any]]:
    skip = {"links", "system@link", "formats", "observedProperties", "controlledProperties"}
    rows: list[tuple[str, Any]] = [(k, v) for k, v in doc.items() if k not in skip]
    rows.append(("system", _system(doc)))
    for key in ("observedProperties", "controlledProperties"):
        if isinstance(doc.get(key), list):
            rows.append((key, [_property(p) for p in doc[key]]))
    rows.append(("formats", doc.get("formats")))
    return rows


def _property(prop: Any) -> str:
    if not isinstance(prop, dict):
        return str(prop)
    label, definition = prop.get("label"), prop.get("definition")
    return f"{label} ({definition})" if label and definition else str(label or definition or "")


async def _feature_names(req: PageRequest, doc: dict[str, Any]) -> dict[str, str]:
    """Names of a stream's sampling features by local id (chart series are labelled with them)."""
    listing = await req.fetch(add_param(link_of(doc, "samplingFeatures") or "", "limit", "100"))
    features = listing.get("features", []) if isinstance(listing, dict) else []
    return {str(f.get("id")): str((f.get("properties") or {}).get("name") or f.get("id")) for f in features}


async def datastream_item(req: PageRequest) -> Page:
    """A datastream: its members, a chart of its observations over a chosen time range, its schema and units."""
    doc = req.doc
    schema = await req.fetch(link_of(doc, "schema") or "")
    result_schema = schema.get("resultSchema") if isinstance(schema, dict) else None
    observations = link_of(doc, "observations") or f"{req.root}/datastreams/{doc.get('id')}/observations"
    sections = [Section("Observations", "chart", note=LIVE_NOTE, id="chart")]
    sections.append(Section("Properties", "props", rows=_stream_props(doc)))
    if result_schema is not None:
        sections.append(schema_section("Result schema", result_schema))
    sections += link_sections(doc)
    extra = [Cell(f"observations as {m}", add_param(observations, "f", m), m) for m in doc.get("formats", [])]
    page = Page("item.html", item_title(req, doc.get("name")), formats=formats(req, extra))
    page.context = {"sections": sections, "description": doc.get("description")}
    page.data["chart"] = {
        "observations": observations,
        "series": plottable(result_schema),
        "extent": doc.get("phenomenonTime"),
        "name": doc.get("name"),
        "features": await _feature_names(req, doc),
    }
    page.scripts.append("chart.js")
    page.styles.append("uplot-1.6.32/uPlot.min.css")
    return page


async def _commands(req: PageRequest, url: str) -> tuple[list[dict[str, Any]], int]:
    listing = await req.fetch(add_param(url, "limit", str(COMMANDS_READ)))
    items = listing.get("items", []) if isinstance(listing, dict) else []
    newest = list(reversed(items))[:COMMANDS_SHOWN]
    shown = []
    for command in newest:
        status = await req.fetch(add_param(link_of(command, "status") or "", "limit", "100"))
        history = status.get("items", []) if isinstance(status, dict) else []
        shown.append(
            {
                "command": command,
                "href": link_of(command, "self", "canonical"),
                "history": history,
                "parameters": compact(command.get("parameters"), 300),
            }
        )
    return shown, len(items)


async def controlstream_item(req: PageRequest) -> Page:
    """A control stream: its members, command schema, a form sending a command, its commands and their history."""
    doc = req.doc
    schema = await req.fetch(link_of(doc, "schema") or "")
    params_schema = schema.get("parametersSchema") if isinstance(schema, dict) else None
    commands_url = link_of(doc, "commands") or f"{req.root}/controlstreams/{doc.get('id')}/commands"
    commands, read = await _commands(req, commands_url)
    sections = [Section("Properties", "props", rows=_stream_props(doc))]
    if params_schema is not None:
        sections.append(Section("Send a command", "command-form", note=ACCESS_NOTE, id="command-form"))
    note = f"The {min(read, COMMANDS_SHOWN)} newest of the first {read} commands." if read > COMMANDS_SHOWN else None
    sections.append(
        Section(
            "Commands", "commands", data=commands, note=note, id="commands", rows=[Cell("all commands", commands_url)]
        )
    )
    if params_schema is not None:
        sections.append(schema_section("Command schema", params_schema))
    sections += link_sections(doc)
    page = Page("item.html", item_title(req, doc.get("name")), formats=formats(req))
    page.context = {"sections": sections, "description": doc.get("description")}
    if params_schema is not None:
        page.data["form"] = {"schema": params_schema, "post": commands_url}
        page.scripts.append("command-form.js")
    return page
