"""SWE Common schemas on pages: a table of every component (name, type, unit, constraint), and the numeric
members of a result that a chart can plot."""

from __future__ import annotations

from typing import Any

from bridge.api.html.page import Cell, Page, PageRequest, Section
from bridge.api.html.views.common import compact, formats, list_title

CHILDREN = ("fields", "coordinates", "items")  # members of records, vectors and choices
NUMERIC = ("Quantity", "Count")


def uom(component: dict[str, Any]) -> str:
    """The unit of a component: its UCUM code, else the last segment of its href."""
    unit = component.get("uom")
    if not isinstance(unit, dict):
        return ""
    code = unit.get("code") or unit.get("symbol")
    if code:
        return str(code)
    href = str(unit.get("href") or "")
    return href.rstrip("/").rsplit("/", 1)[-1] if href else ""


def constraint(component: dict[str, Any]) -> str:
    """A constraint in a few words: intervals, allowed values or tokens, pattern."""
    found = component.get("constraint")
    if not isinstance(found, dict):
        return ""
    parts = [" … ".join(str(x) for x in i) for i in found.get("intervals", []) if isinstance(i, list)]
    parts += [str(v) for v in found.get("values", [])]
    if found.get("pattern"):
        parts.append(f"pattern {found['pattern']}")
    return ", ".join(parts)


def components(component: Any, path: str = "", depth: int = 0) -> list[dict[str, Any]]:
    """Every component of a schema, depth first, each with its dotted path, depth, type, unit and constraint."""
    if not isinstance(component, dict):
        return []
    name = str(component.get("name") or "")
    here = f"{path}.{name}" if path and name else (name or path)
    row = {
        "path": here,
        "depth": depth,
        "name": name or "(result)",
        "label": str(component.get("label") or ""),
        "type": str(component.get("type") or ""),
        "uom": uom(component),
        "constraint": constraint(component),
        "definition": str(component.get("definition") or ""),
        "optional": bool(component.get("optional")),
    }
    out = [row]
    for key in CHILDREN:
        for child in component.get(key, []) or []:
            out += components(child, here, depth + 1)
    if isinstance(component.get("elementType"), dict):
        out += components(component["elementType"], here + "[]", depth + 1)
    return out


def plottable(result_schema: Any) -> list[dict[str, str]]:
    """Numeric members of a result, reachable through records and vectors only: their path, label and unit.

    The path is relative to the result (`""` when the result itself is a number).
    """
    out: list[dict[str, str]] = []

    def walk(component: Any, path: str) -> None:
        if not isinstance(component, dict):
            return
        kind = component.get("type")
        if kind in NUMERIC:
            label = str(component.get("label") or component.get("name") or "result")
            out.append({"path": path, "label": label, "uom": uom(component)})
        elif kind in ("DataRecord", "Vector"):
            for child in component.get("fields" if kind == "DataRecord" else "coordinates", []) or []:
                name = str(child.get("name") or "") if isinstance(child, dict) else ""
                walk(child, f"{path}.{name}" if path else name)

    walk(result_schema, "")
    return out


def schema_section(title: str, schema: Any) -> Section:
    """The table of a schema's components (a `schema` section of an item page)."""
    return Section(title, "schema", data=components(schema))


def schema_page(req: PageRequest) -> Page:
    """`/datastreams/{id}/schema`, `/controlstreams/{id}/schema`: the schema's components, then its JSON."""
    doc = req.doc if isinstance(req.doc, dict) else {}
    sections: list[Section] = []
    props = [(k, v) for k, v in doc.items() if isinstance(v, str)]
    if props:
        sections.append(Section("Format", "props", rows=props))
    for key in ("resultSchema", "parametersSchema", "recordSchema"):
        if isinstance(doc.get(key), dict):
            sections.append(schema_section(key, doc[key]))
    if isinstance(doc.get("encoding"), dict):
        sections.append(Section("encoding", "props", rows=[(k, compact(v)) for k, v in doc["encoding"].items()]))
    sections.append(Section("JSON", "json", data=doc))
    owner = req.root + req.path.rsplit("/", 1)[0]
    page = Page("item.html", list_title(req), formats=formats(req))
    page.context = {"sections": sections, "back": Cell("the stream", owner)}
    return page
