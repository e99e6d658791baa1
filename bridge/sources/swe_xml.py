"""SWE Common 2.0 / 1.0.1 XML → SWE Common 3 JSON, plus the text-encoding value splitter.

Stable API (also used by the SPS source): `component_to_json(el)`, `encoding_to_json(el)`,
`split_text_block(values, encoding)`; `decode_block` / `row_decoder` turn split tokens into typed
values. Element names are matched by namespace URI (SWE 2.0, 1.0.1, 1.0; GML for 1.0.1 names), never
by prefix (Q2). Output dicts validate against the bundled SWE Common 3 JSON schemas: names are made
NCName-safe, missing `label`/`definition`/`uom` get explicit fallbacks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from lxml import etree

from bridge.errors import UpstreamError
from bridge.model.legacy.sos2 import NIL_UNKNOWN
from bridge.sources.gml import GML32, GML311, normalize_time_text

SWE20 = "http://www.opengis.net/swe/2.0"
SWE101 = "http://www.opengis.net/swe/1.0.1"
SWE10 = "http://www.opengis.net/swe/1.0"
SWE_NS = frozenset({SWE20, SWE101, SWE10})
XLINK = "http://www.w3.org/1999/xlink"
ISO8601_UOM = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"

JsonDict = dict[str, Any]
_SCALARS = {"Quantity", "Count", "Boolean", "Category", "Text", "Time"}
_RANGES = {"QuantityRange", "CountRange", "TimeRange", "CategoryRange"}
_WRAPPERS = {
    "field",
    "coordinate",
    "item",
    "elementType",
    "member",
    "output",
    "input",
    "parameter",
    "capability",
    "characteristic",
    "component",
    "location",
    "orientation",
    "lowerCorner",
    "upperCorner",
    "time",
    "position",
    "encoding",
    "resultStructure",
    "resultEncoding",
}
_LABELLED = _SCALARS | _RANGES | {"Vector"}
_SPECIAL = {
    "INF": "Infinity",
    "+INF": "+Infinity",
    "-INF": "-Infinity",
    "NAN": "NaN",
    "INFINITY": "Infinity",
    "+INFINITY": "+Infinity",
    "-INFINITY": "-Infinity",
}
_BAD_NAME = re.compile(r"[^A-Za-z0-9_\-]")
_WS = re.compile(r"\s")


class SweError(UpstreamError):
    """A SWE Common element cannot be converted (unknown component, bad value)."""

    code = "InvalidSweCommon"


def local(el: etree._Element) -> str:
    """Local name of an element tag (empty for comments/PIs)."""
    tag = el.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _ns(el: etree._Element) -> str:
    tag = el.tag
    return tag[1:].split("}", 1)[0] if isinstance(tag, str) and tag.startswith("{") else ""


def elements(el: etree._Element) -> Iterator[etree._Element]:
    """Element children (comments and processing instructions skipped)."""
    return (c for c in el if isinstance(c.tag, str))


def safe_name(raw: str | None, fallback: str = "field") -> str:
    """A SWE NameToken (`^[A-Za-z][A-Za-z0-9_-]*$`) made from a legacy name like `Sensor adcp0`."""
    name = _BAD_NAME.sub("_", (raw or "").strip())
    if not name:
        return fallback
    return name if name[0].isalpha() else f"f_{name}"


def _number(text: str) -> float | int | str:
    value = text.strip()
    special = _SPECIAL.get(value.upper())
    if special:
        return special
    try:
        return int(value) if value.lstrip("+-").isdigit() else float(value)
    except ValueError as exc:
        raise SweError(f"invalid number {value!r}") from exc


def _time_value(text: str) -> str | float | int:
    value = text.strip()
    if value.lower() == "now":  # indeterminate 'now' has no SWE 3 JSON form: open-ended bound
        return "+Infinity"
    special = _SPECIAL.get(value.upper())
    if special:
        return special
    iso = normalize_time_text(value)
    if iso is not None:
        return iso
    return _number(value)  # numeric offsets (uom 's', 'ms')


def _boolean(text: str) -> bool:
    value = text.strip().lower()
    if value in ("true", "1", "y", "yes"):
        return True
    if value in ("false", "0", "n", "no"):
        return False
    raise SweError(f"invalid boolean {text!r}")


def _quantity(text: str) -> float | str:
    try:
        value = float(text)
    except ValueError as exc:
        raise SweError(f"invalid number {text.strip()!r}") from exc
    if value - value:  # NaN or ±infinity (x - x is NaN only for those): no JSON number form
        return _SPECIAL.get(text.strip().upper(), "NaN" if value != value else "Infinity" if value > 0 else "-Infinity")
    return value


def _count(text: str) -> int:
    try:
        return int(text)
    except ValueError as exc:
        raise SweError(f"invalid integer {text.strip()!r}") from exc


def _scalar_parser(kind: str) -> Callable[[str], Any]:
    if kind in ("Quantity", "QuantityRange"):
        return _quantity
    if kind in ("Count", "CountRange"):
        return _count
    if kind == "Boolean":
        return _boolean
    if kind in ("Time", "TimeRange"):
        return _time_value
    return lambda t: t.strip()


def _uom(el: etree._Element) -> JsonDict:
    code, href = el.get("code"), el.get(f"{{{XLINK}}}href")
    if code and code.strip():
        return {"code": code.strip()}
    if href and href.strip():
        return {"href": href.strip()}
    return {"href": NIL_UNKNOWN}


def _constraint(kind: str, el: etree._Element) -> JsonDict | None:
    """swe:constraint/AllowedValues|AllowedTokens|AllowedTimes (2.0 and 1.0.1 forms)."""
    allowed = next(elements(el), None)
    if allowed is None:
        return None
    out: JsonDict = {"type": local(allowed)}
    values, intervals, bounds = _allowed_items(allowed, out)
    if bounds:
        intervals.append([bounds.get("min", "-Infinity"), bounds.get("max", "+Infinity")])
    if values:
        out["values"] = values
    if intervals and out["type"] != "AllowedTokens":
        out["intervals"] = intervals
    if not ({"values", "intervals", "pattern"} & out.keys()):
        return None
    return out if kind in _SCALARS | _RANGES else None


def _allowed_items(allowed: etree._Element, out: JsonDict) -> tuple[list[Any], list[list[Any]], dict[str, Any]]:
    """Values, intervals and min/max bounds listed by an Allowed* element (pattern and figures go to `out`)."""
    parse = _time_value if out["type"] == "AllowedTimes" else _number
    tokens = out["type"] == "AllowedTokens"
    values: list[Any] = []
    intervals: list[list[Any]] = []
    bounds: dict[str, Any] = {}
    for c in elements(allowed):
        name, text = local(c), (c.text or "").strip()
        if name == "value" and text:
            values.append(text if tokens else parse(text))
        elif name == "valueList":
            values.extend(text.split() if tokens else [parse(t) for t in text.split()])
        elif name == "interval" and text:
            intervals.append([parse(t) for t in text.split()[:2]])
        elif name in ("min", "max") and text:
            bounds[name] = parse(text)
        elif name == "pattern" and text:
            out["pattern"] = text
        elif name == "significantFigures" and text.isdigit():
            out["significantFigures"] = int(text)
    return values, intervals, bounds


def _nil_values(kind: str, el: etree._Element) -> list[JsonDict]:
    parse: Callable[[str], Any] = str.strip
    if kind in ("Quantity", "QuantityRange"):
        parse = _quantity
    elif kind == "Count":
        parse = _count
    elif kind in ("Time", "TimeRange"):
        parse = _time_value
    out = []
    for nil in el.iter(f"{{{SWE20}}}nilValue", f"{{{SWE101}}}nilValue"):
        if nil.text is not None:
            out.append({"reason": (nil.get("reason") or NIL_UNKNOWN).strip(), "value": parse(nil.text)})
    return out


def _common(kind: str, el: etree._Element, name: str | None) -> JsonDict:
    out: JsonDict = {"type": kind}
    if name:
        out["name"] = safe_name(name)
    if el.get("id"):
        out["id"] = el.get("id")
    for attr in ("definition", "referenceFrame", "axisID", "localFrame", "referenceTime"):
        value = (el.get(attr) or "").strip()
        if value:
            out[attr] = normalize_time_text(value) or value if attr == "referenceTime" else value
    for attr in ("optional", "updatable"):
        if el.get(attr) is not None:
            out[attr] = el.get(attr, "").strip().lower() == "true"
    for child in elements(el):
        cname, ns = local(child), _ns(child)
        if cname in ("label", "name") and ns in SWE_NS | {GML32, GML311} and (child.text or "").strip():
            out.setdefault("label", child.text.strip())
        elif cname == "description" and (child.text or "").strip():
            out.setdefault("description", child.text.strip())
    return out


def _simple(kind: str, el: etree._Element, out: JsonDict) -> None:
    parse = _scalar_parser(kind)
    for child in elements(el):
        cname = local(child)
        if cname == "uom" and kind in ("Quantity", "QuantityRange", "Time", "TimeRange"):
            out["uom"] = _uom(child)
        elif cname == "codeSpace" and kind in ("Category", "CategoryRange"):
            href = (child.get(f"{{{XLINK}}}href") or "").strip()
            if href:
                out["codeSpace"] = href
        elif cname == "constraint" and (con := _constraint(kind, child)):
            out["constraint"] = con
        elif cname == "nilValues" and (nils := _nil_values(kind, child)):
            out["nilValues"] = nils
        elif cname == "value" and (child.text or "").strip():
            text = child.text.strip()
            out["value"] = [parse(t) for t in text.split()[:2]] if kind in _RANGES else parse(text)
    if kind in ("Quantity", "QuantityRange") and "uom" not in out:
        out["uom"] = {"href": NIL_UNKNOWN}
    if kind in ("Time", "TimeRange") and "uom" not in out:
        out["uom"] = {"href": ISO8601_UOM}


def _children(el: etree._Element, wrapper: str) -> list[JsonDict]:
    return [component_to_json(c) for c in elements(el) if local(c) == wrapper]


def component_to_json(el: etree._Element, name: str | None = None, *, values: bool = True) -> JsonDict:
    """Convert a SWE Common component (or a property wrapping one, e.g. swe:field) to SWE 3 JSON.

    Args:
        name: soft name to set; defaults to the wrapper's `@name`.
        values: False to drop inline DataArray values (schema derivation on large arrays).
    """
    if local(el) in _WRAPPERS:
        inner = next(elements(el), None)
        if inner is None:
            href = el.get(f"{{{XLINK}}}href")
            if href:
                return {"name": safe_name(name or el.get("name")), "href": href.strip()}
            raise SweError(f"empty SWE property {local(el)}")
        return component_to_json(inner, name or el.get("name"), values=values)
    kind = local(el)
    kind = {
        "SimpleDataRecord": "DataRecord",
        "ConditionalData": "DataRecord",
        "Position": "DataRecord",
        "Envelope": "DataRecord",
        "GeoLocationArea": "DataRecord",
    }.get(kind, kind)
    out = _common(kind, el, name)
    _component_body(kind, el, out, values)
    if kind in _LABELLED:
        out.setdefault("definition", NIL_UNKNOWN)
        out.setdefault("label", name or _tail(out["definition"]))
    return out


def _component_body(kind: str, el: etree._Element, out: JsonDict, values: bool) -> None:
    """The members particular to each kind of component."""
    if kind in _SCALARS | _RANGES:
        _simple(kind, el, out)
    elif kind == "DataRecord":
        out["fields"] = _record_fields(el)
    elif kind == "Vector":
        out["coordinates"] = _children(el, "coordinate")
        out.setdefault("referenceFrame", NIL_UNKNOWN)
    elif kind == "DataChoice":
        out["items"] = _children(el, "item")
        for child in elements(el):
            if local(child) == "choiceValue" and len(child):
                out["choiceValue"] = component_to_json(child[0])
    elif kind in ("DataArray", "Matrix"):
        _array(el, out, values)
    elif kind == "ObservableProperty":
        out["definition"] = out.get("definition", NIL_UNKNOWN)
    else:
        raise SweError(f"unsupported SWE Common component {kind}")


def _record_fields(el: etree._Element) -> list[JsonDict]:
    """Fields of a DataRecord; 1.0.1 Position/Envelope put their vectors in named properties."""
    fields: list[JsonDict] = []
    for child in elements(el):
        cname = local(child)
        if cname in ("field", "location", "orientation", "lowerCorner", "upperCorner", "time", "state"):
            fields.append(component_to_json(child, child.get("name") or cname))
    return fields or [{"name": "empty", "type": "Text", "definition": NIL_UNKNOWN, "label": "empty"}]


def _tail(uri: str) -> str:
    tail = re.split(r"[/#:]", uri.rstrip("/#:"))[-1]
    return tail or uri


def _array(el: etree._Element, out: JsonDict, with_values: bool) -> None:
    raw_values: str | None = None
    for child in elements(el):
        cname = local(child)
        if cname == "elementCount":
            count = next(elements(child), None)
            href = child.get(f"{{{XLINK}}}href")
            if count is not None:
                value = count.findtext(f"{{{_ns(count)}}}value")
                out["elementCount"] = {"type": "Count"}
                if value and value.strip().isdigit():
                    out["elementCount"]["value"] = int(value.strip())
            elif href:
                out["elementCount"] = {"href": href}
        elif cname == "elementType":
            out["elementType"] = component_to_json(child, child.get("name") or "element")
        elif cname == "encoding" and len(child):
            out["encoding"] = encoding_to_json(child)
        elif cname == "values":
            raw_values = child.text or ""
    if with_values and raw_values is not None and "elementType" in out:
        encoding = out.get("encoding") or {
            "type": "TextEncoding",
            "tokenSeparator": ",",
            "blockSeparator": " ",
        }
        if encoding.get("type") == "TextEncoding":
            decode = row_decoder(out["elementType"], encoding)
            out["values"] = [decode(row) for row in split_text_block(raw_values, encoding)]


def encoding_to_json(el: etree._Element) -> JsonDict:
    """swe:TextEncoding / BinaryEncoding / XMLEncoding (or the 1.0.1 TextBlock) → SWE 3 JSON."""
    if local(el) in _WRAPPERS:
        inner = next(elements(el), None)
        if inner is None:
            raise SweError("empty swe:encoding")
        el = inner
    kind = local(el)
    if kind in ("TextEncoding", "TextBlock"):
        out: JsonDict = {
            "type": "TextEncoding",
            "tokenSeparator": el.get("tokenSeparator") or ",",
            "blockSeparator": el.get("blockSeparator") or " ",
            "decimalSeparator": el.get("decimalSeparator") or ".",
        }
        collapse = el.get("collapseWhiteSpaces")
        out["collapseWhiteSpaces"] = collapse is None or collapse.strip().lower() == "true"
        return out
    if kind == "XMLEncoding":
        return {"type": "XMLEncoding"}
    if kind in ("BinaryEncoding", "BinaryBlock"):
        members = []
        for member in el.iter(f"{{{SWE20}}}Component", f"{{{SWE101}}}Component"):
            comp = {"type": "Component", "ref": member.get("ref", ""), "dataType": member.get("dataType", "")}
            members.append(comp)
        return {
            "type": "BinaryEncoding",
            "byteOrder": el.get("byteOrder") or "bigEndian",
            "byteEncoding": el.get("byteEncoding") or "raw",
            "members": members or [{"type": "Component", "ref": ".", "dataType": NIL_UNKNOWN}],
        }
    raise SweError(f"unsupported SWE encoding {kind}")


# ------------------------------------------------------------------------------- text-block values


def _strip_count(blocks: list[list[str]], count_prefix: bool | None) -> list[list[str]]:
    """Drop a leading element count (GetResult / InsertResult style, Q9) when it matches."""
    if not blocks or count_prefix is False:
        return blocks
    first = blocks[0]
    head = first[0] if first else ""
    if not head.isdigit():
        return blocks
    n = int(head)
    if len(first) == 1 and (count_prefix or n == len(blocks) - 1):
        return blocks[1:]
    width = len(blocks[1]) if len(blocks) > 1 else None
    if n == len(blocks) and (count_prefix or (width is not None and len(first) == width + 1)):
        return [first[1:], *blocks[1:]]
    return blocks


def split_text_block(values: str, encoding: JsonDict, *, count_prefix: bool | None = None) -> list[list[str]]:
    """Split a SWE text-encoded block into rows of tokens (exact-string separators, Q9).

    Whitespace around tokens is collapsed (unless `collapseWhiteSpaces` is false); an empty trailing
    block is ignored; whitespace-only block separators match any line break/space run (XML parsers
    turn `&#13;&#10;` into `\\n`). A leading element count is dropped when it matches the number of
    blocks (`count_prefix=None`), always (`True`) or never (`False`).
    """
    ts = encoding.get("tokenSeparator") or ","
    bs = encoding.get("blockSeparator") or " "
    collapse = encoding.get("collapseWhiteSpaces", True)
    text = values.strip() if collapse else values
    if not text:
        return []
    blocks = text.split(bs)
    if bs.isspace() and collapse:  # XML turns `&#13;&#10;` into `\n`: any whitespace run separates blocks
        blocks = text.splitlines() if ts.isspace() else text.split()
    if collapse and _WS.search(text) and not ts.isspace():
        rows = [[t.strip() for t in b.split(ts)] for b in blocks if b.strip()]
    elif collapse and ts.isspace():
        rows = [b.split() for b in blocks if b.strip()]
    else:
        rows = [b.split(ts) for b in blocks if b]
    return _strip_count(rows, count_prefix)


def flat_leaves(component: JsonDict) -> list[JsonDict] | None:
    """Scalar leaves in encoding order, or None when the structure has choices/optional/arrays."""
    kind = component.get("type")
    if component.get("optional") or kind in ("DataChoice", "DataArray", "Matrix"):
        return None
    if kind in ("DataRecord", "Vector"):
        out: list[JsonDict] = []
        for child in component.get("fields") or component.get("coordinates") or []:
            sub = flat_leaves(child)
            if sub is None:
                return None
            out.extend(sub)
        return out
    return [component] if kind in _SCALARS | _RANGES else None


def token_parser(leaf: JsonDict, decimal: str = ".") -> Callable[[str], Any]:
    """Parser of one text token for a scalar leaf (Quantity → float, Count → int, Time → RFC 3339…)."""
    kind = str(leaf.get("type"))
    base = _scalar_parser(kind)
    if decimal != "." and kind in ("Quantity", "QuantityRange"):
        return lambda t: base(t.replace(decimal, "."))
    return base


def row_decoder(component: JsonDict, encoding: JsonDict) -> Callable[[list[str]], Any]:
    """A function turning one row of tokens into typed values (a list of leaf values when flat)."""
    decimal = encoding.get("decimalSeparator") or "."
    leaves = flat_leaves(component)
    if leaves is None or any(leaf["type"] in _RANGES for leaf in leaves):
        return lambda row: decode_block(row, component, decimal)
    parsers = [token_parser(leaf, decimal) for leaf in leaves]

    def decode(row: list[str]) -> list[Any]:
        if len(row) != len(parsers):
            raise SweError(f"row has {len(row)} tokens, structure has {len(parsers)}")
        return [p(t) if t else None for p, t in zip(parsers, row, strict=True)]

    return decode


def decode_block(tokens: list[str], component: JsonDict, decimal: str = ".") -> Any:
    """Decode the tokens of one block following SWE text rules (optional Y/N, choice names, ranges)."""
    it = iter(tokens)
    try:
        return _decode(component, it, decimal)
    except StopIteration as exc:
        raise SweError("block has fewer tokens than its structure") from exc


def _decode(comp: JsonDict, it: Iterator[str], decimal: str) -> Any:
    if comp.get("optional") and next(it).strip().upper() in ("N", "FALSE", "0"):
        return None
    kind = comp.get("type")
    if kind in ("DataRecord", "Vector"):
        members = comp.get("fields") or comp.get("coordinates") or []
        return {m.get("name", f"c{i}"): _decode(m, it, decimal) for i, m in enumerate(members)}
    if kind == "DataChoice":
        chosen = next(it).strip()
        for item in comp.get("items", []):
            if item.get("name") == chosen:
                return {chosen: _decode(item, it, decimal)}
        raise SweError(f"unknown DataChoice item {chosen!r}")
    if kind in ("DataArray", "Matrix"):
        count = comp.get("elementCount", {}).get("value")
        n = int(count) if isinstance(count, int) else int(next(it))
        return [_decode(comp["elementType"], it, decimal) for _ in range(n)]
    parse = token_parser(comp, decimal)
    if kind in _RANGES:
        return [parse(next(it)), parse(next(it))]
    token = next(it)
    return parse(token) if token != "" else None
