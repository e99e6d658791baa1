"""Safe XML parsing for untrusted legacy responses (SOS, SPS).

Legacy services are not trusted: a document may carry a DTD with external entities (XXE)
or an entity-expansion bomb. No legitimate SOS/SPS response needs a DTD, so any document
with a DOCTYPE is refused before lxml sees it; the parser itself is also configured with
entity resolution, DTD loading and network access disabled, as a second line of defence.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Protocol

from lxml import etree

from bridge.errors import UpstreamError

_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_PROLOG_SCAN = 64 * 1024


class Readable(Protocol):
    """A binary stream (a file, an HTTP body adapter): all the parsers need."""

    def read(self, size: int = -1, /) -> bytes:
        """Up to `size` bytes (all the rest when negative); empty at the end."""
        ...


class XmlSecurityError(UpstreamError):
    """The document uses a DTD or entities: refused, never expanded."""

    code = "UnsafeXml"


class XmlSyntaxError(UpstreamError):
    """The document is not well-formed XML (truncated, garbled)."""

    code = "MalformedXml"


def parser_options() -> dict[str, Any]:
    """Keyword arguments of an lxml parser for untrusted documents (no entities, DTDs or network)."""
    return {
        "resolve_entities": False,
        "no_network": True,
        "load_dtd": False,
        "dtd_validation": False,
        "huge_tree": False,
        "remove_blank_text": False,
    }


def check_prolog(head: bytes) -> bool:
    """Refuse a document whose prolog (the bytes before the root element) declares a DTD.

    Returns True once the root element start was seen in `head` (the prolog is complete).
    """
    pos = 0
    while True:
        lt = head.find(b"<", pos)
        if lt < 0 or lt + 1 >= len(head):
            return False
        if _DOCTYPE.match(head, lt):
            raise XmlSecurityError("XML document declares a DTD (<!DOCTYPE>); refused to prevent XXE/entity expansion")
        if head.startswith(b"<?", lt):
            end = head.find(b"?>", lt)
        elif head.startswith(b"<!--", lt):
            end = head.find(b"-->", lt)
        elif head.startswith(b"<!", lt):
            end = head.find(b">", lt)
        else:
            return True  # root element reached
        if end < 0:
            return False
        pos = end + 1


def parse_xml(data: bytes) -> etree._Element:
    """Parse a whole (small) document safely and return its root element."""
    check_prolog(data[:_PROLOG_SCAN])
    parser = etree.XMLParser(**parser_options())
    try:
        root = etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise XmlSyntaxError(f"malformed XML: {exc}") from exc
    if root is None:
        raise XmlSyntaxError("empty XML document")
    return root


class _PrologGuard:
    """File wrapper that checks the prolog before lxml parses past it."""

    def __init__(self, source: Readable) -> None:
        self._source = source
        self._head: bytes | None = b""

    def read(self, size: int = -1) -> bytes:
        chunk = self._source.read(size)
        if self._head is not None:
            self._head += chunk
            if check_prolog(self._head[:_PROLOG_SCAN]) or not chunk or len(self._head) >= _PROLOG_SCAN:
                self._head = None
        return chunk


def iterparse_xml(
    source: Readable, events: tuple[str, ...] = ("end",), tag: Any = None
) -> Iterator[tuple[str, etree._Element]]:
    """Stream a large document safely (`lxml.etree.iterparse` with hostile-input guards).

    Callers clear elements they have consumed to keep memory flat.
    """
    context = etree.iterparse(_PrologGuard(source), events=events, tag=tag, **parser_options())
    try:
        yield from context
    except etree.XMLSyntaxError as exc:
        raise XmlSyntaxError(f"malformed XML: {exc}") from exc


def text(element: etree._Element | None) -> str | None:
    """Stripped text of an element, or None when absent or blank (legacy servers pad values)."""
    if element is None or element.text is None:
        return None
    value = element.text.strip()
    return value or None
