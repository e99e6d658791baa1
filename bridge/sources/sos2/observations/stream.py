"""A fast path through GetObservation responses for the dominant shape: scalar OM_Measurement members.

`iter_stream_records` streams a response like `iter_observations`, but a member that is a plain
measurement of the requested procedure and property — TimeInstant phenomenon time with a zone,
resultTime referring to it, feature by reference, gml:MeasureType result, nothing else — becomes a
compact row `(phenomenon_us, end_us, result_us, foi, value, seq, foi_title)` without building an
`Observation`. Every other member (and the first one, which gives the stream its structure) goes
through the general decoder and is yielded as `(Observation, seq)`. Both forms map to the same rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from lxml import etree

from bridge.errors import UpstreamError
from bridge.model.legacy.sos2 import OM_SWE_ARRAY, TimeExtent
from bridge.model.time import from_us, to_us, zoned_iso_us
from bridge.sources.gml import GmlError
from bridge.sources.sos2.exceptions import check_exception
from bridge.sources.sos2.ns import GML32, GML311, GML_ID, HREF, SWE20, SWE101, TITLE, XSI_TYPE, elements, local, ns_of
from bridge.sources.sos2.observations.arrays import RowPlan, plan_rows
from bridge.sources.sos2.observations.compact import compact_plan, compact_rows
from bridge.sources.sos2.observations.decoder import Header, Reader
from bridge.sources.sos2.observations.numbering import Numbering
from bridge.sources.sos2.observations.scan import Record, scan_records
from bridge.sources.sos2.observations.tags import (
    FOI,
    INSTANT,
    OBS,
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
from bridge.sources.swe_xml import SweError, component_to_json
from bridge.sources.xml import iterparse_xml

_GML = (GML32, GML311)


_NOT_A_MEASURE = object()


def _measure(result: etree._Element) -> Any:
    """The value of a plain gml:MeasureType result (None when empty), else `_NOT_A_MEASURE`."""
    kind = result.get(XSI_TYPE)
    if len(result) or kind is None:
        return _NOT_A_MEASURE
    prefix, _, name = kind.strip().rpartition(":")
    if name != "MeasureType" or result.nsmap.get(prefix or None) not in _GML:
        return _NOT_A_MEASURE
    text = result.text
    try:
        return float(text) if text is not None and text.strip() else None
    except ValueError:
        return _NOT_A_MEASURE  # not a number: the general decoder says what it is


class _Measurement:
    """The parts of a plain measurement member, read child by child (`take` is False when it is not one)."""

    __slots__ = ("foi", "phen_id", "procedure", "prop", "result", "title", "when")

    def __init__(self, procedure: str, prop: str) -> None:
        self.procedure, self.prop = procedure, prop
        self.when: str | None = None
        self.phen_id: str | None = None
        self.foi: str = ""
        self.title: str | None = None
        self.result: Any = _NOT_A_MEASURE

    def take(self, child: etree._Element) -> bool:
        """Read one child; False for anything the general decoder must read (parameters, references…)."""
        tag = child.tag
        if tag == PHEN:
            return self._phenomenon_time(child)
        if tag == RTIME:
            ref = child.get(HREF)
            return ref is not None and self.phen_id is not None and ref.strip() == "#" + self.phen_id
        if tag in (PROC, PROP):
            return (child.get(HREF) or "").strip() == (self.procedure if tag == PROC else self.prop)
        if tag == FOI:
            self.foi = str(child.get(HREF) or "").strip()
            self.title = str(child.get(TITLE) or "").strip() or None
            return not len(child) and bool(self.foi) and self.foi[0] != "#"
        if tag == RESULT:
            self.result = _measure(child)
            return bool(self.result is not _NOT_A_MEASURE)
        return bool(tag == TYPE)

    def _phenomenon_time(self, child: etree._Element) -> bool:
        if len(child) != 1 or child[0].tag != INSTANT or len(child[0]) != 1:
            return False
        position = child[0][0]
        if position.tag != POSITION or position.get("indeterminatePosition") is not None:
            return False
        self.when, self.phen_id = position.text, child[0].get(GML_ID)
        return True


def _measurement(
    reader: Reader, elem: etree._Element, procedure: str, prop: str
) -> tuple[int, str | None, Any, str | None] | None:
    """(time µs, feature, value, feature title) of a plain measurement member, else None."""
    parts = _Measurement(procedure, prop)
    for child in elem:
        if not parts.take(child):
            return None
    if parts.when is None or parts.result is _NOT_A_MEASURE:
        return None
    us = zoned_iso_us(parts.when.strip())
    if us is None:
        return None
    if parts.phen_id:
        reader.remember_instant(parts.phen_id.encode(), us)
    return us, parts.foi, parts.result, parts.title


_OFFERING_KEYS = ("offering", "http://www.opengis.net/def/param-name/OGC-OM/2.0/offering")
_SCALARS = ("Quantity", "Count", "Boolean", "Category", "Text")


def _array_records(
    reader: Reader, elem: etree._Element, procedure: str, prop: str, numbers: Numbering
) -> Iterator[Record] | None:
    """Rows of a plain DataArray result (one time column, one scalar value) as compact rows, else None.

    The first row is yielded as a decoded `(Observation, seq)` so the stream learns its structure.
    """
    result = next((c for c in elem if c.tag == RESULT), None)
    array = next(elements(result), None) if result is not None and len(result) else None
    if array is None or local(array) != "DataArray" or ns_of(array) not in (SWE20, SWE101):
        return None
    head = reader.header_for(elem)
    if head.procedure != procedure or head.observed_property != prop:
        return None
    if any(k not in _OFFERING_KEYS for k in head.parameters):
        return None
    try:
        structure = component_to_json(array, values=False)
        encoding = structure.get("encoding") or {}
        plan = plan_rows(structure["elementType"], encoding)
    except (SweError, GmlError, KeyError, ValueError):
        return None
    value = plan.value_component or {}
    if not compact_plan(plan) or value.get("type") not in _SCALARS:
        return None
    text = next((c.text or "" for c in elements(array) if local(c) == "values"), "")
    return _array_rows(reader, head, plan, text, numbers)


def _array_rows(reader: Reader, head: Header, plan: RowPlan, text: str, numbers: Numbering) -> Iterator[Record]:
    foi = head.foi if head.foi and head.foi[0] != "#" else None
    default_result = None if head.result_time is None else to_us(head.result_time)
    unit = (plan.value_component or {}).get("uom") or {}
    first = True
    try:
        for row in compact_rows(text, plan, foi, default_result, numbers.next):
            start, end, result_us, row_foi, value, seq, _ = row
            if first:
                first = False
                phen = TimeExtent(from_us(start), from_us(end))
                obs = reader.make(head, OM_SWE_ARRAY, value, unit.get("code") or unit.get("href"),
                                  plan.value_component, (), phen, from_us(result_us), row_foi)  # fmt: skip
                yield (obs, seq)
            else:
                yield (start, end, result_us, row_foi, value, seq, head.foi_title)
    except (SweError, GmlError, ValueError) as exc:
        raise UpstreamError(f"observation {head.gml_id}: unreadable DataArray result: {exc}") from exc


@dataclass(slots=True)
class StreamState:
    """What decoding one stream's response carries from member to member."""

    procedure: str
    prop: str
    reader: Reader
    numbers: Numbering = field(default_factory=Numbering)
    first: bool = True  # the first member goes through the general decoder: it gives the stream its structure


def iter_stream_records(source: IO[bytes], *, offering: str | None, procedure: str, prop: str) -> Iterator[Record]:
    """Records of one stream's GetObservation response: compact rows and `(Observation, seq)` pairs.

    Members of the dominant shape are matched on the raw bytes (`scan`); the rest of the document,
    or all of it when its shape is not the common one, is parsed with lxml.
    """
    state = StreamState(procedure, prop, Reader(offering))
    rest = yield from scan_records(source, state, lambda elem: element_records(elem, state))
    for _, elem in iterparse_xml(rest, events=("end",), tag=TAGS):
        yield from element_records(elem, state)


def element_records(elem: etree._Element, state: StreamState) -> Iterator[Record]:
    """Records of one parsed element (an observation, a WaterML point, or an exception report)."""
    reader, numbers, tag = state.reader, state.numbers, elem.tag
    if tag == OBS:
        if elem is reader.header_of:
            reader.header_of = reader.header = None
        else:
            fast = None if state.first else _measurement(reader, elem, state.procedure, state.prop)
            rows = None if fast is not None else _array_records(reader, elem, state.procedure, state.prop, numbers)
            if fast is not None:
                when, foi, value, title = fast
                yield (when, when, when, foi, value, numbers.next(when, (foi, when)), title)
            elif rows is not None:
                yield from rows
                state.first = False
            else:
                for obs in reader.complete(elem):
                    yield (obs, numbers.streamed(obs))
                    state.first = False
        release(elem)
    elif tag in TVPS:
        made = reader.point(elem, TVPS[tag])
        if made is not None:
            yield (made, numbers.streamed(made))
        release(elem)
    else:
        check_exception(envelope_of(elem))
