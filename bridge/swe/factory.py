"""Building codecs: `make_codec`, and default encodings so every format can be offered for a schema."""

from __future__ import annotations

from bridge.swe.codec import SWE_BINARY, SWE_CSV, SWE_JSON, SWE_TEXT, RecordCodec, canonical_media_type
from bridge.swe.codec_binary import BinaryCodec
from bridge.swe.codec_json import JsonCodec
from bridge.swe.codec_text import TextCodec
from bridge.swe.components import (
    RANGES,
    SCALARS,
    Boolean,
    Category,
    CategoryRange,
    Component,
    Count,
    CountRange,
    DataArray,
    Text,
    Time,
    TimeRange,
)
from bridge.swe.encodings import (
    DATA_TYPE_PREFIX,
    BinaryComponent,
    BinaryEncoding,
    BinaryMember,
    Encoding,
    JSONEncoding,
    TextEncoding,
)
from bridge.swe.errors import SweSchemaError


def make_codec(record_schema: Component, encoding: Encoding, media_type: str | None = None) -> RecordCodec:
    """Compile a codec for `record_schema` in `encoding` (SweSchemaError if they do not fit).

    `media_type` overrides the advertised type (e.g. 'application/swe+text' for CSV separators).
    """
    codec: RecordCodec
    if isinstance(encoding, JSONEncoding):
        codec = JsonCodec(record_schema, encoding)
    elif isinstance(encoding, TextEncoding):
        codec = TextCodec(record_schema, encoding)
    elif isinstance(encoding, BinaryEncoding):
        codec = BinaryCodec(record_schema, encoding)
    else:
        raise SweSchemaError("$.encoding", f"no codec for {encoding.TYPE or type(encoding).__name__}")
    if media_type is not None:
        codec.media_type = canonical_media_type(media_type)
    return codec


def json_encoding() -> JSONEncoding:
    """The JSONEncoding used for application/swe+json (records as objects)."""
    return JSONEncoding()


def csv_encoding() -> TextEncoding:
    """The TextEncoding of application/swe+csv: ',' between values, '\\n' after each record."""
    return TextEncoding(token_separator=",", block_separator="\n", decimal_separator=".", collapse_white_spaces=True)


def default_text_encoding() -> TextEncoding:
    """The TextEncoding offered for application/swe+text (the CSV separators)."""
    return csv_encoding()


def _data_type(c: Component) -> str | None:
    if isinstance(c, Count | CountRange):
        return "signedLong"
    if isinstance(c, Boolean):
        return "unsignedByte"
    if isinstance(c, Text | Category | CategoryRange):
        return "string-utf-8"
    if isinstance(c, Time | TimeRange):
        return "string-utf-8" if c.is_iso else "double"
    if isinstance(c, SCALARS + RANGES):
        return "double"
    return None


def _members(c: Component, ref: str, out: list[BinaryMember]) -> None:
    data_type = _data_type(c)
    if data_type is not None:
        out.append(BinaryComponent(ref=ref or "/", data_type=DATA_TYPE_PREFIX + data_type))
        return
    if isinstance(c, DataArray):
        name = c.element_type.name
        _members(c.element_type, f"{ref}/{name}" if name else ref, out)
        return
    for child in c.children():
        _members(child, f"{ref}/{child.name}", out)


def default_binary_encoding(record_schema: Component) -> BinaryEncoding:
    """A BinaryEncoding for any schema: big-endian raw; double for quantities and numeric times,
    signedLong for counts, string-utf-8 for text, categories and ISO times, one byte for booleans."""
    members: list[BinaryMember] = []
    _members(record_schema, "", members)
    return BinaryEncoding(byte_order="bigEndian", byte_encoding="raw", members=members)


def encoding_for(media_type: str, record_schema: Component) -> Encoding:
    """The default encoding of a SWE media type (aliases accepted); SweSchemaError if not a SWE type."""
    kind = canonical_media_type(media_type)
    if kind == SWE_JSON:
        return json_encoding()
    if kind == SWE_CSV:
        return csv_encoding()
    if kind == SWE_TEXT:
        return default_text_encoding()
    if kind == SWE_BINARY:
        return default_binary_encoding(record_schema)
    raise SweSchemaError("$", f"'{media_type}' is not a SWE Common media type")
