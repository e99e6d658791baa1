"""Streaming GetObservation parser: O&M 2.0 (all result kinds) and WaterML 2.0 time series.

The document is read with `iterparse_xml`; each om:OM_Observation is decoded when it ends (WaterML
points as soon as each point ends) and then cleared with its preceding siblings, so memory stays flat
however large the response. `#id` time and feature references resolve against elements seen earlier
in the same document (kept in bounded maps).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import IO, Any

from lxml import etree

from bridge.errors import UpstreamError
from bridge.model.legacy.sos2 import (
    OM_MEASUREMENT,
    OM_SWE_ARRAY,
    FeatureOfInterest,
    JsonDict,
    Observation,
    TimeExtent,
    build_observation,
    build_time_extent,
)
from bridge.model.time import from_us, zoned_iso
from bridge.sources.gml import GmlError, geometry_property, parse_time_value, time_property
from bridge.sources.sos2.exceptions import check_exception
from bridge.sources.sos2.features import is_feature, parse_feature
from bridge.sources.sos2.ns import GML_ID, HREF, SWE20, SWE101, TITLE, WML2, elements, href, local, ns_of, text
from bridge.sources.sos2.observations.arrays import decode_rows, plan_rows
from bridge.sources.sos2.observations.tags import (
    FOI,
    INSTANT,
    OBS,
    PARAM,
    PHEN,
    POSITION,
    PROC,
    PROP,
    RESULT,
    RTIME,
    TAGS,
    TVPS,
    TYPE,
    envelope_of,
    release,
)
from bridge.sources.sos2.results import decode_element_result, decode_scalar, sos_observation_type_to_swe
from bridge.sources.swe_xml import SweError, component_to_json, split_text_block
from bridge.sources.xml import iterparse_xml

_REF_LIMIT = 4096


@lru_cache(maxsize=2048)
def _instant(value: str) -> TimeExtent:
    stamp = zoned_iso(value.strip())  # full date-time with a zone: the common case, no regexes
    if stamp is not None:
        return build_time_extent(stamp, stamp, None, None, False, None)
    start, end, assumed = parse_time_value(value)
    return TimeExtent(start, end, assumed_utc=assumed)


def _href(el: etree._Element) -> str | None:
    value = el.get(HREF)
    return (value.strip() or None) if value is not None else None


class _Bounded(dict[str, Any]):
    """A dict forgetting its oldest entries past a limit (for `#id` references)."""

    def __setitem__(self, key: str, value: Any) -> None:
        if len(self) >= _REF_LIMIT and key not in self:
            del self[next(iter(self))]
        super().__setitem__(key, value)


@dataclass(slots=True)
class Header:
    """Everything of an observation except its result."""

    gml_id: str | None = None
    declared_type: str | None = None
    phenomenon: TimeExtent | None = None
    result_time: datetime | None = None
    procedure: str | None = None
    observed_property: str | None = None
    offering: str | None = None
    foi: str | None = None
    foi_title: str | None = None
    feature: FeatureOfInterest | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    result: etree._Element | None = None
    issues: list[str] = field(default_factory=list)


class Reader:
    """Decodes the members of one document, resolving its `#id` time and feature references."""

    def __init__(self, offering: str | None) -> None:
        self.offering = offering
        self.times: dict[str, TimeExtent] = {}
        self.instants: dict[bytes, int] = {}  # gml:id → µs of TimeInstants decoded on a fast path (made lazily)
        self.features: _Bounded = _Bounded()
        self.header_of: etree._Element | None = None
        self.header: Header | None = None
        self.tvp_meta: dict[str, Any] = {}

    # ------------------------------------------------------------------------------- header
    def header_for(self, obs: etree._Element) -> Header:
        """Everything of an om:OM_Observation except its result."""
        head = Header(gml_id=obs.get(GML_ID), offering=self.offering)
        for child in obs:
            tag = child.tag
            if tag == PHEN:
                head.phenomenon = self.time(child)
            elif tag == RTIME:
                extent = self.time(child)
                head.result_time = (extent.end or extent.start) if extent else None
            elif tag == TYPE:
                head.declared_type = _href(child)
            elif tag == PROC:
                head.procedure = _href(child) or _inline_id(child)
            elif tag == PROP:
                head.observed_property = _href(child) or text(child)
            elif tag == FOI:
                self._foi(child, head)
            elif tag == PARAM:
                self._parameter(child, head)
            elif tag == RESULT:
                head.result = child
        if head.phenomenon is not None and head.phenomenon.assumed_utc:
            head.issues.append("phenomenonTime without time zone: UTC assumed")
        return head

    def time(self, prop: etree._Element) -> TimeExtent | None:
        """A time property; the common `TimeInstant/timePosition` shape takes a cached fast path."""
        ref = prop.get(HREF)
        if ref is not None:
            key = ref.strip().lstrip("#")
            found = self.times.get(key)
            if found is None and (us := self.instants.get(key.encode())) is not None:
                found = TimeExtent(from_us(us), from_us(us))
            return found
        if len(prop):
            prim = prop[0]
            if prim.tag == INSTANT and len(prim):
                pos = prim[0]
                if pos.tag == POSITION and pos.text and pos.get("indeterminatePosition") is None:
                    extent = _instant(pos.text)
                    gml_id = prim.get(GML_ID)
                    if gml_id:
                        self.remember(gml_id, extent)
                    return extent
        found = time_property(prop, None)
        if found is not None and found.gml_id:
            self.remember(found.gml_id, found)
        return found

    def remember(self, gml_id: str, extent: TimeExtent) -> None:
        """A time primitive others may refer to by `#gml_id`."""
        if len(self.times) >= _REF_LIMIT:
            self.times.clear()  # local references point backwards a few elements: forget old ones
        self.times[gml_id] = extent

    def remember_instant(self, gml_id: bytes, us: int) -> None:
        """A TimeInstant seen on a fast path (no TimeExtent built unless something refers to it)."""
        if len(self.instants) >= _REF_LIMIT:
            self.instants.clear()
        self.instants[gml_id] = us

    def _foi(self, prop: etree._Element, head: Header) -> None:
        title = prop.get(TITLE)
        head.foi_title = (title.strip() or None) if title else None
        ref = _href(prop)
        inline = next((c for c in elements(prop) if is_feature(c)), None) if len(prop) else None
        if inline is not None:
            head.feature = parse_feature(inline)
            if head.feature.gml_id:
                self.features[head.feature.gml_id] = head.feature
        elif ref and ref.startswith("#"):
            head.feature = self.features.get(ref[1:])
        if head.feature is not None and head.feature.identifier:
            head.foi = head.feature.identifier
        else:
            head.foi = ref or head.foi_title  # tideelbe: only xlink:title (Q10)

    def _parameter(self, prop: etree._Element, head: Header) -> None:
        for nv in elements(prop):
            name_el = next((c for c in elements(nv) if local(c) == "name"), None)
            value_el = next((c for c in elements(nv) if local(c) == "value"), None)
            name = href(name_el) or text(name_el)
            if not name or value_el is None:
                continue
            inner = next(elements(value_el), None)
            value: Any = text(value_el) or href(value_el)
            if inner is not None:
                geo = geometry_property(value_el)
                value = geo.geometry if geo and geo.geometry else text(inner)
            head.parameters[name] = value
            if name == "offering" or name.endswith("/offering"):
                head.offering = str(value) if value is not None else head.offering

    # ------------------------------------------------------------------------------- results
    def complete(self, obs: etree._Element) -> Iterator[Observation]:
        """The observations of a whole om:OM_Observation (one per row of an array result)."""
        head = self.header_for(obs)
        result = head.result
        if result is None:
            return
        child = next(elements(result), None) if len(result) else None
        if child is None:
            kind, value, uom = decode_scalar(result, head.declared_type)
            raw = (result.text or "").strip()
            unread = (f"result value {raw[:40]!r} is not a {kind.rsplit('_', 1)[-1]}: kept as null",)
            yield self.make(head, kind, value, uom, None, unread if value is None and raw else ())
            return
        if local(child) == "DataArray" and ns_of(child) in (SWE20, SWE101):
            yield from self.array(head, child)
            return
        if local(child) in ("MeasurementTimeseries", "CategoryTimeseries") and ns_of(child) == WML2:
            return  # a time series without points
        kind, value, comp, issues = decode_element_result(child)
        if comp is None:
            comp = sos_observation_type_to_swe(kind, None, head.observed_property)
        yield self.make(head, kind, value, None, comp, issues)

    def array(self, head: Header, array: etree._Element) -> Iterator[Observation]:
        """One observation per row of a swe:DataArray result."""
        try:
            structure = component_to_json(array, values=False)
            encoding = structure.get("encoding") or {}
            if encoding.get("type") != "TextEncoding":
                raise SweError(f"unsupported DataArray encoding {encoding.get('type')}")
            plan = plan_rows(structure["elementType"], encoding)
            values = next((c.text or "" for c in elements(array) if local(c) == "values"), "")
            unit = (plan.value_component or {}).get("uom") or {}
            uom = unit.get("code") or unit.get("href")
            for row in decode_rows(plan, split_text_block(values, encoding)):
                phen = row.phenomenon_time or head.phenomenon
                issues = ("row time without zone: UTC assumed",) if phen and phen.assumed_utc else ()
                yield self.make(
                    head,
                    OM_SWE_ARRAY,
                    row.value,
                    uom,
                    plan.value_component,
                    issues,
                    phen,
                    row.result_time,
                    row.foi,
                )
        except (SweError, GmlError, KeyError, ValueError) as exc:
            raise UpstreamError(f"observation {head.gml_id}: unreadable DataArray result: {exc}") from exc

    def make(
        self,
        head: Header,
        kind: str,
        value: Any,
        uom: str | None,
        comp: JsonDict | None,
        issues: tuple[str, ...],
        phen: TimeExtent | None = None,
        result_time: datetime | None = None,
        foi: str | None = None,
    ) -> Observation:
        """The observation of a header and one value (row times, feature override the header's)."""
        phenomenon = phen or head.phenomenon or TimeExtent(None, None, "unknown", "unknown")
        if comp is None and kind != OM_SWE_ARRAY:
            comp = sos_observation_type_to_swe(kind, uom, head.observed_property)
        return build_observation(
            head.gml_id,
            head.declared_type,
            kind,
            head.procedure,
            head.observed_property,
            phenomenon,
            result_time or head.result_time or phenomenon.end,
            value,
            head.offering,
            foi or head.foi,
            head.foi_title,
            head.feature,
            uom,
            comp,
            head.parameters,
            (),
            (*head.issues, *issues) if head.issues or issues else (),
        )

    # ------------------------------------------------------------------------------- WaterML
    def point(self, tvp: etree._Element, kind: str) -> Observation | None:
        """The observation of a WaterML time-value pair (its series' header decoded once)."""
        series = tvp.getparent().getparent()
        obs = series.getparent().getparent() if series is not None else None
        if obs is None:
            return None
        if obs is not self.header_of:
            self.header_of, self.header = obs, self.header_for(obs)
            self.tvp_meta = _default_tvp(series)
            self.header.parameters.update(self.tvp_meta.get("parameters", {}))
        head = self.header
        assert head is not None
        meta = self.tvp_meta
        time_text = value_text = None
        uom, quality = meta.get("uom"), meta.get("quality", ())
        for child in elements(tvp):
            name = local(child)
            if name == "time":
                time_text = child.text
            elif name == "value":
                value_text = child.text
            elif name == "metadata":
                point_meta = _tvp_metadata(child)
                uom = point_meta.get("uom", uom)
                quality = point_meta.get("quality", quality)
        if not time_text:
            raise UpstreamError(f"observation {head.gml_id}: WaterML point without time")
        start, end, assumed = parse_time_value(time_text)
        value: Any = value_text.strip() if value_text and value_text.strip() else None
        if kind == OM_MEASUREMENT and value is not None:
            value = float(value)
        made = self.make(
            head,
            kind,
            value,
            uom,
            None,
            ("time without zone: UTC assumed",) if assumed else (),
            TimeExtent(start, end, assumed_utc=assumed),
        )
        return replace(made, quality=tuple(quality)) if quality else made


def _inline_id(prop: etree._Element) -> str | None:
    inner = next(elements(prop), None)
    if inner is None:
        return text(prop)
    ident = next((c for c in elements(inner) if local(c) == "identifier"), None)
    return text(ident) or inner.get(GML_ID)


def _tvp_metadata(meta: etree._Element) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for node in meta.iter():
        name = local(node)
        if name == "uom" and (code := node.get("code") or node.get(HREF)):
            out["uom"] = code.strip()
        elif name == "qualifier" and (ref := href(node) or (node.get(TITLE) or "").strip()):
            out.setdefault("quality", []).append(ref)
        elif name == "interpolationType" and (ref := href(node)):
            out.setdefault("parameters", {})["interpolationType"] = ref
    return out


def _default_tvp(series: etree._Element) -> dict[str, Any]:
    for child in elements(series):
        if local(child) == "defaultPointMetadata":
            return _tvp_metadata(child)
    return {}


def iter_observations(source: IO[bytes], *, offering: str | None = None) -> Iterator[Observation]:
    """Stream the observations of a GetObservation (or InsertObservation) document.

    Args:
        source: a binary file-like object (e.g. the harvester's streamed HTTP body).
        offering: the requested offering, used when an observation does not name its own.
    """
    reader = Reader(offering)
    for _, elem in iterparse_xml(source, events=("end",), tag=TAGS):
        tag = elem.tag
        if tag == OBS:
            if elem is reader.header_of:
                reader.header_of = reader.header = None
            else:
                yield from reader.complete(elem)
            release(elem)
        elif tag in TVPS:
            made = reader.point(elem, TVPS[tag])
            if made is not None:
                yield made
            release(elem)
        else:
            check_exception(envelope_of(elem))


__all__ = ["iter_observations"]
