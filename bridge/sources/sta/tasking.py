"""Tasking Core `taskingParameters`: recognise SWE Common JSON and convert the pre-standard SensorUp shape.

Standard (STA Part 2 Tasking Core 1.0): `{"type": "DataRecord", "field": [{"name", "label", "type":
"Quantity|Count|Boolean|Category|Text|Time", "uom", "constraint", "optional"}]}`.
Pre-standard (2016-17 drafts, SensorUp): `field[]{name, description, use: "Mandatory"|"Optional",
definition: {inputType, unitOfMeasurement, allowedValues: [{Min, Max}] | [values]}}`.
"""

from __future__ import annotations

from typing import Any

from bridge.model.legacy.sta import JsonObject, TaskingShape

_SWE_TYPES = frozenset(
    {"Quantity", "Count", "Boolean", "Category", "Text", "Time", "DataRecord", "Vector", "DataChoice"}
    | {"QuantityRange", "CountRange", "TimeRange", "CategoryRange", "DataArray", "Matrix", "Geometry"}
)

_INPUT_TYPES = {
    "integer": "Count",
    "int": "Count",
    "long": "Count",
    "count": "Count",
    "float": "Quantity",
    "double": "Quantity",
    "decimal": "Quantity",
    "number": "Quantity",
    "quantity": "Quantity",
    "boolean": "Boolean",
    "bool": "Boolean",
    "string": "Text",
    "text": "Text",
    "category": "Category",
    "datetime": "Time",
    "time": "Time",
}


def classify_tasking_parameters(value: Any) -> TaskingShape:
    """Tell which shape a `taskingParameters` value has: swe, sensorup, opaque or absent."""
    if value is None:
        return "absent"
    if not isinstance(value, dict):
        return "opaque"
    fields = value.get("field")
    if not isinstance(fields, list) or not all(isinstance(f, dict) for f in fields):
        return "opaque"
    if any(isinstance(f.get("definition"), dict) or "use" in f for f in fields):
        return "sensorup"
    if value.get("type", "DataRecord") == "DataRecord" and all(f.get("type") in _SWE_TYPES for f in fields):
        return "swe"
    return "opaque"


def normalise_tasking_parameters(value: Any) -> tuple[JsonObject | None, TaskingShape]:
    """Return the SWE Common JSON DataRecord for a capability's parameters, and the shape found."""
    shape = classify_tasking_parameters(value)
    if shape == "swe":
        assert isinstance(value, dict)
        return {"type": "DataRecord", **value}, shape
    if shape == "sensorup":
        assert isinstance(value, dict)
        return convert_sensorup(value), shape
    return None, shape


def convert_sensorup(value: JsonObject) -> JsonObject:
    """Convert a pre-standard SensorUp `taskingParameters` object into a SWE Common JSON DataRecord."""
    record: JsonObject = {"type": "DataRecord", "field": [_sensorup_field(f) for f in value["field"]]}
    for key in ("label", "description", "definition"):
        if isinstance(value.get(key), str):
            record[key] = value[key]
    return record


def _sensorup_field(item: JsonObject) -> JsonObject:
    raw_definition = item.get("definition")
    definition: JsonObject = raw_definition if isinstance(raw_definition, dict) else {}
    input_type = str(definition.get("inputType", "")).strip().lower()
    allowed = definition.get("allowedValues")
    swe_type = _INPUT_TYPES.get(input_type, "Text")
    if swe_type == "Text" and isinstance(allowed, list) and allowed and not _has_intervals(allowed):
        swe_type = "Category"
    out: JsonObject = {"name": item.get("name"), "type": swe_type}
    out["label"] = item.get("label") or item.get("name")
    if item.get("description"):
        out["description"] = item["description"]
    if isinstance(definition.get("definition"), str):
        out["definition"] = definition["definition"]
    use = str(item.get("use", "")).strip().lower()
    out["optional"] = use == "optional"
    unit = definition.get("unitOfMeasurement")
    if isinstance(unit, str) and unit:
        out["uom"] = {"code": unit}
    elif isinstance(unit, dict):
        out["uom"] = {k: v for k, v in unit.items() if v}
    elif swe_type == "Quantity":
        out["uom"] = {"code": "1"}
    constraint = _sensorup_constraint(allowed, swe_type)
    if constraint:
        out["constraint"] = constraint
    return out


def _has_intervals(allowed: list[Any]) -> bool:
    return any(isinstance(a, dict) and ({"Min", "Max", "min", "max"} & a.keys()) for a in allowed)


def _sensorup_constraint(allowed: Any, swe_type: str) -> JsonObject | None:
    if not isinstance(allowed, list) or not allowed:
        return None
    intervals: list[list[Any]] = []
    values: list[Any] = []
    for entry in allowed:
        if isinstance(entry, dict):
            low = entry.get("Min", entry.get("min"))
            high = entry.get("Max", entry.get("max"))
            if low is not None or high is not None:
                intervals.append([low, high])
            elif "value" in entry or "Value" in entry:
                values.append(entry.get("value", entry.get("Value")))
        else:
            values.append(entry)
    kind = "AllowedTokens" if swe_type in ("Category", "Text") else "AllowedValues"
    constraint: JsonObject = {"type": kind}
    if values:
        constraint["value"] = values
    if intervals:
        constraint["interval"] = intervals
    return constraint if len(constraint) > 1 else None
