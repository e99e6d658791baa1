"""SWE Common binary encoding (application/swe+binary), raw or base64, big or little endian.

Rules (OGC 24-014 §10.4): values in field order, no separators; each scalar written with the data
type of the encoding member whose `ref` names it ('/time', '/pos/lat'); strings (utf-8) prefixed by
a 2-byte length unless `byteLength` fixes their size; optional fields prefixed by 'Y'/'N'; a
variable-size array prefixed by its element count; a choice by the item's zero-based index;
geometries as WKB.

Bridge conventions where the standard leaves a choice open: an element count is written with the
data type of a member referencing '<array>/elementCount' (or the array itself), by default
unsignedInt; a choice index likewise ('<choice>/choiceValue'), by default unsignedByte; a Boolean
without member is one byte; a Time with ISO 8601 values and a numeric data type is written as
seconds since its referenceTime (default 1970-01-01T00:00:00Z).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Iterator
from typing import Any

from bridge.swe.binary_leaves import count_char, leaf_for
from bridge.swe.binary_nodes import (
    Node,
    array_node,
    choice_node,
    geometry_node,
    leaf_node,
    padded,
    range_node,
    record_node,
)
from bridge.swe.codec import CHUNK_RECORDS, SWE_BINARY, RecordCodec
from bridge.swe.components import (
    RANGES,
    SCALARS,
    Component,
    ComponentRef,
    DataArray,
    DataChoice,
    DataRecord,
    Geometry,
    Vector,
)
from bridge.swe.encodings import BinaryBlock, BinaryComponent, BinaryEncoding
from bridge.swe.errors import SweDecodeError, SweEncodeError, SweSchemaError
from bridge.swe.values import child_path

Ref = tuple[str, ...]


class _Members:
    """Encoding members indexed by component path; tracks which ones the schema used."""

    def __init__(self, enc: BinaryEncoding, root: Component) -> None:
        root_children = {c.name for c in root.children()}
        self.components: dict[Ref, tuple[BinaryComponent, str]] = {}
        self.blocks: dict[Ref, tuple[BinaryBlock, str]] = {}
        self.unused: dict[Ref, str] = {}
        for i, member in enumerate(enc.members):
            mpath = f"$.encoding.members[{i}]"
            ref = tuple(part for part in member.ref.strip().split("/") if part)
            if root.name and ref and ref[0] == root.name and root.name not in root_children:
                ref = ref[1:]
            target = self.components if isinstance(member, BinaryComponent) else self.blocks
            if ref in target:
                raise SweSchemaError(f"{mpath}.ref", f"'{member.ref}' is referenced twice")
            target[ref] = (member, mpath)  # type: ignore[assignment]
            self.unused[ref] = mpath
            self._check_supported(member, mpath)

    @staticmethod
    def _check_supported(member: BinaryComponent | BinaryBlock, mpath: str) -> None:
        if member.encryption:
            raise SweSchemaError(f"{mpath}.encryption", "encrypted values are not supported")
        if isinstance(member, BinaryBlock) and member.compression:
            raise SweSchemaError(f"{mpath}.compression", f"block compression '{member.compression}' is not supported")
        if isinstance(member, BinaryComponent) and (member.bit_length or member.significant_bits):
            raise SweSchemaError(mpath, "bit-level packing (bitLength, significantBits) is not supported")

    def component(self, *refs: Ref) -> tuple[BinaryComponent | None, str]:
        """The first member found for one of `refs` (and its JSON path), or (None, path of members)."""
        for ref in refs:
            found = self.components.get(ref)
            if found is not None:
                self.unused.pop(ref, None)
                return found
        return None, "$.encoding.members"

    def block(self, ref: Ref) -> BinaryBlock | None:
        """The Block member of `ref`, if any."""
        found = self.blocks.get(ref)
        if found is None:
            return None
        self.unused.pop(ref, None)
        return found[0]

    def check_all_used(self) -> None:
        """SweSchemaError for a member whose `ref` names no component of the schema."""
        for ref, mpath in self.unused.items():
            raise SweSchemaError(f"{mpath}.ref", f"no component at '/{'/'.join(ref)}' in the record schema")


class _Compiler:
    def __init__(self, enc: BinaryEncoding, members: _Members) -> None:
        self.big = enc.byte_order == "bigEndian"
        self.order = ">" if self.big else "<"
        self.members = members

    def compile(self, c: Component, ref: Ref, path: str) -> Node:
        node = self._compile(c, ref, path)
        block = self.members.block(ref)
        if block is not None and (block.padding_before or block.padding_after):
            node = padded(node, block.padding_before or 0, block.padding_after or 0)
        return node

    def _compile(self, c: Component, ref: Ref, path: str) -> Node:
        if isinstance(c, SCALARS):
            member, mpath = self.members.component(ref)
            return leaf_node(leaf_for(c, member, path, mpath), self.order, path)
        if isinstance(c, RANGES):
            member, mpath = self.members.component(ref)
            leaf = leaf_for(c, member, path, mpath)
            return range_node(
                leaf_node(leaf, self.order, f"{path}[0]"), leaf_node(leaf, self.order, f"{path}[1]"), path
            )
        if isinstance(c, Geometry):
            self.members.component(ref)
            return geometry_node(self.big, path)
        if isinstance(c, DataRecord | Vector):
            entries = [
                (m.name or "", self.compile(m, (*ref, m.name or ""), child_path(path, m.name or "")), m.is_optional)
                for m in c.children()
            ]
            return record_node(entries, self.order, path)
        if isinstance(c, DataArray):
            if isinstance(c.element_count, ComponentRef):
                raise SweSchemaError(path or "$", "an array whose elementCount is a reference cannot be binary encoded")
            element_ref = (*ref, c.element_type.name) if c.element_type.name else ref
            element = self.compile(c.element_type, element_ref, f"{path}[]")
            member, mpath = self.members.component((*ref, "elementCount"), ref) if c.fixed_size is None else (None, "")
            return array_node(element, c.fixed_size, count_char(member, "unsignedInt", mpath), self.order, path)
        if isinstance(c, DataChoice):
            items = [
                (m.name or "", self.compile(m, (*ref, m.name or ""), child_path(path, m.name or ""))) for m in c.items
            ]
            member, mpath = self.members.component((*ref, "choiceValue"), ref)
            return choice_node(items, count_char(member, "unsignedByte", mpath), self.order, path)
        raise SweSchemaError(path or "$", f"{type(c).__name__} cannot be binary-encoded (unresolved reference?)")


def _base64_stream(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Base64 of the concatenated chunks, streamed (each output chunk encodes a multiple of 3 bytes)."""
    carry = b""
    for chunk in chunks:
        data = carry + chunk
        cut = len(data) - len(data) % 3
        if cut:
            yield base64.b64encode(data[:cut])
        carry = data[cut:]
    if carry:
        yield base64.b64encode(carry)


class BinaryCodec(RecordCodec):
    """Codec of the SWE Common binary encoding."""

    media_type = SWE_BINARY

    def __init__(self, schema: Component, encoding: BinaryEncoding) -> None:
        super().__init__(schema, encoding)
        members = _Members(encoding, schema)
        self._node = _Compiler(encoding, members).compile(schema, (), "")
        members.check_all_used()
        self._base64 = encoding.byte_encoding == "base64"

    def encode(self, records: Iterable[Any]) -> Iterator[bytes]:
        """Stream the binary body (base64 text when the encoding says so) in chunks."""
        raw = self._raw(records)
        return _base64_stream(raw) if self._base64 else raw

    def _raw(self, records: Iterable[Any]) -> Iterator[bytes]:
        write = self._node.write
        out: list[bytes] = []
        pending = 0
        for i, record in enumerate(records):
            try:
                write(record, out)
            except SweEncodeError as exc:
                raise exc.at_record(i) from None
            pending += 1
            if pending >= CHUNK_RECORDS:
                yield b"".join(out)
                out, pending = [], 0
        if out:
            yield b"".join(out)

    def decode(self, data: bytes) -> list[Any]:
        """Decode a binary body; a partial final record is a truncation error."""
        buf = self._unbase64(data) if self._base64 else bytes(data)
        node = self._node
        if node.fixed is not None and node.build is not None:
            return self._decode_fixed(buf)
        records: list[Any] = []
        pos, end, read = 0, len(buf), node.read
        while pos < end:
            try:
                value, pos = read(buf, pos)
            except SweDecodeError as exc:
                raise exc.at_record(len(records)) from None
            records.append(value)
        return records

    def _decode_fixed(self, buf: bytes) -> list[Any]:
        fixed, build, read = self._node.fixed, self._node.build, self._node.read
        assert fixed is not None and build is not None
        size = fixed.size
        whole = len(buf) - len(buf) % size
        records: list[Any] = []
        try:
            for values in fixed.iter_unpack(memoryview(buf)[:whole]):
                records.append(build(values))
        except Exception:
            try:
                read(buf, len(records) * size)  # re-read the failing record for a precise error
            except SweDecodeError as exc:
                raise exc.at_record(len(records)) from None
            raise
        if whole != len(buf):
            msg = f"truncated data: the last {len(buf) - whole} byte(s) do not make a whole {size}-byte record"
            raise SweDecodeError(msg, len(records))
        return records

    @staticmethod
    def _unbase64(data: bytes) -> bytes:
        try:
            return base64.b64decode(b"".join(bytes(data).split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise SweDecodeError(f"invalid base64 data: {exc}") from None
