"""O&M 2.0 result decoding and SWE Common 3 result components derived from observation types.

The observation kind is decided from the result element and its `xsi:type` (QName resolved by
namespace, Q6), with om:type only as a tie-breaker for untyped text results.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from lxml import etree

from bridge.model.legacy.sos2 import (
    NIL_UNKNOWN,
    OM_CATEGORY,
    OM_COMPLEX,
    OM_COUNT,
    OM_GEOMETRY,
    OM_MEASUREMENT,
    OM_TEXT,
    OM_TRUTH,
    JsonDict,
    ResultValue,
)
from bridge.sources.gml import GML32, GML311, geometry_to_geojson, time_primitive, to_rfc3339
from bridge.sources.sos2.ns import (
    HREF,
    SWE20,
    SWE101,
    TITLE,
    XS,
    XSI_TYPE,
    elements,
    local,
    ns_of,
    qname_value,
)
from bridge.sources.swe_xml import SweError, component_to_json

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
_INTEGER = {
    "integer",
    "int",
    "long",
    "short",
    "byte",
    "nonNegativeInteger",
    "positiveInteger",
    "unsignedInt",
    "unsignedLong",
    "negativeInteger",
    "nonPositiveInteger",
}
_FLOAT = {"double", "float", "decimal"}
_STRING = {"string", "normalizedString", "token", "anyURI", "Name", "NCName"}
_SWE_TYPE = {
    OM_MEASUREMENT: "Quantity",
    OM_CATEGORY: "Category",
    OM_COUNT: "Count",
    OM_TRUTH: "Boolean",
    OM_TEXT: "Text",
    OM_GEOMETRY: "Geometry",
}


def uom_json(uom: str | None) -> JsonDict:
    """A SWE UnitReference: URIs (http…, urn:…) as `href`, anything else as a `code` (Q7: kept raw)."""
    if not uom or not uom.strip():
        return {"href": NIL_UNKNOWN}
    value = uom.strip()
    return {"href": value} if value.startswith(("http://", "https://", "urn:")) else {"code": value}


@lru_cache(maxsize=4096)
def sos_observation_type_to_swe(
    observation_type: str,
    uom: str | None = None,
    observed_property: str | None = None,
    label: str | None = None,
) -> JsonDict | None:
    """SWE Common 3 JSON scalar for an O&M observation type (None for array/complex types).

    The returned dict is cached and shared: copy it before changing it.
    """
    kind = _SWE_TYPE.get(observation_type.strip())
    if kind is None:
        return None
    definition = (observed_property or "").strip() or NIL_UNKNOWN
    out: JsonDict = {
        "type": kind,
        "definition": definition,
        "label": label or definition.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1],
    }
    if kind == "Quantity":
        out["uom"] = uom_json(uom)
    elif kind == "Geometry":
        out["srs"] = CRS84
    return out


def _float(text: str | None) -> float | None:
    """A measurement value; None when blank or not a number (servers write `n/a`, `-`: kept as null)."""
    if text is None or not text.strip():
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise ValueError(f"not a boolean: {text!r}")


def _guess(text: str, declared: str | None) -> tuple[str, ResultValue]:
    """Untyped text result: follow om:type when the text fits, else infer."""
    order = [declared] if declared else []
    order += [OM_TRUTH, OM_COUNT, OM_MEASUREMENT]
    for kind in order:
        try:
            if kind == OM_MEASUREMENT:
                return kind, float(text)
            if kind == OM_COUNT:
                return kind, int(text)
            if kind == OM_TRUTH:
                return kind, _bool(text)
            if kind in (OM_TEXT, OM_CATEGORY):
                return kind, text
        except ValueError:
            continue
    return OM_TEXT, text


def decode_scalar(result: etree._Element, declared: str | None) -> tuple[str, ResultValue, str | None]:
    """A result without child elements → (detected type, value, uom)."""
    qname = qname_value(result, result.get(XSI_TYPE))
    ns, name = qname if qname else ("", "")
    uom = result.get("uom")
    raw = result.text.strip() if result.text else ""
    if name == "MeasureType" or (not name and uom is not None):
        return OM_MEASUREMENT, _float(raw), uom.strip() if uom else None
    if name == "ReferenceType" or (not name and result.get(HREF) is not None):
        value = (result.get(TITLE) or result.get(HREF) or raw).strip()
        return OM_CATEGORY, value or None, None
    if name == "CodeType":
        return OM_CATEGORY, raw or None, None
    if ns == XS and name in _INTEGER:
        return OM_COUNT, int(raw) if raw.lstrip("+-").isdigit() else None, None
    if ns == XS and name == "boolean":
        return OM_TRUTH, _bool(raw) if raw.lower() in ("true", "false", "1", "0") else None, None
    if ns == XS and name in _FLOAT:
        return OM_MEASUREMENT, _float(raw), uom
    if ns == XS and name in _STRING:
        return (OM_CATEGORY if declared == OM_CATEGORY else OM_TEXT), raw, None
    if not raw:
        return declared or OM_TEXT, None, None
    kind, value = _guess(raw, declared)
    return kind, value, uom


def record_values(component: JsonDict) -> Any:
    """Inline values of a SWE component tree (DataRecord → dict keyed by field name)."""
    kind = component.get("type")
    if kind in ("DataRecord", "Vector"):
        members = component.get("fields") or component.get("coordinates") or []
        return {m.get("name", f"field{i}"): record_values(m) for i, m in enumerate(members)}
    if kind == "DataChoice":
        return {i.get("name"): record_values(i) for i in component.get("items", []) if "value" in i}
    return component.get("value", component.get("values"))


def strip_values(component: JsonDict) -> JsonDict:
    """A copy of a component tree without inline values (a schema for datastreams)."""
    out = {k: v for k, v in component.items() if k not in ("value", "values")}
    for key in ("fields", "coordinates", "items"):
        if key in out:
            out[key] = [strip_values(c) for c in out[key]]
    if isinstance(out.get("elementType"), dict):
        out["elementType"] = strip_values(out["elementType"])
    return out


def decode_element_result(
    child: etree._Element,
) -> tuple[str, ResultValue, JsonDict | None, tuple[str, ...]]:
    """A result holding one element (DataRecord, GML geometry, time) → (type, value, component, issues)."""
    ns, name = ns_of(child), local(child)
    if ns in (SWE20, SWE101):
        try:
            comp = component_to_json(child, values=True)
        except SweError as exc:
            return OM_COMPLEX, None, None, (str(exc),)
        swe_kind = {
            "Quantity": OM_MEASUREMENT,
            "Count": OM_COUNT,
            "Boolean": OM_TRUTH,
            "Category": OM_CATEGORY,
            "Text": OM_TEXT,
        }.get(comp["type"], OM_COMPLEX)
        return swe_kind, record_values(comp), strip_values(comp), ()
    if ns in (GML32, GML311) and name in ("TimeInstant", "TimePeriod"):
        extent = time_primitive(child)
        value = to_rfc3339(extent.start) if extent.start else None
        return OM_TEXT, value, None, ()
    if ns in (GML32, GML311):
        geo = geometry_to_geojson(child)
        issues = geo.issues if geo.crs84 else (*geo.issues, "geometry not in CRS84")
        return OM_GEOMETRY, geo.geometry, None, issues
    return OM_COMPLEX, None, None, (f"unsupported result element {name}",)


def first_element(el: etree._Element) -> etree._Element | None:
    """First element child (comments skipped)."""
    return next(elements(el), None)
