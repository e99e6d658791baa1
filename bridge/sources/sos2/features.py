"""Sampling features (GetFeatureOfInterest members, inline O&M features) → `FeatureOfInterest`."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from bridge.model.legacy.sos2 import FeatureOfInterest
from bridge.sources.gml import GML32, GML311, geometry_property
from bridge.sources.sos2.exceptions import check_exception
from bridge.sources.sos2.ns import GML_ID, SA10, SAMS, SF, WML2, elements, href, local, ns_of, text

FEATURE_NS = frozenset({SAMS, SF, SA10, WML2})
FEATURE_NAMES = frozenset(
    {
        "SF_SpatialSamplingFeature",
        "SF_SamplingFeature",
        "MonitoringPoint",
        "SamplingPoint",
        "SamplingSurface",
        "SamplingCurve",
        "SamplingFeature",
    }
)
_GML = (GML32, GML311)


def is_feature(el: etree._Element) -> bool:
    """True for a sampling-feature element of SF 2.0, SA 1.0 or WaterML 2.0."""
    return isinstance(el.tag, str) and ns_of(el) in FEATURE_NS and local(el) in FEATURE_NAMES


def parse_feature(el: etree._Element) -> FeatureOfInterest:
    """Read one sampling feature element."""
    identifier = description = ftype = None
    names: list[str] = []
    sampled: list[str] = []
    geo = None
    for child in elements(el):
        name, ns = local(child), ns_of(child)
        if ns in _GML:
            if name == "identifier":
                identifier = identifier or text(child)
            elif name == "name" and (value := text(child)):
                names.append(value)
            elif name == "description":
                description = description or text(child)
        elif name == "type" and ns in FEATURE_NS:
            ftype = href(child)
        elif name == "sampledFeature" and (target := href(child)):
            sampled.append(target)
        elif name in ("shape", "position") and ns in FEATURE_NS:
            geo = geometry_property(child)
    gml_id = el.get(GML_ID) or el.get(f"{{{GML311}}}id")
    return FeatureOfInterest(
        identifier=identifier or (names[0] if names and ns_of(el) == SA10 else None) or gml_id,
        gml_id=gml_id,
        names=tuple(names),
        description=description,
        feature_type=ftype,
        sampled_features=tuple(sampled),
        geometry=geo.geometry if geo else None,
        srs_name=geo.srs_name if geo else None,
        geometry_crs84=geo.crs84 if geo else True,
        issues=geo.issues if geo else (),
    )


def iter_features_of_interest(data: bytes) -> Iterator[FeatureOfInterest]:
    """Features of a GetFeatureOfInterest response (an empty response yields nothing)."""
    root = check_exception(data)
    for el in root.iter():
        if is_feature(el):
            yield parse_feature(el)
