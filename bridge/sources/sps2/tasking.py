"""SPS 2.0 DescribeTasking response → `TaskingDescription` (SWE Common 3 JSON parameter schema)."""

from __future__ import annotations

from typing import Any

from bridge.errors import UpstreamError
from bridge.model.legacy.sps2 import DEFAULT_TEXT_ENCODING, TaskingDescription
from bridge.sources.sps2.common import SPS, SWE, SWE101, Element, child, element_children, expect, namespace, unwrap
from bridge.sources.swe_xml import component_to_json


def updatable_subset(record: dict[str, Any]) -> dict[str, Any] | None:
    """The DataRecord of fields an Update may carry: all fields not marked `updatable: false`.

    The OGC SPS 2.0 example marks only the fixed field (`taskTimeFrame`) `updatable="false"` and
    encodes its Update against the remaining fields, so an absent flag counts as updatable.
    Returns None when no field is updatable or the schema is not a DataRecord.
    """
    if record.get("type") != "DataRecord":
        return None
    fields = [f for f in record.get("fields", []) if f.get("updatable") is not False]
    if not fields:
        return None
    subset = {k: v for k, v in record.items() if k != "fields"}
    subset["fields"] = fields
    return subset


def parse_describe_tasking(
    data: bytes | Element, procedure: str = "", *, encoding: dict[str, Any] | None = None
) -> TaskingDescription:
    """Parse an `sps:DescribeTaskingResponse` (POX or SOAP), or a bare SWE component as 52North stores it.

    Args:
        procedure: the procedure the request named (the response does not repeat it).
        encoding: the parameter encoding to use for Submit/Update (SWE Common 3 JSON); defaults to the
            TextEncoding of the OGC examples (`,` and `@@`), which `SpsClient` refines from the
            capabilities' `sps:supportedEncoding`.
    """
    root = unwrap(data)
    if namespace(root) in (SWE, SWE101):
        component_el, name = root, "taskingParameters"
    else:
        holder = child(expect(root, "DescribeTaskingResponse"), SPS, "taskingParameters")
        components = element_children(holder)
        if holder is None or not components:
            raise UpstreamError("DescribeTaskingResponse without sps:taskingParameters content")
        component_el, name = components[0], holder.get("name") or "taskingParameters"
    parameters = component_to_json(component_el)
    return TaskingDescription(
        procedure=procedure,
        name=name,
        parameters=parameters,
        encoding=dict(encoding or DEFAULT_TEXT_ENCODING),
        updatable_parameters=updatable_subset(parameters),
    )
