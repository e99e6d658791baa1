"""Observation parsing: plain JSON entities and the dataArray result format (`$resultFormat=dataArray`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bridge.errors import UpstreamError
from bridge.model.legacy.sta import JsonObject, Observation
from bridge.sources.sta.parse import (
    expanded_id,
    id_string,
    nav_links,
    obj,
    parse_result,
    text,
)
from bridge.sources.sta.times import parse_extent, parse_optional_instant


def parse_observation(
    doc: JsonObject,
    *,
    datastream_id: str | None = None,
    multi_datastream_id: str | None = None,
) -> Observation:
    """Parse one Observation entity; the parent ids default to the expanded relations."""
    raw = doc.get("result")
    oid = id_string(doc.get("@iot.id", doc.get("id")))
    if oid is None:
        raise UpstreamError("SensorThings observation without @iot.id")
    return Observation(
        id=oid,
        self_link=text(doc, "@iot.selfLink"),
        phenomenon_time=parse_extent(doc.get("phenomenonTime")),
        result_time=parse_optional_instant(doc.get("resultTime")),
        result=parse_result(raw),
        result_raw=raw,
        result_quality=doc.get("resultQuality"),
        valid_time=parse_extent(doc.get("validTime")),
        parameters=obj(doc, "parameters"),
        datastream_id=expanded_id(doc, "Datastream", "Datastreams") or datastream_id,
        multi_datastream_id=expanded_id(doc, "MultiDatastream", "MultiDatastreams") or multi_datastream_id,
        foi_id=expanded_id(doc, "FeatureOfInterest", "FeaturesOfInterest"),
        links=nav_links(doc),
    )


@dataclass(slots=True)
class DataArrayGroup:
    """One `value` item of a dataArray response: rows of one (Multi)Datastream, in `components` order."""

    components: list[str]
    rows: list[list[Any]]
    datastream_link: str | None = None
    multi_datastream_link: str | None = None
    count: int | None = None


def parse_data_array(doc: Any) -> list[DataArrayGroup]:
    """Split a dataArray response into groups; rows whose length differs from `components` are rejected."""
    if not isinstance(doc, dict) or not isinstance(doc.get("value"), list):
        raise UpstreamError("SensorThings dataArray response has no 'value' array")
    groups: list[DataArrayGroup] = []
    for item in doc["value"]:
        if not isinstance(item, dict):
            continue
        components = item.get("components")
        rows = item.get("dataArray")
        if not isinstance(components, list) or not isinstance(rows, list):
            raise UpstreamError("SensorThings dataArray item without 'components'/'dataArray'")
        for index, row in enumerate(rows):
            if not isinstance(row, list) or len(row) != len(components):
                raise UpstreamError(f"dataArray row {index} does not match components {components}")
        count = item.get("dataArray@iot.count")
        groups.append(
            DataArrayGroup(
                components=[str(c) for c in components],
                rows=rows,
                datastream_link=text(item, "Datastream" + "@iot.navigationLink"),
                multi_datastream_link=text(item, "MultiDatastream" + "@iot.navigationLink"),
                count=count if isinstance(count, int) else None,
            )
        )
    return groups


_COLUMN_ALIASES = {
    "@iot.id": "id",
    "FeatureOfInterest/id": "foi",
    "FeatureOfInterest/@iot.id": "foi",
}


def data_array_observations(
    group: DataArrayGroup,
    *,
    datastream_id: str | None = None,
    multi_datastream_id: str | None = None,
) -> list[Observation]:
    """Observations of one dataArray group, mapped by column name (servers add or reorder columns)."""
    names = [_COLUMN_ALIASES.get(c, c) for c in group.components]
    if "id" not in names:
        raise UpstreamError(f"dataArray without an id column: {group.components}")
    out: list[Observation] = []
    for row in group.rows:
        cells = dict(zip(names, row, strict=True))
        raw = cells.get("result")
        out.append(
            Observation(
                id=id_string(cells["id"]) or "",
                self_link=None,
                phenomenon_time=parse_extent(cells.get("phenomenonTime")),
                result_time=parse_optional_instant(cells.get("resultTime")),
                result=parse_result(raw),
                result_raw=raw,
                result_quality=cells.get("resultQuality"),
                valid_time=parse_extent(cells.get("validTime")),
                parameters=cells.get("parameters") if isinstance(cells.get("parameters"), dict) else None,
                datastream_id=datastream_id,
                multi_datastream_id=multi_datastream_id,
                foi_id=id_string(cells.get("foi")),
            )
        )
    return out
