"""SWE Common encodings: JSONEncoding, TextEncoding, BinaryEncoding (+ members), XMLEncoding."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

from bridge.swe.errors import SweSchemaError
from bridge.swe.serde import J, dump_attrs, expect_object, parse_attrs, register_kind

DATA_TYPE_PREFIX = "http://www.opengis.net/def/dataType/OGC/0/"


@dataclass(kw_only=True, slots=True)
class Encoding:
    """Base of all encodings."""

    TYPE: ClassVar[str] = ""

    id: Annotated[str | None, J("id", "str")] = None
    extras: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The SWE Common JSON object of this encoding."""
        return dump_attrs(self, self.TYPE)


@dataclass(kw_only=True, slots=True)
class JSONEncoding(Encoding):
    """Values as JSON; records/vectors as objects unless `records_as_arrays`/`vectors_as_arrays`."""

    TYPE: ClassVar[str] = "JSONEncoding"

    records_as_arrays: Annotated[bool | None, J("recordsAsArrays", "bool")] = None
    vectors_as_arrays: Annotated[bool | None, J("vectorsAsArrays", "bool")] = None


@dataclass(kw_only=True, slots=True)
class TextEncoding(Encoding):
    """Delimited text: token and block separators, decimal separator, white-space collapsing."""

    TYPE: ClassVar[str] = "TextEncoding"

    collapse_white_spaces: Annotated[bool | None, J("collapseWhiteSpaces", "bool")] = None
    decimal_separator: Annotated[str | None, J("decimalSeparator", "str")] = None
    token_separator: Annotated[str, J("tokenSeparator", "str")] = ","
    block_separator: Annotated[str, J("blockSeparator", "str")] = "\n"

    @property
    def collapse(self) -> bool:
        """Whether white space around separators is ignored (default true)."""
        return self.collapse_white_spaces is not False

    @property
    def decimal(self) -> str:
        """The decimal separator (default '.')."""
        return self.decimal_separator or "."


@dataclass(kw_only=True, slots=True)
class XMLEncoding(Encoding):
    """XML encoding (described only; no codec)."""

    TYPE: ClassVar[str] = "XMLEncoding"

    namespace: Annotated[str | None, J("namespace", "str")] = None


@dataclass(kw_only=True, slots=True)
class BinaryComponent:
    """Binary encoding parameters of one scalar component, addressed by its `ref` path."""

    TYPE: ClassVar[str] = "Component"

    id: Annotated[str | None, J("id", "str")] = None
    ref: Annotated[str, J("ref", "str")] = ""
    data_type: Annotated[str, J("dataType", "str")] = ""
    byte_length: Annotated[int | None, J("byteLength", "int")] = None
    bit_length: Annotated[int | None, J("bitLength", "int")] = None
    significant_bits: Annotated[int | None, J("significantBits", "int")] = None
    encryption: Annotated[str | None, J("encryption", "str")] = None
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def short_type(self) -> str:
        """The data type name without its URI prefix (e.g. 'double')."""
        return short_data_type(self.data_type)

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return dump_attrs(self, self.TYPE)


@dataclass(kw_only=True, slots=True)
class BinaryBlock:
    """Binary encoding parameters of an aggregate encoded as one block (compression, padding)."""

    TYPE: ClassVar[str] = "Block"

    id: Annotated[str | None, J("id", "str")] = None
    ref: Annotated[str, J("ref", "str")] = ""
    compression: Annotated[str | None, J("compression", "str")] = None
    encryption: Annotated[str | None, J("encryption", "str")] = None
    padding_before: Annotated[int | None, J("paddingBytes-before", "int")] = None
    padding_after: Annotated[int | None, J("paddingBytes-after", "int")] = None
    byte_length: Annotated[int | None, J("byteLength", "int")] = None
    extras: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return dump_attrs(self, self.TYPE)


BinaryMember = BinaryComponent | BinaryBlock


@dataclass(kw_only=True, slots=True)
class BinaryEncoding(Encoding):
    """Binary values: byte order, raw or base64, one member per scalar (or block)."""

    TYPE: ClassVar[str] = "BinaryEncoding"

    byte_order: Annotated[str, J("byteOrder", "str")] = "bigEndian"
    byte_encoding: Annotated[str, J("byteEncoding", "str")] = "raw"
    byte_length: Annotated[int | None, J("byteLength", "int")] = None
    members: Annotated[list[BinaryMember], J("members", "binary_members")] = field(default_factory=list)


def short_data_type(uri: str) -> str:
    """'http://www.opengis.net/def/dataType/OGC/0/double' → 'double' (also for URNs)."""
    for sep in ("/", ":"):
        if sep in uri:
            uri = uri.rsplit(sep, 1)[1]
    return uri


_ENCODINGS: dict[str, type[Encoding]] = {
    cls.TYPE: cls for cls in (JSONEncoding, TextEncoding, BinaryEncoding, XMLEncoding)
}


def parse_encoding(d: Any, path: str = "$") -> Encoding:
    """Parse a SWE Common encoding object; SweSchemaError names the JSON path of a problem."""
    d = expect_object(d, path)
    cls = _ENCODINGS.get(str(d.get("type")))
    if cls is None:
        raise SweSchemaError(f"{path}.type", f"unknown encoding type {d.get('type')!r}")
    enc = cls(**parse_attrs(cls, d, path))
    if isinstance(enc, TextEncoding):
        _check_text(enc, d, path)
    elif isinstance(enc, BinaryEncoding):
        _check_binary(enc, d, path)
    return enc


def _check_text(enc: TextEncoding, d: dict[str, Any], path: str) -> None:
    for key in ("tokenSeparator", "blockSeparator"):
        if not d.get(key):
            raise SweSchemaError(f"{path}.{key}", "a non-empty separator is required")
    if enc.decimal_separator == "":
        raise SweSchemaError(f"{path}.decimalSeparator", "must not be empty")


def _check_binary(enc: BinaryEncoding, d: dict[str, Any], path: str) -> None:
    if enc.byte_order not in ("bigEndian", "littleEndian") or "byteOrder" not in d:
        raise SweSchemaError(f"{path}.byteOrder", "must be 'bigEndian' or 'littleEndian'")
    if enc.byte_encoding not in ("raw", "base64") or "byteEncoding" not in d:
        raise SweSchemaError(f"{path}.byteEncoding", "must be 'raw' or 'base64'")
    if not enc.members:
        raise SweSchemaError(f"{path}.members", "at least one member is required")


def _parse_member(v: Any, path: str) -> BinaryMember:
    d = expect_object(v, path)
    kind = d.get("type")
    if kind == "Component":
        component = BinaryComponent(**parse_attrs(BinaryComponent, d, path))
        if not component.data_type:
            raise SweSchemaError(f"{path}.dataType", "a data type is required")
        member: BinaryMember = component
    elif kind == "Block":
        member = BinaryBlock(**parse_attrs(BinaryBlock, d, path))
    else:
        raise SweSchemaError(f"{path}.type", f"expected 'Component' or 'Block', got {kind!r}")
    if not member.ref:
        raise SweSchemaError(f"{path}.ref", "a component reference is required")
    return member


def _parse_members(v: Any, path: str) -> list[BinaryMember]:
    if not isinstance(v, list):
        raise SweSchemaError(path, "expected an array of members")
    return [_parse_member(item, f"{path}[{i}]") for i, item in enumerate(v)]


register_kind("binary_members", _parse_members, lambda v: [m.to_json() for m in v])
register_kind("encoding", parse_encoding, lambda v: v.to_json())
