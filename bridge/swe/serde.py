"""Table-driven JSON (de)serialisation of SWE Common dataclasses.

Each dataclass attribute that maps to a JSON member is annotated `Annotated[T, J(json_name, kind)]`;
a *kind* names a registered pair of functions (parse, dump). `parse_attrs` turns a JSON object
into constructor keyword arguments (unknown members go to `extras`), `dump_attrs` does the reverse.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, get_type_hints

from bridge.swe.errors import SweSchemaError

Parser = Callable[[Any, str], Any]
Dumper = Callable[[Any], Any]

_KINDS: dict[str, tuple[Parser, Dumper]] = {}
NAME_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_\-]*")
_MEMBERS: dict[type, tuple[tuple[str, str, str], ...]] = {}


@dataclass(frozen=True, slots=True)
class J:
    """Annotation marking a dataclass attribute as JSON member `json` converted by `kind`."""

    json: str
    kind: str


def register_kind(name: str, parse: Parser, dump: Dumper) -> None:
    """Register how one kind of attribute is parsed from and dumped to JSON."""
    _KINDS[name] = (parse, dump)


def _members(cls: type) -> tuple[tuple[str, str, str], ...]:
    """(attribute, json member, kind) for every JSON-mapped attribute of a dataclass (cached)."""
    found = _MEMBERS.get(cls)
    if found is None:
        hints = get_type_hints(cls, vars(sys.modules[cls.__module__]), include_extras=True)
        marks: dict[str, J] = {}
        for name, hint in hints.items():
            for mark in getattr(hint, "__metadata__", ()):
                if isinstance(mark, J):
                    marks[name] = mark
        found = tuple((f.name, marks[f.name].json, marks[f.name].kind) for f in fields(cls) if f.name in marks)
        _MEMBERS[cls] = found
    return found


def expect_object(d: Any, path: str) -> dict[str, Any]:
    """`d` if it is a JSON object, else SweSchemaError."""
    if not isinstance(d, dict):
        raise SweSchemaError(path, f"expected a JSON object, got {type_name(d)}")
    return d


def parse_attrs(cls: type, d: dict[str, Any], path: str, *, keep_extras: bool = True) -> dict[str, Any]:
    """Constructor keyword arguments of dataclass `cls` read from JSON object `d`."""
    kwargs: dict[str, Any] = {}
    known = {"type"}
    for attr_name, key, kind in _members(cls):
        known.add(key)
        if key in d:
            kwargs[attr_name] = _KINDS[kind][0](d[key], f"{path}.{key}")
    extras = {k: v for k, v in d.items() if k not in known}
    if extras and not keep_extras:
        raise SweSchemaError(path, f"unexpected member(s) {', '.join(sorted(extras))}")
    if keep_extras:
        kwargs["extras"] = extras
    return kwargs


def dump_attrs(obj: Any, type_name_value: str | None = None) -> dict[str, Any]:
    """The JSON object of dataclass instance `obj` (attributes left at None are omitted)."""
    out: dict[str, Any] = {}
    for attr_name, key, kind in _members(type(obj)):
        value = getattr(obj, attr_name)
        if value is not None:
            out[key] = _KINDS[kind][1](value)
        if key == "name" and type_name_value:
            out["type"] = type_name_value
    if type_name_value and "type" not in out:
        out = {"type": type_name_value, **out}
    extras = getattr(obj, "extras", None)
    if extras:
        out.update(extras)
    return out


def type_name(value: Any) -> str:
    """JSON type name of a Python value, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _parse_str(v: Any, path: str) -> str:
    if not isinstance(v, str):
        raise SweSchemaError(path, f"expected a string, got {type_name(v)}")
    return v


def _parse_name(v: Any, path: str) -> str:
    name = _parse_str(v, path)
    if not NAME_TOKEN.fullmatch(name):
        raise SweSchemaError(path, f"'{name}' is not a valid name (letter, then letters, digits, '_' or '-')")
    return name


def _parse_bool(v: Any, path: str) -> bool:
    if not isinstance(v, bool):
        raise SweSchemaError(path, f"expected a boolean, got {type_name(v)}")
    return v


def _parse_int(v: Any, path: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise SweSchemaError(path, f"expected an integer, got {type_name(v)}")
    return v


def _identity(v: Any) -> Any:
    return v


def _parse_raw(v: Any, path: str) -> Any:
    return v


register_kind("str", _parse_str, _identity)
register_kind("name", _parse_name, _identity)
register_kind("bool", _parse_bool, _identity)
register_kind("int", _parse_int, _identity)
register_kind("raw", _parse_raw, _identity)
