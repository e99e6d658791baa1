"""Binary form of scalar values: OGC data types and the per-leaf pack/unpack conversions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bridge.swe.components import (
    Boolean,
    Category,
    CategoryRange,
    Component,
    Count,
    CountRange,
    Quantity,
    QuantityRange,
    Text,
    Time,
    TimeRange,
)
from bridge.swe.encodings import BinaryComponent
from bridge.swe.errors import SweSchemaError
from bridge.swe.scalars import iso_in, iso_out, number_out, numeric_time_in, numeric_time_out, to_bool, to_float, to_int

Conv = Callable[[Any], Any]

# OGC data type name → (struct format character, size in bytes, is floating point)
DATA_TYPES: dict[str, tuple[str, int, bool]] = {
    "signedByte": ("b", 1, False),
    "unsignedByte": ("B", 1, False),
    "signedShort": ("h", 2, False),
    "unsignedShort": ("H", 2, False),
    "signedInt": ("i", 4, False),
    "unsignedInt": ("I", 4, False),
    "signedLong": ("q", 8, False),
    "unsignedLong": ("Q", 8, False),
    "float16": ("e", 2, True),
    "float32": ("f", 4, True),
    "double": ("d", 8, True),
    "float64": ("d", 8, True),
    "boolean": ("B", 1, False),
}
STRING_TYPES = ("string-utf-8", "string-UTF-8", "string")


@dataclass(frozen=True, slots=True)
class Leaf:
    """How one scalar value is written: struct `char` (fixed size) or a length-prefixed string."""

    char: str | None  # struct format of a fixed-size value; None for a variable-length string
    size: int  # bytes of a fixed-size value (0 when variable)
    enc: Conv  # value (JSON form) → what struct packs (or a str for strings)
    dec: Conv  # what struct unpacks (or a str) → value (JSON form)
    type_name: str


def _integral(x: float) -> int:
    if x - x != 0.0 or not x.is_integer():
        raise ValueError(f"{x!r} is not an integer, so it cannot be written with an integer data type")
    return int(x)


def _count_from_float(x: float) -> int:
    if x - x != 0.0 or not x.is_integer():
        raise ValueError(f"{x!r} is not an integer count")
    return int(x)


def _bool_from_byte(x: int) -> bool:
    if x in (0, 1):
        return x == 1
    raise ValueError(f"boolean byte must be 0 or 1, got {x}")


def _numeric(c: Component, is_float: bool) -> tuple[Conv, Conv]:
    """(enc, dec) of a numeric data type for a Quantity, Count or Time component."""
    if isinstance(c, Quantity | QuantityRange):
        if is_float:
            return to_float, number_out
        return (lambda v: _integral(to_float(v))), float
    if isinstance(c, Count | CountRange):
        return to_int, (_count_from_float if is_float else int)
    if isinstance(c, Time | TimeRange):
        to_units, out = numeric_time_in(c), numeric_time_out(c)
        if is_float:
            return to_units, out
        return (lambda v: _integral(to_units(v))), out
    if isinstance(c, Boolean):
        return (lambda v: int(to_bool(v))), _bool_from_byte
    raise ValueError


def _string(c: Component) -> tuple[Conv, Conv]:
    if isinstance(c, Time | TimeRange) and c.is_iso:
        return iso_out, iso_in
    if isinstance(c, Text | Category | CategoryRange):
        return _text_out, _text_in
    raise ValueError


def _text_out(v: Any) -> str:
    if v.__class__ is not str:
        raise TypeError(f"expected a string, got {v!r}")
    return v


def _text_in(v: str) -> str:
    return v


def _fixed_string(enc: Conv, dec: Conv, length: int, name: str) -> Leaf:
    """A string zero-padded to `length` bytes."""

    def pack(v: Any) -> bytes:
        data = str(enc(v)).encode("utf-8")
        if len(data) > length:
            raise ValueError(f"{v!r} is longer than the fixed {length} bytes")
        return data

    def unpack(raw: bytes) -> Any:
        return dec(raw.rstrip(b"\0").decode("utf-8"))

    return Leaf(f"{length}s", length, pack, unpack, name)


def leaf_for(c: Component, member: BinaryComponent | None, path: str, member_path: str) -> Leaf:
    """The Leaf of scalar/range component `c` encoded per `member` (SweSchemaError if impossible)."""
    if member is None:
        if isinstance(c, Boolean):
            return Leaf("B", 1, *_numeric(c, False), "boolean")
        raise SweSchemaError(member_path, f"no binary encoding member for '{path or '$'}'")
    name = member.short_type
    try:
        if name in STRING_TYPES:
            enc, dec = _string(c)
            if member.byte_length:
                return _fixed_string(enc, dec, member.byte_length, name)
            return Leaf(None, 0, enc, dec, name)
        if name in DATA_TYPES:
            char, size, is_float = DATA_TYPES[name]
            return Leaf(char, size, *_numeric(c, is_float), name)
    except ValueError:
        pass
    kind = type(c).__name__
    raise SweSchemaError(f"{member_path}.dataType", f"data type '{member.data_type}' cannot encode a {kind}")


def count_char(member: BinaryComponent | None, default: str, member_path: str) -> str:
    """Struct character of an array element count or choice index (integer data types only)."""
    if member is None:
        return DATA_TYPES[default][0]
    spec = DATA_TYPES.get(member.short_type)
    if spec is None or spec[2]:
        raise SweSchemaError(f"{member_path}.dataType", "an element count or choice index needs an integer type")
    return spec[0]
