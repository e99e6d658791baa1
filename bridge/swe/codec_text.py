"""SWE Common text encoding (application/swe+text, application/swe+csv).

Rules (OGC 24-014 §10.2): values in field order separated by the token separator, each record ended
by the block separator; optional fields prefixed 'Y'/'N'; a variable-size array prefixed by its
element count; a choice by the chosen item's name; white space around separators ignored when
`collapseWhiteSpaces` (default); separators must never occur inside values.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from bridge.swe.codec import CHUNK_RECORDS, SWE_CSV, SWE_TEXT, RecordCodec
from bridge.swe.components import (
    CategoryRange,
    Component,
    ComponentRef,
    CountRange,
    DataArray,
    DataChoice,
    DataRecord,
    QuantityRange,
    TimeRange,
    Vector,
)
from bridge.swe.encodings import TextEncoding
from bridge.swe.errors import SweDecodeError, SweEncodeError, SweSchemaError
from bridge.swe.fastpath import chunks, flat_fields, from_sequence, joined
from bridge.swe.text_scalars import WHITE_SPACE, Fmt, Parse, scalar_text
from bridge.swe.values import child_path

Writer = Callable[[Any, list[str]], None]
Reader = Callable[[Iterator[str]], Any]
_VALUE_CHARS = set(string.ascii_letters + string.digits + "+-.:")
_ERRORS = (TypeError, ValueError, KeyError, AttributeError, OverflowError)


def _reason(exc: Exception, value: Any) -> str:
    return f"invalid value {value!r}" if isinstance(exc, KeyError) else str(exc)


def _check_separators(enc: TextEncoding) -> None:
    tok, blk, dec = enc.token_separator, enc.block_separator, enc.decimal
    for key, sep in (("tokenSeparator", tok), ("blockSeparator", blk)):
        if not set(sep) - _VALUE_CHARS - set(dec):
            raise SweSchemaError(
                f"$.encoding.{key}", f"{sep!r} could occur inside numbers or times; use e.g. ',' ';' '|' '\\n'"
            )
    if tok in blk or blk in tok:
        raise SweSchemaError("$.encoding", "the token and block separators must not contain each other")
    if dec in tok or dec in blk:
        raise SweSchemaError("$.encoding.decimalSeparator", "must differ from the separators")


class _Compiler:
    """Compiles a component tree into nested writer/reader closures (paths baked in for errors)."""

    def __init__(self, enc: TextEncoding) -> None:
        self.enc = enc

    def writer(self, c: Component, path: str) -> Writer:
        scalar = scalar_text(c, self.enc)
        if scalar is not None:
            if isinstance(c, QuantityRange | CountRange | TimeRange | CategoryRange):
                return _range_writer(scalar[0], path)
            return _leaf_writer(scalar[0], path)
        if isinstance(c, DataRecord | Vector):
            entries = [
                (m.name or "", self.writer(m, child_path(path, m.name or "")), m.is_optional) for m in c.children()
            ]
            return _record_writer(entries, path)
        if isinstance(c, DataArray):
            _check_count(c, path)
            return _array_writer(self.writer(c.element_type, f"{path}[]"), c.fixed_size, path)
        if isinstance(c, DataChoice):
            items = {m.name or "": self.writer(m, child_path(path, m.name or "")) for m in c.items}
            return _choice_writer(items, path)
        raise SweSchemaError(path or "$", f"{type(c).__name__} cannot be text-encoded (unresolved reference?)")

    def reader(self, c: Component, path: str) -> Reader:
        scalar = scalar_text(c, self.enc)
        if scalar is not None:
            if isinstance(c, QuantityRange | CountRange | TimeRange | CategoryRange):
                return _range_reader(_leaf_reader(scalar[1], f"{path}[0]"), _leaf_reader(scalar[1], f"{path}[1]"))
            return _leaf_reader(scalar[1], path)
        if isinstance(c, DataRecord | Vector):
            entries = [
                (m.name or "", self.reader(m, child_path(path, m.name or "")), m.is_optional) for m in c.children()
            ]
            return _record_reader(entries, path)
        if isinstance(c, DataArray):
            return _array_reader(self.reader(c.element_type, f"{path}[]"), c.fixed_size, path)
        if isinstance(c, DataChoice):
            items = {m.name or "": self.reader(m, child_path(path, m.name or "")) for m in c.items}
            return _choice_reader(items, path)
        raise SweSchemaError(path or "$", f"{type(c).__name__} cannot be text-decoded (unresolved reference?)")


def _check_count(c: DataArray, path: str) -> None:
    if isinstance(c.element_count, ComponentRef):
        raise SweSchemaError(path or "$", "an array whose elementCount is a reference cannot be text/binary encoded")


def _leaf_writer(fmt: Fmt, path: str) -> Writer:
    def write(v: Any, out: list[str]) -> None:
        try:
            out.append(fmt(v))
        except _ERRORS as exc:
            raise SweEncodeError(_reason(exc, v), None, path) from None

    return write


def _range_writer(fmt: Fmt, path: str) -> Writer:
    def write(v: Any, out: list[str]) -> None:
        if v.__class__ is not list or len(v) != 2:
            raise SweEncodeError(f"expected an array of two values, got {v!r}", None, path)
        try:
            out.append(fmt(v[0]))
            out.append(fmt(v[1]))
        except _ERRORS as exc:
            raise SweEncodeError(_reason(exc, v), None, path) from None

    return write


def _record_writer(entries: list[tuple[str, Writer, bool]], path: str) -> Writer:
    def write(v: Any, out: list[str]) -> None:
        if v.__class__ is not dict:
            raise SweEncodeError(f"expected an object, got {v!r}", None, path)
        for name, child, optional in entries:
            x = v.get(name)
            if x is None:
                if optional:
                    out.append("N")
                    continue
                raise SweEncodeError("a value is required", None, child_path(path, name))
            if optional:
                out.append("Y")
            child(x, out)

    return write


def _array_writer(child: Writer, size: int | None, path: str) -> Writer:
    def write(v: Any, out: list[str]) -> None:
        if v.__class__ is not list:
            raise SweEncodeError(f"expected an array, got {v!r}", None, path)
        if size is None:
            out.append(str(len(v)))
        elif len(v) != size:
            raise SweEncodeError(f"expected {size} elements, got {len(v)}", None, path)
        for item in v:
            child(item, out)

    return write


def _choice_writer(items: dict[str, Writer], path: str) -> Writer:
    def write(v: Any, out: list[str]) -> None:
        if v.__class__ is not dict or len(v) != 1:
            raise SweEncodeError("expected an object with one member naming the chosen item", None, path)
        ((name, x),) = v.items()
        child = items.get(name)
        if child is None:
            raise SweEncodeError(f"unknown choice item {name!r}", None, path)
        out.append(name)
        child(x, out)

    return write


def _leaf_reader(parse: Parse, path: str) -> Reader:
    def read(it: Iterator[str]) -> Any:
        tok = next(it, None)
        if tok is None:
            raise SweDecodeError("missing value (too few fields)", None, path)
        try:
            return parse(tok)
        except _ERRORS as exc:
            raise SweDecodeError(_reason(exc, tok), None, path) from None

    return read


def _range_reader(low: Reader, high: Reader) -> Reader:
    def read(it: Iterator[str]) -> Any:
        return [low(it), high(it)]

    return read


def _record_reader(entries: list[tuple[str, Reader, bool]], path: str) -> Reader:
    if not any(optional for _, _, optional in entries):
        pairs = [(name, child) for name, child, _ in entries]

        def read_all(it: Iterator[str]) -> Any:
            return {name: child(it) for name, child in pairs}

        return read_all

    def read(it: Iterator[str]) -> Any:
        out = {}
        for name, child, optional in entries:
            if optional:
                flag = next(it, None)
                if flag == "N":
                    continue
                if flag != "Y":
                    msg = f"expected 'Y' or 'N' before an optional value, got {flag!r}"
                    raise SweDecodeError(msg, None, child_path(path, name))
            out[name] = child(it)
        return out

    return read


def _array_reader(child: Reader, size: int | None, path: str) -> Reader:
    def read(it: Iterator[str]) -> Any:
        n = size
        if n is None:
            tok = next(it, None)
            if tok is None or not (tok.isascii() and tok.isdigit()):
                raise SweDecodeError(f"expected an element count, got {tok!r}", None, path)
            n = int(tok)
        return [child(it) for _ in range(n)]

    return read


def _choice_reader(items: dict[str, Reader], path: str) -> Reader:
    def read(it: Iterator[str]) -> Any:
        name = next(it, None)
        child = items.get(name or "")
        if child is None or name is None:
            raise SweDecodeError(f"expected a choice item name ({', '.join(items)}), got {name!r}", None, path)
        return {name: child(it)}

    return read


class TextCodec(RecordCodec):
    """Codec of the SWE Common text encoding."""

    def __init__(self, schema: Component, encoding: TextEncoding) -> None:
        super().__init__(schema, encoding)
        _check_separators(encoding)
        self.text_encoding = encoding
        tok, blk = encoding.token_separator, encoding.block_separator
        csv = (tok, blk, encoding.decimal) == (",", "\n", ".")
        self.media_type = SWE_CSV if csv else SWE_TEXT
        compiler = _Compiler(encoding)
        self._write = compiler.writer(schema, "")
        self._read = compiler.reader(schema, "")
        self._token_split: Callable[[str], list[str]] | None = None
        if encoding.collapse and set(tok) & set(WHITE_SPACE):
            ws = "[ \t\r\n]*"
            self._token_split = re.compile(ws + re.escape(tok) + ws).split
        self._loose_space = "".join(sorted(set(WHITE_SPACE) - set(tok) - set(blk)))
        self._fast_line: Callable[[Any], str] | None = None
        self._fast_row: Callable[[Any], Any] | None = None
        fields = flat_fields(schema)
        scalars = [scalar_text(f, encoding) for f in fields or []]
        if fields and len(fields) > 1 and all(scalars):
            names = [f.name or "" for f in fields]
            self._fast_line = joined(names, [sc[0] for sc in scalars if sc], tok)
            self._fast_row = from_sequence(names, [sc[1] for sc in scalars if sc])

    def encode(self, records: Iterable[Any]) -> Iterator[bytes]:
        """Stream records as text, one block (record) at a time, in chunks."""
        blk, fast = self.text_encoding.block_separator, self._fast_line
        start = 0
        for chunk in chunks(records, CHUNK_RECORDS):
            lines: list[str] | None = None
            if fast is not None:
                try:
                    lines = [fast(r) for r in chunk]
                except Exception:  # the slow path below reports the precise error
                    lines = None
            if lines is None:
                lines = self._lines(chunk, start)
            yield (blk.join(lines) + blk).encode()
            start += len(chunk)

    def _lines(self, chunk: list[Any], start: int) -> list[str]:
        tok, write, collapse = self.text_encoding.token_separator, self._write, self.text_encoding.collapse
        lines = []
        for i, record in enumerate(chunk, start):
            out: list[str] = []
            try:
                write(record, out)
            except SweEncodeError as exc:
                raise exc.at_record(i) from None
            if collapse and len(out) == 1 and not out[0].strip(WHITE_SPACE):
                raise SweEncodeError("an empty record cannot be written when white space collapses", i)
            lines.append(tok.join(out))
        return lines

    def decode(self, data: bytes) -> list[Any]:
        """Parse a text body (the final block separator may be omitted)."""
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SweDecodeError(f"not UTF-8 text: {exc.reason} at byte {exc.start}") from None
        records: list[Any] = []
        fast = self._fast_row
        for tokens in self._token_lists(text):
            if fast is not None:
                try:
                    records.append(fast(tokens))
                    continue
                except Exception:  # the slow path below reports the precise error
                    pass
            records.append(self._record(tokens, len(records)))
        return records

    def _record(self, tokens: list[str], index: int) -> Any:
        it = iter(tokens)
        try:
            value = self._read(it)
        except SweDecodeError as exc:
            raise exc.at_record(index) from None
        extra = next(it, None)
        if extra is not None:
            raise SweDecodeError(f"unexpected extra value {extra!r} (too many fields: {len(tokens)})", index)
        return value

    def _token_lists(self, text: str) -> list[list[str]]:
        enc = self.text_encoding
        tok = enc.token_separator
        blocks = text.split(enc.block_separator)
        if not enc.collapse:
            if blocks and not blocks[-1]:
                blocks.pop()
            return [b.split(tok) for b in blocks]
        if self._token_split is None and not any(c in text for c in self._loose_space):
            return [b.split(tok) for b in blocks if b]
        out = []
        for block in blocks:
            stripped = block.strip(WHITE_SPACE)
            if not stripped:
                continue
            if self._token_split is not None:
                out.append(self._token_split(stripped))
            else:
                out.append([t.strip(WHITE_SPACE) for t in stripped.split(tok)])
        return out
