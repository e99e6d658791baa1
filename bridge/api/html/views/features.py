"""Part 1 pages: feature lists (a map and a table), single resources in GeoJSON or SensorML-JSON."""

from __future__ import annotations

from typing import Any

from bridge.api.html.page import Cell, Page, PageRequest, Section
from bridge.api.html.views.common import (
    compact,
    formats,
    item_title,
    link_of,
    list_title,
    paging,
    period,
    related_links,
)

SML_TYPES = {"PhysicalSystem", "PhysicalComponent", "SimpleProcess", "AggregateProcess", "Deployment"}
SML_SCALARS = (
    "id",
    "type",
    "uniqueId",
    "label",
    "description",
    "definition",
    "baseProperty",
    "objectType",
    "featureType",
    "validTime",
    "lang",
    "assetType",
)


def short(uri: Any) -> str:
    """The last segment of a URI (`sosa:Sensor` stays as it is)."""
    text = str(uri or "")
    return text.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1] if "://" in text else text


def geometry_feature(geometry: Any, name: str, href: str | None) -> dict[str, Any] | None:
    """A GeoJSON feature for the page map (None without a usable geometry)."""
    if not isinstance(geometry, dict) or "type" not in geometry:
        return None
    return {"type": "Feature", "geometry": geometry, "properties": {"name": name, "href": href}}


def _map_page(page: Page, features: list[dict[str, Any]]) -> None:
    if features:
        page.data["features"] = {"type": "FeatureCollection", "features": features}
        page.scripts.append("map.js")
        page.styles.append("leaflet-1.9.4/leaflet.css")


def feature_list(req: PageRequest) -> Page:
    """A GeoJSON FeatureCollection: map of the geometries, table of the features, keyset paging links."""
    doc = req.doc
    rels = ("self", "canonical") if req.segment() == "history" else ("canonical", "self")
    rows: list[list[Cell]] = []
    shapes: list[dict[str, Any]] = []
    for feature in doc.get("features", []):
        props = feature.get("properties") or {}
        href = link_of(feature, *rels)
        name = str(props.get("name") or feature.get("id"))
        rows.append(
            [
                Cell(name, href),
                Cell(str(feature.get("id", ""))),
                Cell(short(props.get("featureType"))),
                Cell(period(props.get("validTime"))),
                Cell(str(props.get("uid") or "")),
            ]
        )
        shape = geometry_feature(feature.get("geometry"), name, href)
        if shape is not None:
            shapes.append(shape)
    counts = {"returned": doc.get("numberReturned", len(rows)), "matched": doc.get("numberMatched")}
    page = Page("list.html", list_title(req), formats=formats(req))
    page.context = {
        "columns": ["Name", "Id", "Type", "Valid time", "UID"],
        "rows": rows,
        "paging": paging(req),
        "counts": counts,
        "map": bool(shapes),
    }
    _map_page(page, shapes)
    return page


def sml_list(req: PageRequest) -> Page:
    """A page of SensorML-JSON resources (`items`): label, id, type or definition, unique id."""
    rows = []
    for item in req.doc.get("items", []):
        href = link_of(item, "canonical", "self")
        name = str(item.get("label") or item.get("name") or item.get("id"))
        kind = item.get("definition") or item.get("type") or item.get("featureType")
        rows.append(
            [Cell(name, href), Cell(str(item.get("id", ""))), Cell(short(kind)), Cell(str(item.get("uniqueId") or ""))]
        )
    page = Page("list.html", list_title(req), formats=formats(req))
    page.context = {
        "columns": ["Name", "Id", "Type or definition", "Unique id"],
        "rows": rows,
        "paging": paging(req),
        "counts": {"returned": len(rows)},
        "map": False,
    }
    return page


def link_sections(doc: Any) -> list[Section]:
    """The associations of a document, and its other links (e.g. `via`, the legacy entity)."""
    assoc, other = related_links(doc)
    sections = []
    if assoc:
        sections.append(Section("Associations", "links", rows=assoc))
    if other:
        sections.append(Section("Other links", "links", rows=other, note="Provenance (`via`: the legacy entity)"))
    return sections


def feature_item(req: PageRequest) -> Page:
    """A GeoJSON feature: its properties, a map of its geometry, its associations and other representations."""
    doc = req.doc
    props = dict(doc.get("properties") or {})
    name = str(props.get("name") or doc.get("id") or "")
    rows = [(key, value) for key, value in props.items()]
    sections = [Section("Properties", "props", rows=[("id", doc.get("id")), *rows])]
    shape = geometry_feature(doc.get("geometry"), name, None)
    if shape is not None:
        sections.append(Section("Location", "map", data=doc.get("geometry")))
    else:
        sections.append(Section("Location", "text", note="This resource has no geometry."))
    sections += link_sections(doc)
    page = Page("item.html", item_title(req, name), formats=formats(req))
    page.context = {"sections": sections, "description": props.get("description")}
    _map_page(page, [shape] if shape else [])
    return page


def sml_item(req: PageRequest) -> Page:
    """A SensorML-JSON resource: its scalar members, each structured member as a block, links, position map."""
    doc = req.doc
    name = str(doc.get("label") or doc.get("name") or doc.get("id") or "")
    scalars = [(k, doc[k]) for k in SML_SCALARS if k in doc]
    sections = [Section("Description", "props", rows=scalars)]
    for key, value in doc.items():
        if key in SML_SCALARS or key == "links" or value in (None, [], {}):
            continue
        sections.append(Section(key, "json", data=value))
    shape = geometry_feature(doc.get("position"), name, None)
    if shape is not None:
        sections.insert(1, Section("Location", "map", data=doc["position"]))
    sections += link_sections(doc)
    page = Page("item.html", item_title(req, name), formats=formats(req))
    page.context = {"sections": sections, "description": doc.get("description")}
    _map_page(page, [shape] if shape else [])
    return page


def is_sml(doc: Any) -> bool:
    """Whether a document is a SensorML-JSON resource (as opposed to GeoJSON or a Part 2 resource)."""
    return isinstance(doc, dict) and (doc.get("type") in SML_TYPES or "definition" in doc or "uniqueId" in doc)


__all__ = ["compact", "feature_item", "feature_list", "is_sml", "sml_item", "sml_list"]
