"""SWE Common JSON encoding (application/swe+json): a JSON array of records.

Records and vectors are objects keyed by member name, or arrays when the JSONEncoding sets
`recordsAsArrays` / `vectorsAsArrays` (an omitted optional field is then `null`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import orjson

from bridge.swe.codec import CHUNK_RECORDS, SWE_JSON, RecordCodec
from bridge.swe.components import (
    Boolean,
    Category,
    CategoryRange,
    Component,
    Count,
    CountRange,
    DataArray,
    DataChoice,
    DataRecord,
    Geometry,
    Quantity,
    QuantityRange,
    Text,
    Time,
    TimeRange,
    Vector,
)
from bridge.swe.encodings import JSONEncoding
from bridge.swe.errors import SweDecodeError, SweEncodeError, SweSchemaError
from bridge.swe.fastpath import chunks, flat_fields, from_sequence, mapped, to_list
from bridge.swe.geometry import check_geojson
from bridge.swe.scalars import (
    CANONICAL_SPECIAL,
    SPECIAL_OF_FLOAT,
    iso_in,
    iso_out,
    numeric_time_in,
    to_bool,
    to_int,
)
from bridge.swe.serde import type_name
from bridge.swe.values import child_path

Conv = Callable[[Any], Any]
_ERRORS = (TypeError, ValueError, KeyError, AttributeError, OverflowError)


def _number_out(v: Any) -> Any:
    cls = v.__class__
    if cls is float:
        return v if v - v == 0.0 else SPECIAL_OF_FLOAT[repr(v)]
    if cls is int:
        return v
    if cls is str:
        return CANONICAL_SPECIAL[v]
    raise TypeError(f"expected a number, got {v!r}")


def _number_in(v: Any) -> Any:
    cls = v.__class__
    if cls is float:
        return v
    if cls is int:
        return float(v)
    if cls is str and v in CANONICAL_SPECIAL:
        return CANONICAL_SPECIAL[v]
    raise ValueError(f"expected a number, got {type_name(v)} {v!r}")


def _count_in(v: Any) -> int:
    if v.__class__ is int:
        return v
    if v.__class__ is float and v.is_integer():
        return int(v)
    raise ValueError(f"expected an integer, got {type_name(v)} {v!r}")


def _bool_in(v: Any) -> bool:
    if v is True or v is False:
        return v
    raise ValueError(f"expected true or false, got {type_name(v)} {v!r}")


def _str(v: Any) -> str:
    if v.__class__ is str:
        return v
    raise ValueError(f"expected a string, got {type_name(v)} {v!r}")


def _iso_in(v: Any) -> str:
    if v.__class__ is str:
        return iso_in(v)
    raise ValueError(f"expected an ISO 8601 time string, got {type_name(v)} {v!r}")


def _scalar_convs(c: Component) -> tuple[Conv, Conv] | None:
    """(encode, decode) converters of one scalar value; None for aggregates."""
    if isinstance(c, Quantity | QuantityRange):
        return _number_out, _number_in
    if isinstance(c, Count | CountRange):
        return to_int, _count_in
    if isinstance(c, Boolean):
        return to_bool, _bool_in
    if isinstance(c, Text | Category | CategoryRange):
        return _str, _str
    if isinstance(c, Time | TimeRange):
        if c.is_iso:
            return iso_out, _iso_in
        to_number = numeric_time_in(c)
        return (lambda v: _number_out(to_number(v))), _number_in
    if isinstance(c, Geometry):
        return check_geojson, check_geojson
    return None


class _Compiler:
    """Compiles a component tree into (encode, decode) converter closures with error paths."""

    def __init__(self, enc: JSONEncoding) -> None:
        self.records_as_arrays = bool(enc.records_as_arrays)
        self.vectors_as_arrays = bool(enc.vectors_as_arrays)

    def compile(self, c: Component, path: str) -> tuple[Conv, Conv]:
        scalar = _scalar_convs(c)
        if scalar is not None:
            if isinstance(c, QuantityRange | CountRange | TimeRange | CategoryRange):
                return _range(scalar[0], path, SweEncodeError), _range(scalar[1], path, SweDecodeError)
            return _leaf(scalar[0], path, SweEncodeError), _leaf(scalar[1], path, SweDecodeError)
        if isinstance(c, DataRecord | Vector):
            members = c.children()
            compiled = [self.compile(m, child_path(path, m.name or "")) for m in members]
            entries = [(m.name or "", conv, m.is_optional) for m, conv in zip(members, compiled, strict=True)]
            arrays = self.vectors_as_arrays if isinstance(c, Vector) else self.records_as_arrays
            return _record_out(entries, path, arrays), _record_in(entries, path, arrays)
        if isinstance(c, DataArray):
            enc, dec = self.compile(c.element_type, f"{path}[]")
            return _array(enc, c.fixed_size, path, SweEncodeError), _array(dec, c.fixed_size, path, SweDecodeError)
        if isinstance(c, DataChoice):
            items = {m.name or "": self.compile(m, child_path(path, m.name or "")) for m in c.items}
            return _choice(items, 0, path, SweEncodeError), _choice(items, 1, path, SweDecodeError)
        raise SweSchemaError(path or "$", f"{type(c).__name__} cannot be JSON-encoded (unresolved reference?)")


ErrorType = type[SweEncodeError] | type[SweDecodeError]


def _leaf(conv: Conv, path: str, error: ErrorType) -> Conv:
    def run(v: Any) -> Any:
        try:
            return conv(v)
        except _ERRORS as exc:
            raise error(f"invalid value {v!r}" if isinstance(exc, KeyError) else str(exc), None, path) from None

    return run


def _range(conv: Conv, path: str, error: ErrorType) -> Conv:
    def run(v: Any) -> Any:
        if v.__class__ is not list or len(v) != 2:
            raise error(f"expected an array of two values, got {v!r}", None, path)
        try:
            return [conv(v[0]), conv(v[1])]
        except _ERRORS as exc:
            raise error(str(exc), None, path) from None

    return run


def _record_out(entries: list[tuple[str, tuple[Conv, Conv], bool]], path: str, arrays: bool) -> Conv:
    plan = [(name, convs[0], optional, child_path(path, name)) for name, convs, optional in entries]

    def run(v: Any) -> Any:
        if v.__class__ is not dict:
            raise SweEncodeError(f"expected an object, got {v!r}", None, path)
        out: dict[str, Any] = {}
        for name, conv, optional, cpath in plan:
            x = v.get(name)
            if x is None:
                if not optional:
                    raise SweEncodeError("a value is required", None, cpath)
                continue
            out[name] = conv(x)
        return list(out.get(name) for name, _, _, _ in plan) if arrays else out

    return run


def _record_in(entries: list[tuple[str, tuple[Conv, Conv], bool]], path: str, arrays: bool) -> Conv:
    plan = [(name, convs[1], optional, child_path(path, name)) for name, convs, optional in entries]
    names = {name for name, _, _, _ in plan}

    def run(v: Any) -> Any:
        if arrays:
            if v.__class__ is not list or len(v) != len(plan):
                raise SweDecodeError(f"expected an array of {len(plan)} values, got {v!r}", None, path)
            v = {name: x for (name, _, _, _), x in zip(plan, v, strict=True)}
        elif v.__class__ is not dict:
            raise SweDecodeError(f"expected an object, got {type_name(v)}", None, path)
        out: dict[str, Any] = {}
        for name, conv, optional, cpath in plan:
            x = v.get(name)
            if x is None:
                if not optional:
                    raise SweDecodeError("a value is required", None, cpath)
                continue
            out[name] = conv(x)
        if len(v) > len(out) and not arrays:
            for key in v:
                if key not in names:
                    raise SweDecodeError("unknown field", None, child_path(path, str(key)))
        return out

    return run


def _array(conv: Conv, size: int | None, path: str, error: ErrorType) -> Conv:
    def run(v: Any) -> Any:
        if v.__class__ is not list:
            raise error(f"expected an array, got {type_name(v)}", None, path)
        if size is not None and len(v) != size:
            raise error(f"expected {size} elements, got {len(v)}", None, path)
        return [conv(x) for x in v]

    return run


def _choice(items: dict[str, tuple[Conv, Conv]], which: int, path: str, error: ErrorType) -> Conv:
    def run(v: Any) -> Any:
        if v.__class__ is not dict or len(v) != 1:
            raise error("expected an object with one member naming the chosen item", None, path)
        ((name, x),) = v.items()
        convs = items.get(name)
        if convs is None:
            raise error(f"unknown choice item {name!r} (expected one of {', '.join(items)})", None, path)
        return {name: convs[which](x)}

    return run


class JsonCodec(RecordCodec):
    """Codec of the SWE Common JSON encoding."""

    media_type = SWE_JSON

    def __init__(self, schema: Component, encoding: JSONEncoding) -> None:
        super().__init__(schema, encoding)
        compiler = _Compiler(encoding)
        self._out, self._in = compiler.compile(schema, "")
        self._fast_out: Conv | None = None
        self._fast_in: Conv | None = None
        fields = flat_fields(schema)
        convs = [_scalar_convs(f) for f in fields or []]
        if fields and all(convs):
            names = [f.name or "" for f in fields]
            encs, decs = [c[0] for c in convs if c], [c[1] for c in convs if c]
            arrays = compiler.vectors_as_arrays if isinstance(schema, Vector) else compiler.records_as_arrays
            self._fast_out = to_list(names, encs) if arrays else mapped(names, encs, exact=False)
            self._fast_in = from_sequence(names, decs) if arrays else mapped(names, decs)

    def encode(self, records: Iterable[Any]) -> Iterator[bytes]:
        """Stream a JSON array of records in chunks."""
        prefix, start, fast = b"[", 0, self._fast_out
        for chunk in chunks(records, CHUNK_RECORDS):
            items: list[Any] | None = None
            if fast is not None:
                try:
                    items = [fast(r) for r in chunk]
                except Exception:  # the slow path below reports the precise error
                    items = None
            if items is None:
                items = self._convert(chunk, start)
            yield prefix + self._dump(items, start)[1:-1]
            prefix = b","
            start += len(chunk)
        yield b"[]" if prefix == b"[" else b"]"

    def _convert(self, chunk: list[Any], start: int) -> list[Any]:
        convert, items = self._out, []
        for i, record in enumerate(chunk, start):
            try:
                items.append(convert(record))
            except SweEncodeError as exc:
                raise exc.at_record(i) from None
        return items

    def encode_record(self, record: Any) -> bytes:
        """One record as a JSON value (not wrapped in an array)."""
        try:
            return self._dump(self._out(record), 0)
        except SweEncodeError as exc:
            raise exc.at_record(0) from None

    @staticmethod
    def _dump(value: Any, start: int) -> bytes:
        try:
            return orjson.dumps(value)
        except TypeError as exc:
            raise SweEncodeError(f"not serialisable as JSON: {exc}", start) from None

    def decode(self, data: bytes) -> list[Any]:
        """Parse a JSON array of records (a single non-array JSON value counts as one record)."""
        try:
            body = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            raise SweDecodeError(f"invalid JSON: {exc}") from None
        items = body if isinstance(body, list) else [body]
        if self._fast_in is not None:
            try:
                return [self._fast_in(item) for item in items]
            except Exception:  # the slow path below reports the precise error
                pass
        convert = self._in
        records = []
        for i, item in enumerate(items):
            try:
                records.append(convert(item))
            except SweDecodeError as exc:
                raise exc.at_record(i) from None
        return records
