"""Generated binary writer/reader for flat records (mandatory scalar fields, any data types).

Consecutive fixed-size fields share one `struct` call; a variable-length string is written as its
2-byte length and bytes. Like `fastpath`, the generated code reports no errors itself: the caller
falls back to the per-field nodes when it raises.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from bridge.swe.binary_leaves import Leaf
from bridge.swe.fastpath import generate

Segment = tuple[str | None, list[int]]  # (struct format of fixed fields | None for one string, field indexes)


def _segments(leaves: list[Leaf]) -> list[Segment]:
    segments: list[Segment] = []
    for i, leaf in enumerate(leaves):
        if leaf.char is None:
            segments.append((None, [i]))
        elif segments and segments[-1][0] is not None:
            fmt, indexes = segments[-1]
            segments[-1] = (f"{fmt}{leaf.char}", [*indexes, i])
        else:
            segments.append((leaf.char, [i]))
    return segments


def flat_codec(
    names: list[str], leaves: list[Leaf], order: str
) -> tuple[Callable[[Any, list[bytes]], None], Callable[[bytes, int], tuple[Any, int]]]:
    """(write(record, out), read(buf, pos) → (record, pos)) for a flat record."""
    namespace: dict[str, Any] = {"L": struct.Struct(order + "H").pack, "LU": struct.Struct(order + "H").unpack_from}
    for i, leaf in enumerate(leaves):
        namespace[f"e{i}"], namespace[f"d{i}"] = leaf.enc, leaf.dec
    write: list[str] = []
    read: list[str] = []
    for k, (fmt, indexes) in enumerate(_segments(leaves)):
        if fmt is None:
            i = indexes[0]
            write += [f"s{i} = e{i}(r[{names[i]!r}]).encode('utf-8')", f"out.append(L(len(s{i})))", f"out.append(s{i})"]
            read += [
                f"(n{i},) = LU(buf, pos)",
                f"end = pos + 2 + n{i}",
                "if end > len(buf):",
                "    raise IndexError",
                f"a{i} = bytes(buf[pos + 2:end]).decode('utf-8')",
                "pos = end",
            ]
            continue
        packer = struct.Struct(order + fmt)
        namespace[f"P{k}"], namespace[f"U{k}"] = packer.pack, packer.unpack_from
        args = ", ".join(f"e{i}(r[{names[i]!r}])" for i in indexes)
        targets = ", ".join(f"a{i}" for i in indexes)
        write.append(f"out.append(P{k}({args}))")
        read += [f"({targets},) = U{k}(buf, pos)", f"pos += {packer.size}"]
    items = ", ".join(f"{name!r}: d{i}(a{i})" for i, name in enumerate(names))
    read.append(f"return {{{items}}}, pos")
    return generate("r, out", write, namespace), generate("buf, pos", read, namespace)
