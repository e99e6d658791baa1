"""SPS 2.0 DescribeResultAccess response → `ResultAccess` (where a task's data lands)."""

from __future__ import annotations

from lxml import etree

from bridge.model.legacy.sps2 import DataReference, ResultAccess
from bridge.sources.sps2.common import (
    OWS_NAMESPACES,
    SPS,
    XLINK,
    Element,
    child,
    child_text,
    children,
    children_text,
    element_children,
    expect,
    language_strings,
    local_name,
    q,
    unwrap,
)


def _reference(ref: Element, group_id: str | None) -> DataReference:
    metadata = child(child(ref, OWS_NAMESPACES, "Metadata"), SPS, "SPSMetadata")
    message = child(ref, OWS_NAMESPACES, "RequestMessage")
    payload = element_children(message)
    return DataReference(
        group_id=group_id,
        href=(ref.get(q(XLINK, "href")) or "").strip(),
        role=ref.get(q(XLINK, "role")),
        identifier=child_text(ref, OWS_NAMESPACES, "Identifier"),
        formats=children_text(ref, OWS_NAMESPACES, "Format"),
        data_access_type=child_text(metadata, SPS, "dataAccessType"),
        service_reference=local_name(ref) == "ServiceReference",
        request_message=etree.tostring(payload[0], encoding="unicode", with_tail=False) if payload else None,
    )


def parse_describe_result_access(
    data: bytes | Element, *, task_id: str | None = None, procedure: str | None = None
) -> ResultAccess:
    """Parse `sps:DescribeResultAccessResponse`: available references or the reason for unavailability."""
    root = expect(unwrap(data), "DescribeResultAccessResponse")
    availability = child(root, SPS, "availability")
    available = child(child(availability, SPS, "available"), SPS, "DataAvailable")
    if available is not None:
        refs: list[DataReference] = []
        for holder in children(available, SPS, "dataReference"):
            for group in children(holder, OWS_NAMESPACES, "ReferenceGroup"):
                group_id = child_text(group, OWS_NAMESPACES, "Identifier")
                refs.extend(
                    _reference(r, group_id)
                    for r in element_children(group)
                    if local_name(r) in ("Reference", "ServiceReference")
                )
        return ResultAccess(True, refs, task_id=task_id, procedure=procedure)
    missing = child(child(availability, SPS, "unavailable"), SPS, "DataNotAvailable")
    return ResultAccess(
        False,
        unavailable_code=child_text(missing, SPS, "unavailableCode") or "DataNotAvailable",
        messages=language_strings(missing, SPS, "message"),
        task_id=task_id,
        procedure=procedure,
    )
