"""SOS 2.0 GetCapabilities → `Capabilities` (offerings with Contents/OperationsMetadata fallbacks, Q10)."""

from __future__ import annotations

from typing import Literal

from lxml import etree

from bridge.errors import UpstreamError
from bridge.model.legacy.sos2 import (
    Capabilities,
    ContentsDefaults,
    Endpoint,
    Offering,
    Operation,
    ServiceProvider,
)
from bridge.sources.gml import GML32, GML311, envelope_to_bbox, time_property
from bridge.sources.sos2.exceptions import Sos1OnlyError, check_exception
from bridge.sources.sos2.ns import (
    FES,
    OWS11,
    SOS10,
    SOS20,
    SWES,
    elements,
    href,
    kid,
    kids,
    local,
    ns_of,
    q,
    text,
    texts,
)


def parse_capabilities(data: bytes) -> Capabilities:
    """Parse a GetCapabilities response (POX or SOAP); SOS 1.0 documents raise `Sos1OnlyError` (Q1)."""
    root = check_exception(data)
    if local(root) != "Capabilities":
        raise UpstreamError(f"expected a SOS Capabilities document, got <{local(root)}>")
    version = (root.get("version") or "").strip()
    if ns_of(root) == SOS10 or (ns_of(root) != SOS20 and version.startswith("1.")):
        raise Sos1OnlyError(
            "the server returned an SOS 1.0 Capabilities document; request it with AcceptVersions=2.0.0 "
            "(servers that also speak 1.0 default to it) or use an SOS 2.0 endpoint"
        )
    if ns_of(root) not in (SOS20, ""):
        raise UpstreamError(f"unknown Capabilities namespace {ns_of(root)!r}")
    ident = kid(root, OWS11, "ServiceIdentification")
    operations = _operations(kid(root, OWS11, "OperationsMetadata"))
    contents = _contents(root)
    defaults = _defaults(contents)
    offerings = tuple(
        _offering(el, defaults, operations)
        for holder in (kids(contents, SWES, "offering") if contents is not None else [])
        for el in elements(holder)
        if local(el) == "ObservationOffering"
    )
    temporal, spatial = _filter_operators(root)
    return Capabilities(
        version=version or "2.0.0",
        title=text(kid(ident, OWS11, "Title")),
        abstract=text(kid(ident, OWS11, "Abstract")),
        keywords=tuple(t for k in (ident.iter(q(OWS11, "Keyword")) if ident is not None else []) if (t := text(k))),
        provider=_provider(kid(root, OWS11, "ServiceProvider")),
        service_type_versions=texts(ident, OWS11, "ServiceTypeVersion") if ident is not None else (),
        profiles=texts(ident, OWS11, "Profile") if ident is not None else (),
        operations=operations,
        defaults=defaults,
        offerings=offerings,
        temporal_operators=temporal,
        spatial_operators=spatial,
        update_sequence=(root.get("updateSequence") or "").strip() or None,
    )


def _contents(root: etree._Element) -> etree._Element | None:
    holder = kid(root, SOS20, "contents")
    return kid(holder, SOS20, "Contents") if holder is not None else None


def _provider(el: etree._Element | None) -> ServiceProvider | None:
    if el is None:
        return None
    contact = kid(el, OWS11, "ServiceContact")
    info = kid(contact, OWS11, "ContactInfo")
    phone = kid(kid(info, OWS11, "Phone"), OWS11, "Voice")
    address = kid(info, OWS11, "Address")
    return ServiceProvider(
        name=text(kid(el, OWS11, "ProviderName")),
        site=href(kid(el, OWS11, "ProviderSite")),
        individual_name=text(kid(contact, OWS11, "IndividualName")),
        position_name=text(kid(contact, OWS11, "PositionName")),
        email=text(kid(address, OWS11, "ElectronicMailAddress")),
        phone=text(phone),
    )


def _allowed(el: etree._Element) -> tuple[str, ...]:
    """Values of ows:AllowedValues/ows:Value (trimmed, Q11)."""
    values = kid(el, OWS11, "AllowedValues")
    return texts(values, OWS11, "Value") if values is not None else ()


def _operations(meta: etree._Element | None) -> dict[str, Operation]:
    ops: dict[str, Operation] = {}
    if meta is None:
        return ops
    for op in kids(meta, OWS11, "Operation"):
        name = (op.get("name") or "").strip()
        endpoints: list[Endpoint] = []
        for http in op.iter(q(OWS11, "HTTP")):
            for method_el in elements(http):
                method: Literal["GET", "POST"] = "GET" if local(method_el) == "Get" else "POST"
                url = href(method_el)
                if not url:
                    continue
                ctypes: tuple[str, ...] = ()
                for constraint in kids(method_el, OWS11, "Constraint"):
                    if (constraint.get("name") or "").strip().lower() == "content-type":
                        ctypes = _allowed(constraint)
                endpoints.append(Endpoint(method, url, ctypes))
        params = {(p.get("name") or "").strip(): _allowed(p) for p in kids(op, OWS11, "Parameter")}
        ops[name] = Operation(name, tuple(endpoints), params)
    return ops


def _defaults(contents: etree._Element | None) -> ContentsDefaults:
    if contents is None:
        return ContentsDefaults()
    return ContentsDefaults(
        procedure_description_formats=texts(contents, SWES, "procedureDescriptionFormat"),
        observable_properties=texts(contents, SWES, "observableProperty"),
        response_formats=texts(contents, SOS20, "responseFormat"),
        observation_types=texts(contents, SOS20, "observationType"),
        foi_types=texts(contents, SOS20, "featureOfInterestType"),
    )


def _param(ops: dict[str, Operation], op: str, name: str) -> tuple[str, ...]:
    operation = ops.get(op)
    return operation.parameters.get(name, ()) if operation else ()


def _first_gml(el: etree._Element | None, name: str) -> etree._Element | None:
    if el is None:
        return None
    return el.find(q(GML32, name)) if el.find(q(GML32, name)) is not None else el.find(q(GML311, name))


def _offering(el: etree._Element, defaults: ContentsDefaults, ops: dict[str, Operation]) -> Offering:
    inherited: set[str] = set()

    def pick(field: str, own: tuple[str, ...], *fallbacks: tuple[str, ...]) -> tuple[str, ...]:
        if own:
            return own
        for candidate in fallbacks:
            if candidate:
                inherited.add(field)
                return candidate
        return ()

    bbox = srs = None
    ambiguous = False
    envelope = _first_gml(kid(el, SOS20, "observedArea"), "Envelope")
    if envelope is not None:
        geo = envelope_to_bbox(envelope)
        bbox, srs = geo.bbox, geo.srs_name
        ambiguous = geo.crs84 and bbox is not None and all(abs(v) <= 90 for v in bbox)
    related = tuple(
        (text(kid(rel, SWES, "role")), target)
        for holder in kids(el, SWES, "relatedFeature")
        for rel in kids(holder, SWES, "FeatureRelationship")
        if (target := href(kid(rel, SWES, "target")))
    )
    return Offering(
        identifier=text(kid(el, SWES, "identifier")) or "",
        procedure=text(kid(el, SWES, "procedure")),
        name=text(kid(el, SWES, "name")),
        description=text(kid(el, SWES, "description")),
        procedure_description_formats=pick(
            "procedure_description_formats",
            texts(el, SWES, "procedureDescriptionFormat"),
            defaults.procedure_description_formats,
            _param(ops, "DescribeSensor", "procedureDescriptionFormat"),
        ),
        observable_properties=pick(
            "observable_properties", texts(el, SWES, "observableProperty"), defaults.observable_properties
        ),
        related_features=related,
        observed_area=bbox,
        observed_area_srs=srs,
        observed_area_ambiguous=ambiguous,
        phenomenon_time=time_property(kid(el, SOS20, "phenomenonTime")),
        result_time=time_property(kid(el, SOS20, "resultTime")),
        response_formats=pick(
            "response_formats",
            texts(el, SOS20, "responseFormat"),
            defaults.response_formats,
            _param(ops, "GetObservation", "responseFormat"),
        ),
        observation_types=pick("observation_types", texts(el, SOS20, "observationType"), defaults.observation_types),
        foi_types=pick("foi_types", texts(el, SOS20, "featureOfInterestType"), defaults.foi_types),
        inherited=frozenset(inherited),
    )


def _filter_operators(root: etree._Element) -> tuple[tuple[str, ...], tuple[str, ...]]:
    holder = kid(root, SOS20, "filterCapabilities")
    if holder is None:
        return (), ()
    temporal = tuple(n for el in holder.iter(q(FES, "TemporalOperator")) if (n := (el.get("name") or "").strip()))
    spatial = tuple(n for el in holder.iter(q(FES, "SpatialOperator")) if (n := (el.get("name") or "").strip()))
    return temporal, spatial
