"""SPS 2.0 GetCapabilities response → `SpsCapabilities`."""

from __future__ import annotations

from typing import Any, Literal

from bridge.model.legacy.sps2 import OperationEndpoint, SpsCapabilities, TaskingOffering
from bridge.sources.gml import geometry_to_geojson
from bridge.sources.sps2.common import (
    OWS_NAMESPACES,
    SPS,
    SWES,
    XLINK,
    Element,
    child,
    child_text,
    children,
    children_text,
    duration_seconds,
    element_children,
    expect,
    local_name,
    namespace,
    q,
    unwrap,
)
from bridge.sources.xml import text


def _allowed_values(constraint: Element | None) -> list[str]:
    return children_text(child(constraint, OWS_NAMESPACES, "AllowedValues"), OWS_NAMESPACES, "Value")


def _constraint(parent: Element | None, name: str) -> list[str]:
    for constraint in children(parent, OWS_NAMESPACES, "Constraint"):
        if (constraint.get("name") or "").lower() == name.lower():
            return _allowed_values(constraint)
    return []


def _endpoints(operation: Element, name: str) -> list[OperationEndpoint]:
    found: list[OperationEndpoint] = []
    for dcp in children(operation, OWS_NAMESPACES, "DCP"):
        for http in children(dcp, OWS_NAMESPACES, "HTTP"):
            for method_el in element_children(http):
                method: Literal["GET", "POST"] = "GET" if local_name(method_el) == "Get" else "POST"
                href = (method_el.get(q(XLINK, "href")) or "").strip()
                if href:
                    found.append(OperationEndpoint(name, method, href, tuple(_constraint(method_el, "Content-Type"))))
    return found


def _operations(metadata: Element | None) -> dict[str, list[OperationEndpoint]]:
    operations: dict[str, list[OperationEndpoint]] = {}
    for operation in children(metadata, OWS_NAMESPACES, "Operation"):
        name = operation.get("name")
        if name:
            operations[name] = _endpoints(operation, name)
    return operations


def observable_area(area: Element | None) -> dict[str, Any] | None:
    """sps:observableArea (byPoint | byPolygon) → GeoJSON geometry in lon/lat (rings closed, Q19)."""
    for holder in element_children(area):
        for geometry in element_children(holder):
            return geometry_to_geojson(geometry).geometry
    return None


def _offering(offering: Element, contents: Element | None) -> TaskingOffering:
    identifier = child_text(offering, SWES, "identifier") or ""
    procedure = child_text(offering, SWES, "procedure") or ""
    formats = children_text(offering, SWES, "procedureDescriptionFormat") or children_text(
        contents, SWES, "procedureDescriptionFormat"
    )
    properties = children_text(offering, SWES, "observableProperty") or children_text(
        contents, SWES, "observableProperty"
    )
    min_status = child_text(contents, SPS, "minStatusTime")
    return TaskingOffering(
        identifier=identifier,
        procedure=procedure,
        name=child_text(offering, SWES, "name"),
        description=child_text(offering, SWES, "description"),
        procedure_description_formats=formats,
        observable_properties=properties,
        observable_area=observable_area(child(offering, SPS, "observableArea")),
        min_status_time=min_status,
        min_status_seconds=duration_seconds(min_status),
    )


def _extensions(root: Element) -> dict[str, str]:
    found: dict[str, str] = {}
    for ext in children(root, SPS, "extension"):
        for leaf in ext.iter():
            if isinstance(leaf.tag, str) and len(leaf) == 0 and (value := text(leaf)) is not None:
                found[str(leaf.tag)] = value
    return found


def parse_capabilities(data: bytes | Element) -> SpsCapabilities:
    """Parse an `sps:Capabilities` document (POX or SOAP); raises `SpsException` on an exception answer."""
    root = expect(unwrap(data), "Capabilities")
    ident = child(root, OWS_NAMESPACES, "ServiceIdentification")
    metadata = child(root, OWS_NAMESPACES, "OperationsMetadata")
    contents = child(child(root, SPS, "contents"), SPS, "SPSContents")
    min_status = child_text(contents, SPS, "minStatusTime")
    offerings = [
        _offering(o, contents)
        for holder in children(contents, SWES, "offering")
        for o in element_children(holder)
        if namespace(o) == SPS
    ]
    return SpsCapabilities(
        version=root.get("version"),
        title=child_text(ident, OWS_NAMESPACES, "Title"),
        abstract=child_text(ident, OWS_NAMESPACES, "Abstract"),
        provider_name=child_text(child(root, OWS_NAMESPACES, "ServiceProvider"), OWS_NAMESPACES, "ProviderName"),
        profiles=children_text(ident, OWS_NAMESPACES, "Profile"),
        operations=_operations(metadata),
        post_encodings=_constraint(metadata, "PostEncoding"),
        offerings=offerings,
        procedure_description_formats=children_text(contents, SWES, "procedureDescriptionFormat"),
        observable_properties=children_text(contents, SWES, "observableProperty"),
        supported_encodings=children_text(contents, SPS, "supportedEncoding"),
        min_status_time=min_status,
        min_status_seconds=duration_seconds(min_status),
        extensions=_extensions(root),
    )
