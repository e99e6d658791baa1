"""`parse_component`: SWE Common JSON → component objects, with structural checks."""

from __future__ import annotations

from typing import Any

from bridge.swe.components import (
    COMPONENT_TYPES,
    Category,
    Component,
    ComponentRef,
    Count,
    DataArray,
    DataChoice,
    DataRecord,
    DataStream,
    ElementCount,
    Matrix,
    Quantity,
    Time,
    Vector,
)
from bridge.swe.errors import SweSchemaError
from bridge.swe.serde import expect_object, parse_attrs, register_kind, type_name


def parse_component(d: Any, path: str = "$") -> Component:
    """Parse a SWE Common data component; SweSchemaError names the JSON path of a problem."""
    d = expect_object(d, path)
    if "type" not in d and "href" in d:
        return ComponentRef(**parse_attrs(ComponentRef, d, path))
    kind = d.get("type")
    cls = COMPONENT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        known = ", ".join(sorted(COMPONENT_TYPES))
        raise SweSchemaError(f"{path}.type", f"unknown component type {kind!r} (expected one of {known})")
    for key in _REQUIRED.get(cls, ()):
        if key not in d:
            raise SweSchemaError(f"{path}.{key}", f"a {kind} needs '{key}'")
    component = cls(**parse_attrs(cls, d, path))
    _check(component, d, path)
    return component


_REQUIRED: dict[type, tuple[str, ...]] = {
    DataRecord: ("fields",),
    Vector: ("coordinates",),
    DataChoice: ("items",),
    DataArray: ("elementType",),
    Matrix: ("elementType",),
}


def parse_datastream(d: Any, path: str = "$") -> DataStream:
    """Parse a SWE Common DataStream (element type + encoding); SweSchemaError names the JSON path."""
    d = expect_object(d, path)
    if d.get("type") != "DataStream":
        raise SweSchemaError(f"{path}.type", f"expected 'DataStream', got {d.get('type')!r}")
    for key in ("elementType", "encoding"):
        if key not in d:
            raise SweSchemaError(f"{path}.{key}", f"a DataStream needs '{key}'")
    return DataStream(**parse_attrs(DataStream, d, path))


def _check(c: Component, d: dict[str, Any], path: str) -> None:
    if isinstance(c, DataRecord | DataChoice | Vector):
        key = {DataRecord: "fields", DataChoice: "items", Vector: "coordinates"}[type(c)]
        members = c.children()
        if not members:
            raise SweSchemaError(f"{path}.{key}", f"at least one entry is required in '{key}'")
        if isinstance(c, Vector):
            for i, coord in enumerate(members):
                if not isinstance(coord, Count | Quantity | Time):
                    raise SweSchemaError(
                        f"{path}.coordinates[{i}]", "a vector coordinate must be a Count, Quantity or Time"
                    )
    if isinstance(c, DataChoice) and c.choice_value is not None and not isinstance(c.choice_value, Category):
        raise SweSchemaError(f"{path}.choiceValue", "choiceValue must be a Category")


def _parse_named_list(v: Any, path: str) -> list[Component]:
    if not isinstance(v, list):
        raise SweSchemaError(path, f"expected an array, got {type_name(v)}")
    out: list[Component] = []
    seen: set[str] = set()
    for i, item in enumerate(v):
        p = f"{path}[{i}]"
        component = parse_component(item, p)
        if component.name is None:
            raise SweSchemaError(f"{p}.name", "a name is required")
        if component.name in seen:
            raise SweSchemaError(f"{p}.name", f"duplicate name '{component.name}'")
        seen.add(component.name)
        out.append(component)
    return out


def _parse_element_count(v: Any, path: str) -> ElementCount | ComponentRef:
    d = expect_object(v, path)
    if "href" in d and "type" not in d:
        return ComponentRef(**parse_attrs(ComponentRef, d, path))
    count = ElementCount(**parse_attrs(ElementCount, d, path))
    if "type" in d:
        if d["type"] != "Count":
            raise SweSchemaError(f"{path}.type", "an element count must be a Count")
        count.extras = {"type": "Count", **count.extras}
    if count.value is not None and (isinstance(count.value, bool) or not isinstance(count.value, int)):
        raise SweSchemaError(f"{path}.value", f"expected an integer, got {type_name(count.value)}")
    if isinstance(count.value, int) and count.value < 0:
        raise SweSchemaError(f"{path}.value", "an element count cannot be negative")
    return count


register_kind("component", parse_component, lambda v: v.to_json())
register_kind("components", _parse_named_list, lambda v: [c.to_json() for c in v])
register_kind("element_count", _parse_element_count, lambda v: v.to_json())
