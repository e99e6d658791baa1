"""SPS 2.0 DescribeTasking response → `TaskingDescription` (SWE Common 3 JSON parameter schema)."""

from __future__ import annotations

from typing import Any

from bridge.errors import UpstreamError
from bridge.model.legacy.sps2 import DEFAULT_TEXT_ENCODING, Task, TaskingDescription, updatable_subset
from bridge.sources.sps2.common import SPS, SWE, SWE101, Element, child, element_children, expect, namespace, unwrap
from bridge.sources.sps2.parameters import decode_parameters
from bridge.sources.sps2.values import TaskingParameterError
from bridge.sources.swe_xml import component_to_json


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


def current_parameters(description: TaskingDescription, task: Task) -> dict[str, Any] | None:
    """A task's current parameters: its Submit parameters decoded, with those of its TaskUpdated reports applied."""
    values: dict[str, Any] | None = None
    for report in sorted(task.history, key=lambda r: r.update_time):
        if report.parameters is None:
            continue
        try:
            if values is None:
                decoded = decode_parameters(description, report.parameters)
                values = dict(decoded) if isinstance(decoded, dict) else None
            elif report.event == "TaskUpdated":
                decoded = decode_parameters(description, report.parameters, update=True)
                values.update({k: v for k, v in dict(decoded).items() if v is not None})
        except (TaskingParameterError, UpstreamError):
            continue
    return values
