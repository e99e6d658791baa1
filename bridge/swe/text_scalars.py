"""Text-encoding form of scalar values: one formatter and one parser per leaf component."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bridge.swe.components import (
    Boolean,
    Category,
    CategoryRange,
    Component,
    Count,
    CountRange,
    Geometry,
    Quantity,
    QuantityRange,
    Text,
    Time,
    TimeRange,
)
from bridge.swe.encodings import TextEncoding
from bridge.swe.geometry import from_wkt, to_wkt
from bridge.swe.scalars import iso_in, iso_out, numeric_time_in, to_int

Fmt = Callable[[Any], str]
Parse = Callable[[str], Any]
WHITE_SPACE = " \t\r\n"

# Text tokens written for non-finite numbers (XML Schema xs:double) and every spelling accepted back.
_TEXT_OF_SPECIAL = {
    "nan": "NaN",
    "inf": "INF",
    "-inf": "-INF",
    "NaN": "NaN",
    "Infinity": "INF",
    "+Infinity": "INF",
    "-Infinity": "-INF",
}
# Only the xs:double spellings the encoders write are read back: Python's float() would also take "nan",
# "Infinity", "1e999" (an overflow), "١٢" (non-ASCII digits) or "1_0", none of which is a SWE number.
_SPECIAL_OF_TEXT = {"NaN": "NaN", "INF": "+Infinity", "+INF": "+Infinity", "-INF": "-Infinity"}
_BOOLEANS = {"true": True, "false": False, "1": True, "0": False}


def _fmt_number(v: Any) -> str:
    cls = v.__class__
    if cls is float:
        text = repr(v)
        return text if text[-1] <= "9" else _TEXT_OF_SPECIAL[text]
    if cls is int:
        return repr(v)
    if cls is str:
        return _TEXT_OF_SPECIAL[v]
    raise TypeError(f"expected a number, got {v!r}")


number_text = _fmt_number  # public: the text of a number in SWE text encodings (used by fast writers)


def _parse_number(tok: str) -> Any:
    try:
        x = float(tok)
    except ValueError:
        raise ValueError(f"'{tok}' is not a number") from None
    if x - x == 0.0 and tok.isascii() and "_" not in tok:
        return x
    special = _SPECIAL_OF_TEXT.get(tok.strip())
    if special is None:
        raise ValueError(f"'{tok}' is not a number (finite decimal, or NaN, INF, -INF)")
    return special


def number_formatter(decimal: str, convert: Callable[[Any], Any] | None = None) -> Fmt:
    """Formatter of numbers (and special strings) with the given decimal separator."""
    if decimal == "." and convert is None:
        return _fmt_number

    def fmt(v: Any) -> str:
        text = _fmt_number(v if convert is None else convert(v))
        return text if decimal == "." else text.replace(".", decimal)

    return fmt


def number_parser(decimal: str) -> Parse:
    """Parser of numbers: floats (JSON form, non-finite as special strings)."""
    if decimal == ".":
        return _parse_number

    def parse(tok: str) -> Any:
        if "." in tok:
            raise ValueError(f"'{tok}' is not a number (the decimal separator is {decimal!r})")
        return _parse_number(tok.replace(decimal, "."))

    return parse


def _fmt_count(v: Any) -> str:
    return repr(to_int(v))


def _parse_count(tok: str) -> int:
    try:
        if "_" in tok or not tok.isascii():
            raise ValueError
        return int(tok)
    except ValueError:
        raise ValueError(f"'{tok}' is not an integer") from None


def _fmt_bool(v: Any) -> str:
    if v is True:
        return "true"
    if v is False:
        return "false"
    raise TypeError(f"expected true or false, got {v!r}")


def _parse_bool(tok: str) -> bool:
    try:
        return _BOOLEANS[tok]
    except KeyError:
        raise ValueError(f"'{tok}' is not a boolean (true or false)") from None


def _parse_iso(tok: str) -> str:
    try:
        return iso_in(tok)
    except ValueError:
        special = _SPECIAL_OF_TEXT.get(tok)
        if special is None:
            raise
        return special


def text_formatter(enc: TextEncoding, convert: Callable[[Any], str] | None = None) -> Fmt:
    """Formatter of free text: refuses values that contain a separator or would lose white space."""
    token, block, collapse = enc.token_separator, enc.block_separator, enc.collapse
    spaced = collapse and bool(set(token) & set(WHITE_SPACE))

    def fmt(v: Any) -> str:
        if convert is not None:
            v = convert(v)
        if v.__class__ is not str:
            raise TypeError(f"expected a string, got {v!r}")
        if token in v or block in v:
            raise ValueError(f"{v!r} contains a separator of the text encoding")
        if collapse and v != v.strip(WHITE_SPACE):
            raise ValueError(f"{v!r} has leading or trailing white space, which the encoding collapses")
        if spaced and not v:
            raise ValueError("an empty string cannot be written with a white-space token separator")
        return v

    return fmt


def _identity(tok: str) -> str:
    return tok


def scalar_text(c: Component, enc: TextEncoding) -> tuple[Fmt, Parse] | None:
    """(formatter, parser) of a scalar or range component's single values; None for aggregates."""
    dec = enc.decimal
    if isinstance(c, Quantity | QuantityRange):
        return number_formatter(dec), number_parser(dec)
    if isinstance(c, Count | CountRange):
        return _fmt_count, _parse_count
    if isinstance(c, Boolean):
        return _fmt_bool, _parse_bool
    if isinstance(c, Time | TimeRange):
        if c.is_iso:
            return iso_out, _parse_iso
        return number_formatter(dec, numeric_time_in(c)), number_parser(dec)
    if isinstance(c, Text | Category | CategoryRange):
        return text_formatter(enc), _identity
    if isinstance(c, Geometry):
        return text_formatter(enc, to_wkt), from_wkt
    return None
