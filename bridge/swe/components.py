"""SWE Common 3 data components (OGC 24-014): scalars, ranges, records, vectors, arrays, choices.

Every class maps the JSON members of its official schema onto attributes (annotated with
`J(member, kind)`); members the model does not know are kept in `extras`, so `to_json()` gives back
what was parsed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

from bridge.swe.constraints import (
    AllowedTimes,
    AllowedTokens,
    AllowedValues,
    GeometryConstraint,
    NilValue,
    UnitReference,
)
from bridge.swe.encodings import Encoding
from bridge.swe.serde import J, dump_attrs
from bridge.swe.timefmt import ISO_UOM_MARKER


@dataclass(kw_only=True, slots=True)
class Component:
    """Base of all data components (AbstractDataComponent)."""

    TYPE: ClassVar[str] = ""

    name: Annotated[str | None, J("name", "name")] = None
    id: Annotated[str | None, J("id", "str")] = None
    label: Annotated[str | None, J("label", "str")] = None
    description: Annotated[str | None, J("description", "str")] = None
    definition: Annotated[str | None, J("definition", "str")] = None
    optional: Annotated[bool | None, J("optional", "bool")] = None
    updatable: Annotated[bool | None, J("updatable", "bool")] = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def is_optional(self) -> bool:
        """True when the component's value may be omitted in a datastream."""
        return bool(self.optional)

    def children(self) -> list[Component]:
        """Direct child components (fields, coordinates, items or element type)."""
        return []

    def to_json(self) -> dict[str, Any]:
        """The SWE Common JSON object of this component."""
        return dump_attrs(self, self.TYPE or None)


@dataclass(kw_only=True, slots=True)
class ComponentRef(Component):
    """A record field, array element or choice item given by reference (`href`), not inline."""

    href: Annotated[str, J("href", "str")] = ""
    role: Annotated[str | None, J("role", "str")] = None
    arcrole: Annotated[str | None, J("arcrole", "str")] = None
    title: Annotated[str | None, J("title", "str")] = None


@dataclass(kw_only=True, slots=True)
class SimpleComponent(Component):
    """Base of scalar and range components (AbstractSimpleComponent)."""

    reference_frame: Annotated[str | None, J("referenceFrame", "str")] = None
    axis_id: Annotated[str | None, J("axisID", "str")] = None
    nil_values: Annotated[list[NilValue] | None, J("nilValues", "nil")] = None
    value: Annotated[Any, J("value", "raw")] = None


@dataclass(kw_only=True, slots=True)
class Boolean(SimpleComponent):
    """true/false."""

    TYPE: ClassVar[str] = "Boolean"


@dataclass(kw_only=True, slots=True)
class _Counting(SimpleComponent):
    constraint: Annotated[AllowedValues | None, J("constraint", "allowed_values")] = None


@dataclass(kw_only=True, slots=True)
class Count(_Counting):
    """Integer count."""

    TYPE: ClassVar[str] = "Count"


@dataclass(kw_only=True, slots=True)
class CountRange(_Counting):
    """Pair of integers."""

    TYPE: ClassVar[str] = "CountRange"


@dataclass(kw_only=True, slots=True)
class ElementCount(_Counting):
    """The `elementCount` of an array: fixed when `value` is set, else variable."""


@dataclass(kw_only=True, slots=True)
class _Measured(SimpleComponent):
    uom: Annotated[UnitReference | None, J("uom", "uom")] = None
    constraint: Annotated[AllowedValues | None, J("constraint", "allowed_values")] = None


@dataclass(kw_only=True, slots=True)
class Quantity(_Measured):
    """Decimal number with a unit of measure."""

    TYPE: ClassVar[str] = "Quantity"


@dataclass(kw_only=True, slots=True)
class QuantityRange(_Measured):
    """Pair of decimal numbers with a unit of measure."""

    TYPE: ClassVar[str] = "QuantityRange"


@dataclass(kw_only=True, slots=True)
class _Timed(SimpleComponent):
    reference_time: Annotated[str | None, J("referenceTime", "str")] = None
    local_frame: Annotated[str | None, J("localFrame", "str")] = None
    uom: Annotated[UnitReference | None, J("uom", "uom")] = None
    constraint: Annotated[AllowedTimes | None, J("constraint", "allowed_times")] = None

    @property
    def is_iso(self) -> bool:
        """True when values are ISO 8601 date-times (uom ISO-8601 or no uom), not numbers."""
        uom = self.uom
        if uom is None:
            return True
        return ISO_UOM_MARKER in (uom.href or "") or uom.code == ISO_UOM_MARKER


@dataclass(kw_only=True, slots=True)
class Time(_Timed):
    """Time instant: ISO 8601 or a number of `uom` units after `referenceTime`."""

    TYPE: ClassVar[str] = "Time"


@dataclass(kw_only=True, slots=True)
class TimeRange(_Timed):
    """Pair of time instants."""

    TYPE: ClassVar[str] = "TimeRange"


@dataclass(kw_only=True, slots=True)
class _Tokened(SimpleComponent):
    constraint: Annotated[AllowedTokens | None, J("constraint", "allowed_tokens")] = None


@dataclass(kw_only=True, slots=True)
class Text(_Tokened):
    """Free text."""

    TYPE: ClassVar[str] = "Text"


@dataclass(kw_only=True, slots=True)
class Category(_Tokened):
    """Token from a code space."""

    TYPE: ClassVar[str] = "Category"

    code_space: Annotated[str | None, J("codeSpace", "str")] = None


@dataclass(kw_only=True, slots=True)
class CategoryRange(_Tokened):
    """Pair of tokens from an ordered code space."""

    TYPE: ClassVar[str] = "CategoryRange"

    code_space: Annotated[str | None, J("codeSpace", "str")] = None


@dataclass(kw_only=True, slots=True)
class DataRecord(Component):
    """Ordered named fields of any type."""

    TYPE: ClassVar[str] = "DataRecord"

    fields: Annotated[list[Component], J("fields", "components")] = field(default_factory=list)

    def children(self) -> list[Component]:
        """The fields."""
        return self.fields


@dataclass(kw_only=True, slots=True)
class Vector(Component):
    """Ordered named scalar coordinates in a reference frame."""

    TYPE: ClassVar[str] = "Vector"

    reference_frame: Annotated[str | None, J("referenceFrame", "str")] = None
    local_frame: Annotated[str | None, J("localFrame", "str")] = None
    coordinates: Annotated[list[Component], J("coordinates", "components")] = field(default_factory=list)

    def children(self) -> list[Component]:
        """The coordinates."""
        return self.coordinates


@dataclass(kw_only=True, slots=True)
class DataArray(Component):
    """Repeated `element_type`; fixed size when `element_count.value` is set, else variable size."""

    TYPE: ClassVar[str] = "DataArray"

    element_count: Annotated[ElementCount | ComponentRef | None, J("elementCount", "element_count")] = None
    element_type: Annotated[Component, J("elementType", "component")]
    encoding: Annotated[Encoding | None, J("encoding", "encoding")] = None
    values: Annotated[Any, J("values", "raw")] = None

    @property
    def fixed_size(self) -> int | None:
        """The fixed number of elements, or None for a variable-size array."""
        count = self.element_count
        if isinstance(count, ElementCount) and isinstance(count.value, int):
            return count.value
        return None

    def children(self) -> list[Component]:
        """The element type."""
        return [self.element_type]


@dataclass(kw_only=True, slots=True)
class Matrix(DataArray):
    """Array of arrays with a reference frame (values like DataArray)."""

    TYPE: ClassVar[str] = "Matrix"

    reference_frame: Annotated[str | None, J("referenceFrame", "str")] = None
    local_frame: Annotated[str | None, J("localFrame", "str")] = None


@dataclass(kw_only=True, slots=True)
class DataChoice(Component):
    """Exactly one of several named `items`."""

    TYPE: ClassVar[str] = "DataChoice"

    choice_value: Annotated[Category | None, J("choiceValue", "component")] = None
    items: Annotated[list[Component], J("items", "components")] = field(default_factory=list)

    def children(self) -> list[Component]:
        """The items."""
        return self.items


@dataclass(kw_only=True, slots=True)
class Geometry(Component):
    """GeoJSON geometry (WKT in text encodings, WKB in binary)."""

    TYPE: ClassVar[str] = "Geometry"

    srs: Annotated[str | None, J("srs", "str")] = None
    constraint: Annotated[GeometryConstraint | None, J("constraint", "geom_constraint")] = None
    nil_values: Annotated[list[NilValue] | None, J("nilValues", "nil")] = None
    value: Annotated[Any, J("value", "raw")] = None


SCALARS = (Boolean, Count, Quantity, Time, Category, Text)
RANGES = (CountRange, QuantityRange, TimeRange, CategoryRange)
COMPONENT_TYPES: dict[str, type[Component]] = {
    cls.TYPE: cls for cls in (*SCALARS, *RANGES, DataRecord, Vector, DataArray, Matrix, DataChoice, Geometry)
}


@dataclass(kw_only=True, slots=True)
class DataStream:
    """A SWE Common DataStream: the element (record) type, its encoding and out-of-band values."""

    TYPE: ClassVar[str] = "DataStream"

    id: Annotated[str | None, J("id", "str")] = None
    label: Annotated[str | None, J("label", "str")] = None
    description: Annotated[str | None, J("description", "str")] = None
    element_type: Annotated[Component, J("elementType", "component")]
    encoding: Annotated[Encoding, J("encoding", "encoding")]
    values: Annotated[Any, J("values", "raw")] = None
    extras: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The SWE Common JSON object of this data stream."""
        return dump_attrs(self, self.TYPE)
