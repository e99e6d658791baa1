"""sps:ParameterData codec: CSAPI-style parameter JSON ↔ SWE text or XML encoded values.

Text encoding rules (SWE Common 2.0, as in the OGC SPS 2.0 examples): components are flattened
depth-first; an `optional` component is preceded by a `Y`/`N` flag (`N` → no tokens follow); a
DataChoice is the selected item name followed by the item's tokens; ranges are two tokens; a
Vector is one token per coordinate; a DataArray without a fixed size starts with its count.
XML encoding: one element per component, named after the field, simple values as text, a choice
as a child named after the selected item, optional components omitted when absent.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from lxml import etree

from bridge.model.legacy.sps2 import FeasibilityResult, ParameterData, TaskingDescription
from bridge.sources.sps2.values import (
    RANGES,
    SIMPLE,
    JsonDict,
    TaskingParameterError,
    check,
    members,
    number,
)
from bridge.sources.xml import parse_xml

_SCALAR_OF = {"TimeRange": "Time", "QuantityRange": "Quantity", "CountRange": "Count", "CategoryRange": "Category"}


def _array_count(component: JsonDict) -> int | None:
    count = component.get("elementCount")
    value = count.get("value") if isinstance(count, dict) else None
    return value if isinstance(value, int) else None


def _format_number(x: float, decimal: str) -> str:
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "INF" if x > 0 else "-INF"
    text = str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)
    return text.replace(".", decimal)


def _scalar_token(kind: str, value: Any, decimal: str) -> str:
    if kind == "Boolean":
        return "true" if value else "false"
    if kind == "Count":
        return str(int(value))
    if kind == "Quantity":
        x = number(value)
        return _format_number(x if x is not None else math.nan, decimal)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


class _TextWriter:
    def __init__(self, encoding: JsonDict) -> None:
        self.tokens: list[str] = []
        self.decimal = str(encoding.get("decimalSeparator") or ".")
        self.separators = [str(encoding[k]) for k in ("tokenSeparator", "blockSeparator") if encoding.get(k)]

    def token(self, value: str, path: str) -> None:
        """Append one token, refusing values that contain a separator."""
        if any(sep in value for sep in self.separators):
            raise TaskingParameterError([f"{path}: {value!r} contains a separator of the text encoding"])
        self.tokens.append(value)

    def write(self, component: JsonDict, value: Any, path: str) -> None:
        """Append the tokens of a (present) value."""
        kind = str(component.get("type"))
        if kind in SIMPLE:
            self.token(_scalar_token(kind, value, self.decimal), path)
        elif kind in RANGES:
            for i, bound in enumerate(value):
                self.token(_scalar_token(_SCALAR_OF[kind], bound, self.decimal), f"{path}[{i}]")
        elif kind == "DataChoice":
            ((name, item_value),) = value.items()
            self.token(name, path)
            item = next(m for m in members(component) if m.get("name") == name)
            self.member(item, item_value, f"{path}.{name}", flag=False)
        elif kind in ("DataRecord", "Vector"):
            if isinstance(value, list):
                value = {m["name"]: v for m, v in zip(members(component), value, strict=True)}
            for m in members(component):
                self.member(m, value.get(m["name"]), f"{path}.{m['name']}")
        else:  # DataArray / Matrix
            if _array_count(component) is None:
                self.token(str(len(value)), path)
            for i, element in enumerate(value):
                self.write(component.get("elementType") or {}, element, f"{path}[{i}]")

    def member(self, component: JsonDict, value: Any, path: str, *, flag: bool = True) -> None:
        """Append a record member: Y/N flag when optional, fixed `value` when absent."""
        if value is None and "value" in component:
            value = component["value"]
        if flag and component.get("optional"):
            self.tokens.append("N" if value is None else "Y")
        if value is not None:
            self.write(component, value, path)


def _xml_write(component: JsonDict, name: str, value: Any, parent: etree._Element, ns: str | None) -> None:
    if value is None and "value" in component:
        value = component["value"]
    if value is None:
        return
    el = etree.SubElement(parent, f"{{{ns}}}{name}" if ns else name)
    kind = str(component.get("type"))
    if kind in SIMPLE:
        el.text = _scalar_token(kind, value, ".")
    elif kind in RANGES:
        el.text = " ".join(_scalar_token(_SCALAR_OF[kind], v, ".") for v in value)
    elif kind == "DataChoice":
        ((item_name, item_value),) = value.items()
        item = next(m for m in members(component) if m.get("name") == item_name)
        _xml_write(item, item_name, item_value, el, ns)
    elif kind in ("DataRecord", "Vector"):
        if isinstance(value, list):
            value = {m["name"]: v for m, v in zip(members(component), value, strict=True)}
        for m in members(component):
            _xml_write(m, str(m["name"]), value.get(m["name"]), el, ns)
    else:
        element_type = component.get("elementType") or {}
        for item_value in value:
            _xml_write(element_type, str(element_type.get("name") or "elem"), item_value, el, ns)


def _schema(description: TaskingDescription, update: bool) -> JsonDict:
    if not update:
        return description.parameters
    if description.updatable_parameters is None:
        raise TaskingParameterError(["the procedure declares no updatable tasking parameters"])
    return description.updatable_parameters


def encode_parameters(
    description: TaskingDescription,
    values: Mapping[str, Any],
    *,
    update: bool = False,
    encoding: JsonDict | None = None,
) -> ParameterData:
    """Validate `values` against the DescribeTasking schema and encode them as sps:ParameterData.

    Args:
        update: encode against the updatable subset (sps:Update) instead of the full record.
        encoding: SWE Common 3 JSON TextEncoding/XMLEncoding; defaults to the description's encoding.
    """
    schema = _schema(description, update)
    enc = encoding or description.encoding
    value = dict(values)
    problems = check(schema, value)
    if problems:
        raise TaskingParameterError(problems)
    if enc.get("type") == "XMLEncoding":
        holder = etree.Element("values")
        _xml_write(schema, description.name or "parameters", value, holder, enc.get("namespace"))
        text = "".join(etree.tostring(c, encoding="unicode") for c in holder)
        return ParameterData(dict(enc), text)
    if enc.get("type") != "TextEncoding":
        raise TaskingParameterError([f"unsupported parameter encoding {enc.get('type')!r}"])
    writer = _TextWriter(enc)
    writer.write(schema, value, "$")
    return ParameterData(dict(enc), str(enc.get("tokenSeparator", ",")).join(writer.tokens))


def _parse_scalar(kind: str, token: str, decimal: str, path: str) -> Any:
    try:
        if kind == "Boolean":
            if token.lower() not in ("true", "false", "1", "0"):
                raise ValueError(token)
            return token.lower() in ("true", "1")
        if kind == "Count":
            return int(token)
        if kind == "Quantity":
            special = number(token)
            return special if special is not None else float(token.replace(decimal, "."))
    except ValueError as exc:
        raise TaskingParameterError([f"{path}: {token!r} is not a valid {kind}"]) from exc
    return token


class _TextReader:
    def __init__(self, data: ParameterData) -> None:
        enc = data.encoding
        block = str(enc.get("blockSeparator") or "\n")
        first = data.values.strip().split(block)[0] if block else data.values.strip()
        raw = first.split(str(enc.get("tokenSeparator") or ","))
        collapse = enc.get("collapseWhiteSpaces", True)
        self.decimal = str(enc.get("decimalSeparator") or ".")
        self._tokens: Iterator[str] = iter([t.strip() if collapse else t for t in raw])

    def next(self, path: str) -> str:
        """The next token; the block ending early is an error."""
        token = next(self._tokens, None)
        if token is None:
            raise TaskingParameterError([f"{path}: the encoded values end too early"])
        return token

    def rest(self) -> list[str]:
        """Non-empty tokens left over after decoding."""
        return [t for t in self._tokens if t]

    def scalar(self, kind: str, token: str, path: str) -> Any:
        """A typed scalar from one token."""
        return _parse_scalar(kind, token, self.decimal, path)

    def read(self, component: JsonDict, path: str) -> Any:
        """Consume the tokens of one component."""
        kind = str(component.get("type"))
        if kind in SIMPLE:
            return self.scalar(kind, self.next(path), path)
        if kind in RANGES:
            return [self.scalar(_SCALAR_OF[kind], self.next(path), f"{path}[{i}]") for i in range(2)]
        if kind == "DataChoice":
            name = self.next(path)
            item = next((m for m in members(component) if m.get("name") == name), None)
            if item is None:
                raise TaskingParameterError([f"{path}: {name!r} is not an item of the choice"])
            return {name: self.read(item, f"{path}.{name}")}
        if kind in ("DataRecord", "Vector"):
            out: dict[str, Any] = {}
            for m in members(component):
                sub = f"{path}.{m['name']}"
                if m.get("optional") and self.next(sub) == "N":
                    continue
                out[str(m["name"])] = self.read(m, sub)
            return out
        count = _array_count(component)
        size = count if count is not None else int(self.next(path))
        return [self.read(component.get("elementType") or {}, f"{path}[{i}]") for i in range(size)]


def decode_parameters(description: TaskingDescription, data: ParameterData, *, update: bool = False) -> Any:
    """Decode sps:ParameterData (text or XML) back to parameter JSON, then validate it."""
    schema = _schema(description, update)
    if data.encoding.get("type") == "XMLEncoding":
        value = _xml_read(schema, parse_xml(data.values.encode()), "$")
    else:
        reader = _TextReader(data)
        value = reader.read(schema, "$")
        extra = reader.rest()
        if extra:
            raise TaskingParameterError([f"$: {len(extra)} unexpected trailing token(s) {extra[:3]}"])
    problems = check(schema, value)
    if problems:
        raise TaskingParameterError(problems)
    return value


def _xml_read(component: JsonDict, el: etree._Element, path: str) -> Any:
    kind = str(component.get("type"))
    if kind in SIMPLE:
        return _parse_scalar(kind, (el.text or "").strip(), ".", path)
    if kind in RANGES:
        parts = (el.text or "").split()
        if len(parts) != 2:
            raise TaskingParameterError([f"{path}: expected two values, got {len(parts)}"])
        return [_parse_scalar(_SCALAR_OF[kind], p, ".", f"{path}[{i}]") for i, p in enumerate(parts)]
    kids = {etree.QName(c).localname: c for c in el if isinstance(c.tag, str)}
    if kind == "DataChoice":
        for m in members(component):
            if m["name"] in kids:
                return {m["name"]: _xml_read(m, kids[m["name"]], f"{path}.{m['name']}")}
        raise TaskingParameterError([f"{path}: no item of the choice is present"])
    if kind in ("DataRecord", "Vector"):
        return {
            m["name"]: _xml_read(m, kids[m["name"]], f"{path}.{m['name']}")
            for m in members(component)
            if m["name"] in kids
        }
    element_type = component.get("elementType") or {}
    return [_xml_read(element_type, c, f"{path}[{i}]") for i, c in enumerate(el) if isinstance(c.tag, str)]


def decode_alternatives(description: TaskingDescription | None, result: FeasibilityResult) -> list[Any]:
    """The parameter sets a GetFeasibility answer proposes instead, decoded (undecodable ones are skipped)."""
    found: list[Any] = []
    for alternative in result.alternatives or result.report.alternatives:
        if description is None or alternative.parameters is None:
            continue
        try:
            found.append(decode_parameters(description, alternative.parameters))
        except TaskingParameterError:
            continue
    return found
