"""Which view renders a route's JSON: special pages by route template, then by the document's shape."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from bridge.api.html.page import Page, PageRequest
from bridge.api.html.views import audit, dynamic, features, misc, schema, streams
from bridge.model.kinds import PART1_KINDS

View = Callable[[PageRequest], Page | Awaitable[Page]]
SPECIAL: dict[str, View] = {
    "/": misc.landing,
    "/conformance": misc.conformance,
    "/collections": misc.collections,
    "/collections/{cid}": misc.collection,
    "/sources": misc.sources,
    "/sources/{name}": misc.source,
    "/audit": audit.audit,
}
ITEMS: dict[str, View] = {
    "datastreams": streams.datastream_item,
    "controlstreams": streams.controlstream_item,
    "commands": dynamic.command_item,
    "feasibility": dynamic.command_item,
    **{segment: dynamic.dynamic_item for segment in ("observations", "status", "result", "systemEvents", "events")},
}
LISTS: dict[str, View] = {
    "datastreams": streams.stream_list,
    "controlstreams": streams.stream_list,
    **{segment: dynamic.dynamic_list for segment in dynamic.LISTS},
}
PART1_SEGMENTS = {d.path for d in PART1_KINDS} | {
    "subsystems",
    "subdeployments",
    "featuresOfInterest",
    "history",
    "items",
}


def choose(req: PageRequest) -> View:
    """The view of a page."""
    doc: Any = req.doc
    segment = req.segment()
    if req.template in SPECIAL:
        return SPECIAL[req.template]
    if segment == "schema":
        return schema.schema_page
    shape = doc.get("type") if isinstance(doc, dict) else None
    if shape == "FeatureCollection":
        return features.feature_list
    if shape == "Feature":
        return features.feature_item
    if req.is_item:
        if segment in ITEMS:
            return ITEMS[segment]
        return features.sml_item if features.is_sml(doc) else misc.generic
    if segment in LISTS:
        return LISTS[segment]
    if segment in PART1_SEGMENTS and isinstance(doc, dict) and isinstance(doc.get("items"), list):
        return features.sml_list
    return misc.generic


async def build_page(req: PageRequest) -> Page:
    """Run the view of a page (views that read related documents are coroutines)."""
    result = choose(req)(req)
    if inspect.isawaitable(result):
        return await result
    return result
