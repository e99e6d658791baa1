"""Binary writer/reader closures for each kind of component (scalars, records, arrays, choices)."""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bridge.swe.binary_flat import flat_codec
from bridge.swe.binary_leaves import Leaf
from bridge.swe.errors import SweDecodeError, SweEncodeError
from bridge.swe.fastpath import from_sequence
from bridge.swe.geometry import from_wkb, to_wkb
from bridge.swe.values import child_path

Writer = Callable[[Any, list[bytes]], None]
Reader = Callable[[bytes, int], tuple[Any, int]]
_ERRORS = (TypeError, ValueError, KeyError, AttributeError, OverflowError, struct.error, UnicodeError)
_FLAG_YES, _FLAG_NO = 89, 78  # 'Y', 'N'


@dataclass(slots=True)
class Node:
    """Compiled component: writer, reader, and for fixed-size records the struct used in bulk."""

    write: Writer
    read: Reader
    leaf: Leaf | None = None  # set for a plain scalar leaf
    fixed: struct.Struct | None = None  # whole-record struct when every field is a fixed-size scalar
    build: Callable[[tuple[Any, ...]], Any] | None = None  # unpacked tuple → record value


def truncated(need: int, pos: int, path: str) -> SweDecodeError:
    """Error for data that ends before a value is complete."""
    return SweDecodeError(f"truncated data: {need} more byte(s) needed at byte {pos}", None, path)


def _message(exc: Exception, v: Any, leaf: Leaf) -> str:
    if isinstance(exc, struct.error | OverflowError):
        return f"{v!r} cannot be written as {leaf.type_name} ({exc})"
    return f"invalid value {v!r}" if isinstance(exc, KeyError) else str(exc)


def leaf_node(leaf: Leaf, order: str, path: str) -> Node:
    """Node of one fixed-size or length-prefixed scalar value."""
    if leaf.char is None:
        return _string_node(leaf, order, path)
    packer = struct.Struct(order + leaf.char)
    pack, unpack_from, size, enc, dec = packer.pack, packer.unpack_from, packer.size, leaf.enc, leaf.dec

    def write(v: Any, out: list[bytes]) -> None:
        try:
            out.append(pack(enc(v)))
        except _ERRORS as exc:
            raise SweEncodeError(_message(exc, v, leaf), None, path) from None

    def read(buf: bytes, pos: int) -> tuple[Any, int]:
        try:
            (x,) = unpack_from(buf, pos)
        except struct.error:
            raise truncated(size, pos, path) from None
        try:
            return dec(x), pos + size
        except _ERRORS as exc:
            raise SweDecodeError(str(exc), None, path) from None

    return Node(write, read, leaf)


def _string_node(leaf: Leaf, order: str, path: str) -> Node:
    length = struct.Struct(order + "H")
    enc, dec = leaf.enc, leaf.dec

    def write(v: Any, out: list[bytes]) -> None:
        try:
            data = enc(v).encode("utf-8")
            out.append(length.pack(len(data)))
        except _ERRORS as exc:
            raise SweEncodeError(_message(exc, v, leaf), None, path) from None
        out.append(data)

    def read(buf: bytes, pos: int) -> tuple[Any, int]:
        try:
            (n,) = length.unpack_from(buf, pos)
        except struct.error:
            raise truncated(2, pos, path) from None
        end = pos + 2 + n
        if end > len(buf):
            raise truncated(end - len(buf), len(buf), path)
        try:
            return dec(bytes(buf[pos + 2 : end]).decode("utf-8")), end
        except _ERRORS as exc:
            raise SweDecodeError(str(exc), None, path) from None

    return Node(write, read, leaf)


def range_node(low: Node, high: Node, path: str) -> Node:
    """Node of a [min, max] pair."""

    def write(v: Any, out: list[bytes]) -> None:
        if v.__class__ is not list or len(v) != 2:
            raise SweEncodeError(f"expected an array of two values, got {v!r}", None, path)
        low.write(v[0], out)
        high.write(v[1], out)

    def read(buf: bytes, pos: int) -> tuple[Any, int]:
        a, pos = low.read(buf, pos)
        b, pos = high.read(buf, pos)
        return [a, b], pos

    return Node(write, read)


def record_node(entries: list[tuple[str, Node, bool]], order: str, path: str) -> Node:
    """Node of a DataRecord or Vector; generated straight-line code when all fields are mandatory scalars."""
    general = _general_record(entries, path)
    leaves = [node.leaf for _, node, optional in entries if not optional and node.leaf]
    if len(leaves) != len(entries):
        return general
    names = [name for name, _, _ in entries]
    fast_write, fast_read = flat_codec(names, leaves, order)

    def write(v: Any, out: list[bytes]) -> None:
        mark = len(out)
        try:
            fast_write(v, out)
        except Exception:  # the per-field nodes raise the precise error (or write what fast code balked at)
            del out[mark:]
            general.write(v, out)

    def read(buf: bytes, pos: int) -> tuple[Any, int]:
        try:
            return fast_read(buf, pos)
        except Exception:
            return general.read(buf, pos)

    if any(leaf.char is None for leaf in leaves):
        return Node(write, read)
    packer = struct.Struct(order + "".join(leaf.char or "" for leaf in leaves))
    return Node(write, read, None, packer, from_sequence(names, [leaf.dec for leaf in leaves]))


def _flag(buf: bytes, pos: int, path: str) -> tuple[bool, int]:
    """The `Y`/`N` byte before an optional value: whether the value follows, and the position after the flag."""
    if pos >= len(buf):
        raise truncated(1, pos, path)
    flag = buf[pos]
    if flag == _FLAG_NO:
        return False, pos + 1
    if flag != _FLAG_YES:
        raise SweDecodeError(f"expected 'Y' or 'N' before an optional value, got byte {flag}", None, path)
    return True, pos + 1


def _general_record(entries: list[tuple[str, Node, bool]], path: str) -> Node:
    plan = [(name, node.write, node.read, optional, child_path(path, name)) for name, node, optional in entries]

    def write(v: Any, out: list[bytes]) -> None:
        if v.__class__ is not dict:
            raise SweEncodeError(f"expected an object, got {v!r}", None, path)
        for name, child, _, optional, cpath in plan:
            x = v.get(name)
            if x is None:
                if not optional:
                    raise SweEncodeError("a value is required", None, cpath)
                out.append(b"N")
                continue
            if optional:
                out.append(b"Y")
            child(x, out)

    def read(buf: bytes, pos: int) -> tuple[Any, int]:
        record = {}
        for name, _, child, optional, cpath in plan:
            if optional:
                present, pos = _flag(buf, pos, cpath)
                if not present:
                    continue
            record[name], pos = child(buf, pos)
        return record, pos

    return Node(write, read)


def array_node(element: Node, size: int | None, count_char: str, order: str, path: str) -> Node:
    """Node of a DataArray/Matrix; a variable size is written as a count before the elements."""
    counter = struct.Struct(order + count_char)

    def write(v: Any, out: list[bytes]) -> None:
        if v.__class__ is not list:
            raise SweEncodeError(f"expected an array, got {v!r}", None, path)
        if size is None:
            try:
                out.append(counter.pack(len(v)))
            except struct.error:
                raise SweEncodeError(f"{len(v)} elements do not fit the element count type", None, path) from None
        elif len(v) != size:
            raise SweEncodeError(f"expected {size} elements, got {len(v)}", None, path)
        for item in v:
            element.write(item, out)

    def read(buf: bytes, pos: int) -> tuple[Any, int]:
        n = size
        if n is None:
            try:
                (n,) = counter.unpack_from(buf, pos)
            except struct.error:
                raise truncated(counter.size, pos, path) from None
            pos += counter.size
            if n < 0 or n > len(buf) - pos:
                raise SweDecodeError(f"element count {n} exceeds the remaining data", None, path)
        items = []
        for _ in range(n):
            item, pos = element.read(buf, pos)
            items.append(item)
        return items, pos

    return Node(write, read)


def choice_node(items: list[tuple[str, Node]], index_char: str, order: str, path: str) -> Node:
    """Node of a DataChoice: zero-based item index, then the item's value."""
    indexer = struct.Struct(order + index_char)
    by_name = {name: (i, node) for i, (name, node) in enumerate(items)}

    def write(v: Any, out: list[bytes]) -> None:
        if v.__class__ is not dict or len(v) != 1:
            raise SweEncodeError("expected an object with one member naming the chosen item", None, path)
        ((name, x),) = v.items()
        if name not in by_name:
            raise SweEncodeError(f"unknown choice item {name!r}", None, path)
        index, node = by_name[name]
        out.append(indexer.pack(index))
        node.write(x, out)

    def read(buf: bytes, pos: int) -> tuple[Any, int]:
        try:
            (index,) = indexer.unpack_from(buf, pos)
        except struct.error:
            raise truncated(indexer.size, pos, path) from None
        if not 0 <= index < len(items):
            raise SweDecodeError(f"choice index {index} is out of range (0..{len(items) - 1})", None, path)
        name, node = items[index]
        value, pos = node.read(buf, pos + indexer.size)
        return {name: value}, pos

    return Node(write, read)


def geometry_node(big_endian: bool, path: str) -> Node:
    """Node of a Geometry value as WKB."""

    def write(v: Any, out: list[bytes]) -> None:
        try:
            out.append(to_wkb(v, big_endian))
        except _ERRORS as exc:
            raise SweEncodeError(f"invalid geometry: {exc}", None, path) from None

    def read(buf: bytes, pos: int) -> tuple[Any, int]:
        try:
            return from_wkb(buf, pos)
        except struct.error:
            raise SweDecodeError("truncated WKB geometry", None, path) from None
        except ValueError as exc:
            raise SweDecodeError(str(exc), None, path) from None

    return Node(write, read)


def padded(node: Node, before: int, after: int) -> Node:
    """`node` with zero padding bytes before and/or after its value (Block paddingBytes)."""
    pad_before, pad_after = b"\0" * before, b"\0" * after

    def write(v: Any, out: list[bytes]) -> None:
        out.append(pad_before)
        node.write(v, out)
        out.append(pad_after)

    def read(buf: bytes, pos: int) -> tuple[Any, int]:
        value, pos = node.read(buf, pos + before)
        if pos + after > len(buf):
            raise truncated(pos + after - len(buf), len(buf), "")
        return value, pos + after

    return Node(write, read)
