"""Byte-level fast lane for GetObservation responses made of plain OM_Measurement members.

Building an lxml tree costs more than everything else the harvester does with a measurement, so a
response whose root is `sos:GetObservationResponse` is read as bytes: each `sos:observationData` member
is matched against one strict, anchored pattern of the dominant shape (52°North and most SOS 2.0
servers: TimeInstant phenomenon time with a zone, resultTime referring to it, procedure, observed
property and feature by reference, a `gml:MeasureType` result). The pattern accepts only a subset of
well-formed XML — no entity or character references, no comments, no CDATA, no control characters,
attribute values without whitespace normalisation, element names bound to the namespaces the root
declares — so a match means the member is exactly what lxml would have read.

Once a member matched, later members written the very same way are matched by a much cheaper pattern
made of that member's literal markup (`_Template`). Any member that does not match is parsed with lxml
on its own (wrapped in the root's start tag, so its prefixes resolve), and anything unexpected between
members (an extension, a comment) — as well as the end of the document — hands the rest to lxml. Nothing
is ever decoded more loosely than by the lxml path; the first member always takes the general decoder,
which gives the stream its structure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Generator, Iterator
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from lxml import etree

from bridge.model.time import zoned_iso_us
from bridge.sources.sos2.ns import GML32, GML311, OM20, SOS20, XLINK, XSI
from bridge.sources.sos2.observations.tags import TAGS
from bridge.sources.xml import Readable, XmlSyntaxError, check_prolog, parser_options

if TYPE_CHECKING:
    from bridge.sources.sos2.observations.stream import StreamState

Record = tuple[Any, ...]  # a `CompactRow` or an `ObservationRecord` (bridge.model.legacy.sos2)
Fallback = Callable[[etree._Element], Iterator[Record]]

_CHUNK = 1 << 20
_S = rb"[ \t\r\n]"
_PLAIN = rb"[^\"<&\t\r\n\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\xff]*"  # ASCII lxml returns as is
_VALUE = rb'"(' + _PLAIN + rb')"'
_TEXT = rb"([^<&\]\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\xff]*)"  # ASCII character data, no references, CDATA, ]]>
_NAME = rb"[A-Za-z_][A-Za-z0-9_.-]*"
_HEAD = re.compile(
    rb"\A(?:\xef\xbb\xbf)?" + _S + rb"*(<\?xml" + _S + rb"[^<>?]*\?>)?" + _S + rb"*"
    rb"<((?:" + _NAME + rb":)?GetObservationResponse)((?:" + _S + rb"+" + _NAME + rb"(?::" + _NAME + rb")?"
    + _S + rb"*=" + _S + rb'*"[^"<&]*")*)' + _S + rb"*>"
)  # fmt: skip
_ATTR = re.compile(_S + rb"*(" + _NAME + rb"(?::" + _NAME + rb")?)" + _S + rb"*=" + _S + rb'*"([^"<&]*)"')
_UTF8 = re.compile(rb"encoding" + _S + rb"*=" + _S + rb"*[\"'](?:utf-?8|us-ascii)[\"']", re.IGNORECASE)
_SKIP = re.compile(_S + rb"+")


def _attributes(raw: bytes) -> dict[str, str] | None:
    """Attributes of a start tag as {qualified name: value}; None when a name repeats (not well-formed)."""
    out: dict[str, str] = {}
    for name, value in _ATTR.findall(raw):
        key = name.decode("ascii")
        if key in out:
            return None
        out[key] = value.decode("utf-8")
    return out


def _declarations(attrs: dict[str, str]) -> dict[str, str]:
    """Namespace declarations of a start tag: prefix ('' = default) → URI."""
    return {k.partition(":")[2]: v for k, v in attrs.items() if k == "xmlns" or k.startswith("xmlns:")}


def _prefix(nsmap: dict[str, str], uri: str) -> bytes | None:
    """`p:` (or b"" for the default namespace) naming `uri` in the root's declarations."""
    found = next((p for p, u in nsmap.items() if u == uri and p), None)
    if found is not None:
        return found.encode("ascii") + b":"
    return b"" if nsmap.get("") == uri else None


@lru_cache(maxsize=16)
def _member_pattern(sos: bytes, om: bytes, gml: bytes, xlink: bytes) -> re.Pattern[bytes]:
    """The dominant member shape with this document's prefixes."""
    s, o, g, x = (re.escape(p) for p in (sos, om, gml, xlink))

    def empty(element: bytes, attr: bytes) -> bytes:  # <om:x xlink:attr="…"/>
        return rb"<" + o + element + _S + rb"+" + x + attr + rb"=" + _VALUE + _S + rb"*/>" + _S + rb"*"

    return re.compile(
        rb"<" + s + rb"observationData" + _S + rb"*>" + _S + rb"*"
        rb"<" + o + rb"OM_Observation" + _S + rb"+" + g + rb"id=" + _VALUE + _S + rb"*>" + _S + rb"*"
        rb"(?:" + empty(rb"type", rb"href") + rb")?"
        rb"<" + o + rb"phenomenonTime" + _S + rb"*>" + _S + rb"*"
        rb"<" + g + rb"TimeInstant" + _S + rb"+" + g + rb"id=" + _VALUE + _S + rb"*>" + _S + rb"*"
        rb"<" + g + rb"timePosition" + _S + rb"*>" + _TEXT + rb"</" + g + rb"timePosition" + _S + rb"*>" + _S + rb"*"
        rb"</" + g + rb"TimeInstant" + _S + rb"*>" + _S + rb"*</" + o + rb"phenomenonTime" + _S + rb"*>" + _S + rb"*"
        + empty(rb"resultTime", rb"href")
        + empty(rb"procedure", rb"href")
        + empty(rb"observedProperty", rb"href")
        + rb"<" + o + rb"featureOfInterest" + _S + rb"+" + x + rb"href=" + _VALUE
        + rb"(?:" + _S + rb"+" + x + rb"title=" + _VALUE + rb")?" + _S + rb"*/>" + _S + rb"*"
        rb"<" + o + rb"result((?:" + _S + rb"+" + _NAME + rb"(?::" + _NAME + rb')?="' + _PLAIN + rb'")*)'
        + _S + rb"*>" + _TEXT
        + rb"</" + o + rb"result" + _S + rb"*>" + _S + rb"*"
        rb"</" + o + rb"OM_Observation" + _S + rb"*>" + _S + rb"*</" + s + rb"observationData" + _S + rb"*>"
    )  # fmt: skip


class _Document:
    """The root element of a response read as bytes: its start tag, namespaces and member pattern."""

    def __init__(self, start_tag: bytes, qname: bytes, nsmap: dict[str, str], prefixes: tuple[bytes, ...]) -> None:
        self.start_tag = start_tag
        self.qname = qname
        self.nsmap = nsmap
        self.om = prefixes[1]
        self.member_start = b"<" + prefixes[0] + b"observationData"
        self.member_end = b"</" + prefixes[0] + b"observationData"
        self.root_end = re.compile(rb"</" + re.escape(self.qname) + _S + rb"*>")
        self.pattern = _member_pattern(*prefixes)
        self.results: dict[bytes, bool] = {}

    @classmethod
    def read(cls, head: bytes) -> _Document | None:
        """The document when its head is a plain UTF-8 GetObservationResponse start tag, else None."""
        match = _HEAD.match(head)
        if match is None or (match.group(1) and b"encoding" in match.group(1) and not _UTF8.search(match.group(1))):
            return None
        attrs = _attributes(match.group(3))
        if attrs is None:
            return None
        nsmap = _declarations(attrs)
        root_prefix = match.group(2).decode("ascii").rpartition(":")[0]
        if nsmap.get(root_prefix) != SOS20:
            return None
        prefixes = [_prefix(nsmap, uri) for uri in (SOS20, OM20, GML32, XLINK)]
        known = tuple(p for p in prefixes if p is not None)
        if len(known) != len(prefixes):
            return None
        start_tag, qname = match.group(0)[match.start(2) - 1 :], match.group(2)
        try:  # the start tag must be what lxml accepts (valid declarations, names)
            etree.fromstring(start_tag + b"</" + qname + b">", etree.XMLParser(**parser_options()))
        except etree.XMLSyntaxError:
            return None
        return cls(start_tag, qname, nsmap, known)

    def plain_result(self, raw: bytes) -> bool:
        """The `om:result` attributes are exactly a gml MeasureType declaration (+ `uom`, namespace declarations)."""
        known = self.results.get(raw)
        if known is None:
            known = self.results[raw] = self._plain_result(raw)
        return known

    def _plain_result(self, raw: bytes) -> bool:
        attrs = _attributes(raw)
        if attrs is None:
            return False
        nsmap = self.nsmap | _declarations(attrs)
        if nsmap.get(self.om.decode("ascii")[:-1] if self.om else "") != OM20:
            return False  # the element itself was renamed by a declaration
        kind = None
        for name, value in attrs.items():
            prefix, _, local = name.rpartition(":")
            if name == "xmlns" or prefix == "xmlns" or name == "uom":
                continue
            if local == "type" and prefix and nsmap.get(prefix) == XSI and kind is None:
                kind = value
                continue
            return False
        if kind is None:
            return False
        type_prefix, _, type_name = kind.strip().rpartition(":")
        return type_name == "MeasureType" and nsmap.get(type_prefix) in (GML32, GML311)


class _Chain:
    """Bytes already read, then the rest of the source (what lxml reads when it takes over)."""

    def __init__(self, parts: list[bytes], source: Readable) -> None:
        self.parts = [p for p in parts if p]
        self.source = source

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            rest, self.parts = b"".join(self.parts) + self.source.read(), []
            return rest
        if self.parts:
            part = self.parts[0]
            if size < len(part):
                self.parts[0] = part[size:]
                return part[:size]
            del self.parts[0]
            return part
        return self.source.read(size)


# Groups of the member pattern that vary from member to member (the rest is the same for a whole stream):
# gml:id of the observation and of its instant, the time, the resultTime reference, the feature, its title,
# the value, with the character classes the member pattern allows for them.
_ATTR_VALUE = rb"(" + _PLAIN + rb")"  # inside its quotes, which stay in the literal markup
_VARYING = {1: _ATTR_VALUE, 3: _ATTR_VALUE, 4: _TEXT, 5: _ATTR_VALUE, 8: _ATTR_VALUE, 9: _ATTR_VALUE, 11: _TEXT}


@lru_cache(maxsize=32)
def _template_pattern(pieces: tuple[bytes, ...], groups: tuple[int, ...]) -> re.Pattern[bytes]:
    parts = [re.escape(pieces[0])]
    for piece, group in zip(pieces[1:], groups, strict=True):
        parts += [_VARYING[group], re.escape(piece)]
    return re.compile(b"".join(parts))


class _Template:
    """A matched member, its markup between the varying values taken literally (with the blank space before
    it): later members written the very same way (the usual case: one server, one stream) are matched by this
    much cheaper pattern — a special case of the member pattern, so it accepts nothing that one would not."""

    def __init__(self, match: re.Match[bytes], lead: bytes) -> None:
        pieces: list[bytes] = []
        groups: list[int] = []
        cursor = match.start()
        for group in _VARYING:
            if match.start(group) < 0:  # an optional value absent from this member
                continue
            pieces.append(match.string[cursor : match.start(group)])
            groups.append(group)
            cursor = match.end(group)
        pieces.append(match.string[cursor : match.end()])
        pieces[0] = lead + pieces[0]
        self.match = _template_pattern(tuple(pieces), tuple(groups)).match
        self.title = 9 in groups


class _Scanner:
    """Walks the members of one response held in a sliding buffer."""

    def __init__(self, source: Readable, state: StreamState, fallback: Fallback) -> None:
        self.source = source
        self.state = state
        self.fallback = fallback
        self.buf = b""
        self.eof = False
        self.proc = state.procedure.encode("utf-8")
        self.prop = state.prop.encode("utf-8")
        self.features: dict[bytes, str | None] = {}

    def more(self, pos: int) -> int | None:
        """Drop what is before `pos` and read the next chunk: the new position, or None at the end."""
        if self.eof:
            return None
        chunk = self.source.read(_CHUNK)
        if not chunk:
            self.eof = True
            return None
        self.buf = self.buf[pos:] + chunk
        return 0

    def records(self) -> Generator[Record, None, Readable]:
        """Yield the records of the members read as bytes; return the rest of the document, for lxml."""
        while len(self.buf) < 4096 and self.more(0) is not None:
            pass
        check_prolog(self.buf[:65536])
        doc = _Document.read(self.buf[:65536])
        if doc is None:
            return _Chain([self.buf], self.source)
        pos = _HEAD.match(self.buf).end()  # type: ignore[union-attr]
        template: _Template | None = None
        while True:
            buf = self.buf
            if template is not None and (same := template.match(buf, pos)) is not None:  # the hot path, inline
                if template.title:
                    _, phen, when, ref, foi, title, value = same.groups()
                else:
                    _, phen, when, ref, foi, value = same.groups()
                    title = None
                record = self._record(phen, when, ref, foi, title, value)
                if record is not None:
                    yield record
                    pos = same.end()
                    continue
            step = yield from self._other(doc, pos)
            if isinstance(step, _Chain):
                return step
            pos, template = step[0], step[1] or template

    def _other(self, doc: _Document, pos: int) -> Generator[Record, None, tuple[int, _Template | None] | _Chain]:
        """Anything but a member written like the last one: white space, more bytes, a first or odd member
        (its records are yielded), or the end of what can be read as bytes (the rest of the document)."""
        buf, lead = self.buf, pos
        if (blank := _SKIP.match(buf, pos)) is not None:
            pos = blank.end()
        if pos >= len(buf) - 64 and (moved := self.more(lead)) is not None:
            return moved, None
        if buf.startswith(doc.member_start, pos):
            found = None if self.state.first else doc.pattern.match(buf, pos)
            record = None if found is None else self._matched(doc, found)
            if found is not None and record is not None:
                yield record
                return found.end(), _Template(found, buf[lead:pos])
            stop = self._member_stop(doc, pos)
            if stop is None:
                if (moved := self.more(lead)) is not None:
                    return moved, None
                return _Chain([doc.start_tag, buf[pos:]], self.source)  # truncated: lxml says so
            yield from self._fragment(doc, pos, stop)
            return stop, None
        if (end_tag := doc.root_end.match(buf, pos)) is not None:  # lxml judges what may follow it
            return _Chain([doc.start_tag, buf[end_tag.start() :]], self.source)
        return _Chain([doc.start_tag, buf[pos:]], self.source)  # an extension, a comment…: lxml reads the rest

    def _matched(self, doc: _Document, found: re.Match[bytes]) -> Record | None:
        """The record of a member the member pattern matched (None: the general decoder reads it)."""
        if not doc.plain_result(found.group(10)):
            return None
        if found.group(6).strip() != self.proc or found.group(7).strip() != self.prop:
            return None
        phen, when, ref, foi, title, value = found.group(3, 4, 5, 8, 9, 11)
        return self._record(phen, when, ref, foi, title, value)

    def _member_stop(self, doc: _Document, pos: int) -> int | None:
        end = self.buf.find(doc.member_end, pos)
        close = self.buf.find(b">", end) if end >= 0 else -1
        return close + 1 if close >= 0 else None

    def _fragment(self, doc: _Document, pos: int, stop: int) -> Iterator[Record]:
        """A member of another shape: parsed by lxml on its own, in the root's namespace context."""
        wrapped = doc.start_tag + self.buf[pos:stop] + b"</" + doc.qname + b">"
        try:
            root = etree.fromstring(wrapped, etree.XMLParser(**parser_options()))
        except etree.XMLSyntaxError as exc:
            raise XmlSyntaxError(f"malformed XML: {exc}") from exc
        for _, elem in etree.iterwalk(root, events=("end",), tag=TAGS):
            yield from self.fallback(elem)

    def _record(
        self, phen_id: bytes, when: bytes, ref: bytes, foi: bytes, title: bytes | None, value: bytes
    ) -> Record | None:
        """The compact row of a plain member's values, or None when one needs the general decoder."""
        if ref != b"#" + phen_id and ref.strip() != b"#" + phen_id:
            return None
        feature = self.features.get(foi, False)
        if feature is False:
            feature = self._feature(foi)
        if feature is None:
            return None
        us = zoned_iso_us(when.strip().decode("ascii"))  # the member pattern lets ASCII text only through
        if us is None:
            return None
        try:
            number: float | None = float(value)
        except ValueError:
            if value.strip():
                return None
            number = None
        state = self.state
        state.reader.remember_instant(phen_id, us)
        label = (title.strip().decode("ascii") or None) if title is not None else None
        return (us, us, us, feature, number, state.numbers.next(us, (feature, us)), label)

    def _feature(self, raw: bytes) -> str | None:
        """A feature reference as the lxml path reads it (None: by local `#id`, or empty)."""
        if len(self.features) > 4096:
            self.features.clear()
        name = raw.strip().decode("ascii")
        found = self.features[raw] = name if name and name[0] != "#" else None
        return found


def scan_records(source: Readable, state: StreamState, fallback: Fallback) -> Generator[Record, None, Readable]:
    """Yield the records of the members read as bytes; return the rest of the document, for lxml."""
    return (yield from _Scanner(source, state, fallback).records())
