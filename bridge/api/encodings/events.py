"""System events as SensorML `Event` JSON (`systemEvent.json`): name→label, type→definition, eventTime→time."""

from __future__ import annotations

from typing import Any

from bridge.api.encodings.common import decode_period
from bridge.api.links import LinkContext, link
from bridge.api.media import JSON
from bridge.errors import InvalidBody
from bridge.model.csapi import JsonDict, SystemEvent, TimeExtent
from bridge.model.time import format_datetime, parse_datetime

_CORE = {"id", "label", "definition", "time", "description", "links", "system@link", "system@id"}


def encode_event(event: SystemEvent, ctx: LinkContext, canonical_view: bool) -> JsonDict:
    """`systemEvent.json` of an event: a time instant or a [start, end] pair, extra members kept, self/system links."""
    start, end = event.time.start, event.time.end
    assert start is not None
    time: Any = (
        format_datetime(start) if end is None or end == start else [format_datetime(start), format_datetime(end)]
    )
    body: JsonDict = {"id": event.id, "label": event.label, "definition": event.definition, "time": time}
    if event.description:
        body["description"] = event.description
    body.update({k: v for k, v in event.extra.items() if k not in body})
    href = ctx.href(f"/systemEvents/{event.id}")
    body["links"] = [
        link(href, "self" if canonical_view else "canonical", JSON, "this event"),
        link(ctx.href(f"/systems/{event.system_id}"), "system", "application/geo+json", "the system"),
    ]
    return body


def decode_event(body: Any, system_id: str) -> SystemEvent:
    """A system event from a POST/PUT body (label, definition and time required, as in SensorML Event)."""
    if not isinstance(body, dict):
        raise InvalidBody("a system event is a JSON object")
    for key in ("label", "definition", "time"):
        if body.get(key) in (None, ""):
            raise InvalidBody(f"$.{key} is required")
    raw = body["time"]
    if isinstance(raw, list):
        period = decode_period(raw, "$.time")
        assert period is not None
        time = TimeExtent(period.start, period.end or period.start)
    else:
        try:
            instant = parse_datetime(str(raw))
        except ValueError as exc:
            raise InvalidBody(f"$.time: {exc}") from None
        time = TimeExtent(instant, instant)
    return SystemEvent(
        system_id=system_id,
        label=str(body["label"]),
        definition=str(body["definition"]),
        time=time,
        description=body.get("description"),
        extra={k: v for k, v in body.items() if k not in _CORE},
    )
