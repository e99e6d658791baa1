"""SensorML 2.0 and 1.0.1 XML → SensorML-JSON (the encoding CSAPI Part 1 uses for systems/procedures).

`process_to_json(el)` accepts sml:PhysicalSystem, PhysicalComponent, SimpleProcess, AggregateProcess
(2.0, `http://www.opengis.net/sensorml/2.0`) and sml:System, Component, ProcessModel, ProcessChain
(1.0.1, `http://www.opengis.net/sensorML/1.0.1` — the case of "ML" is the only difference, Q2).
The output validates against `sensorml/system.json` (physical) or `procedure.json` (processes); what the
schema cannot hold (both a person and an organisation in a contact, non-URI roles…) is reduced or
rewritten, while `contact_records` keeps contacts complete.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

from bridge.sources.gml import (
    GML32,
    GML311,
    XLINK_HREF,
    geometry_to_geojson,
    time_property,
    to_rfc3339,
)
from bridge.sources.swe_xml import SWE_NS, SweError, component_to_json, elements, local, safe_name

SML20 = "http://www.opengis.net/sensorml/2.0"
SML101 = "http://www.opengis.net/sensorML/1.0.1"
SML_NS = (SML20, SML101)
XLINK = "http://www.w3.org/1999/xlink"
ROLE_BASE = "http://standards.iso.org/iso/19115/resources/Codelists/cat/codelists.xml#CI_RoleCode_"

JsonDict = dict[str, Any]
_JSON_TYPE = {
    "PhysicalSystem": "PhysicalSystem",
    "PhysicalComponent": "PhysicalComponent",
    "SimpleProcess": "SimpleProcess",
    "AggregateProcess": "AggregateProcess",
    "System": "PhysicalSystem",
    "Component": "PhysicalComponent",
    "ProcessModel": "SimpleProcess",
    "ProcessChain": "AggregateProcess",
}
_DEFINITION = {
    "PhysicalSystem": "sosa:System",
    "PhysicalComponent": "sosa:Sensor",
    "SimpleProcess": "sosa:Procedure",
    "AggregateProcess": "sosa:Procedure",
}
_UID_DEFS = ("uniqueid", "urn", "stationid", "sensorid", "platformid")
_PROPERTY_TYPES = {
    "Quantity",
    "Count",
    "Boolean",
    "Category",
    "Text",
    "Time",
    "QuantityRange",
    "CountRange",
    "TimeRange",
    "CategoryRange",
    "Vector",
    "DataArray",
    "Matrix",
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CONTACT_FIELDS = {
    "individualName": "individualName",
    "organizationName": "organisationName",
    "organisationName": "organisationName",
    "positionName": "positionName",
}
_PHONE = {"voice": "voice", "facsimile": "facsimile"}
_ADDRESS = ("deliveryPoint", "city", "administrativeArea", "postalCode", "country", "electronicMailAddress")


def is_process(el: etree._Element) -> bool:
    """True for a SensorML 2.0 or 1.0.1 process/system element."""
    tag = el.tag
    if not isinstance(tag, str):
        return False
    ns, _, name = tag[1:].partition("}")
    return ns in SML_NS and name in _JSON_TYPE


def json_type(el: etree._Element) -> str:
    """SensorML-JSON `type` for a process element (1.0.1 System → PhysicalSystem…)."""
    return _JSON_TYPE[local(el)]


def _sml(el: etree._Element, *path: str) -> list[etree._Element]:
    """Children along a path of local names in the element's SensorML namespace (either version)."""
    found = [el]
    for name in path:
        found = [c for parent in found for c in elements(parent) if local(c) == name]
    return found


def _text(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    value = "".join(el.itertext()).strip()
    return value or None


def _gml(el: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in elements(el) if local(c) == name and c.tag.startswith(("{" + GML32, "{" + GML311 + "}"))]


def _href(el: etree._Element) -> str | None:
    value = (el.get(XLINK_HREF) or "").strip()
    return value or None


# -------------------------------------------------------------------------------------- terms


def terms(el: etree._Element, list_name: str, item: str) -> list[JsonDict]:
    """identification/classification terms as SensorML-JSON Terms (label, value, definition, codeSpace)."""
    out: list[JsonDict] = []
    for holder in _sml(el, list_name):
        for entry in [e for lst in elements(holder) for e in elements(lst) if local(e) == item]:
            for term in (t for t in elements(entry) if local(t) == "Term"):
                value = _text(next((c for c in elements(term) if local(c) == "value"), None))
                if value is None:
                    continue
                label = _text(next((c for c in elements(term) if local(c) == "label"), None))
                definition = (term.get("definition") or "").strip()
                label = label or entry.get("name") or _tail(definition) or item
                record: JsonDict = {"label": label, "value": value}
                if definition:
                    record["definition"] = definition
                space = next((c for c in elements(term) if local(c) == "codeSpace"), None)
                if space is not None and _href(space):
                    record["codeSpace"] = _href(space)
                out.append(record)
    return out


def _tail(uri: str) -> str:
    return re.split(r"[/#:]", uri.rstrip("/#:"))[-1] if uri else ""


def unique_id(el: etree._Element) -> str | None:
    """The process uid: gml:identifier (codeSpace uniqueID/uid), a uniqueID term, or identification@href."""
    idents = _gml(el, "identifier")
    for ident in idents:
        space = (ident.get("codeSpace") or "").lower()
        if "uniqueid" in space or space.endswith("uid"):
            return _text(ident)
    if idents and _text(idents[0]):
        return _text(idents[0])
    ids = terms(el, "identification", "identifier")
    for key in _UID_DEFS:
        for term in ids:
            if term.get("definition", "").lower().endswith(key) or term["label"].lower() == key:
                return str(term["value"])
    for holder in _sml(el, "identification"):
        if _href(holder):
            return _href(holder)
    return None


def label_of(el: etree._Element, ids: list[JsonDict]) -> str | None:
    """gml:name, else the longName/shortName identifier."""
    for name in _gml(el, "name"):
        if _text(name):
            return _text(name)
    for key in ("longname", "shortname"):
        for term in ids:
            if term.get("definition", "").lower().endswith(key) or term["label"].lower().replace(" ", "") == key:
                return str(term["value"])
    return None


# ------------------------------------------------------------------------------------ contacts


def _find_text(el: etree._Element, name: str) -> str | None:
    for node in el.iter():
        if isinstance(node.tag, str) and local(node) == name:
            value = _text(node)
            if value:
                return value
    return None


def contact_record(contact: etree._Element) -> JsonDict:
    """A contact (SML 1.0.1 ResponsibleParty or ISO gmd:CI_ResponsibleParty) with every field found."""
    record: JsonDict = {}
    for xml_name, key in _CONTACT_FIELDS.items():
        if (value := _find_text(contact, xml_name)) and key not in record:
            record[key] = value
    info: JsonDict = {}
    phone = {key: v for name, key in _PHONE.items() if (v := _find_text(contact, name))}
    if phone:
        info["phone"] = phone
    address = {name: v for name in _ADDRESS if (v := _find_text(contact, name))}
    if address:
        info["address"] = address
    site = _find_text(contact, "URL") or next(
        (_href(n) for n in contact.iter() if isinstance(n.tag, str) and local(n) == "onlineResource" and _href(n)),
        None,
    )
    if site:
        info["website"] = site
    for name in ("hoursOfService", "contactInstructions"):
        if value := _find_text(contact, name):
            info[name] = value
    if info:
        record["contactInfo"] = info
    record["role"] = _role(contact)
    return record


def _role(contact: etree._Element) -> str:
    raw = contact.get(f"{{{XLINK}}}role") or contact.get(f"{{{XLINK}}}arcrole") or ""
    for node in contact.iter():
        if isinstance(node.tag, str) and local(node) == "CI_RoleCode":
            raw = raw or node.get("codeListValue") or _text(node) or ""
    raw = raw or contact.get(f"{{{XLINK}}}title") or "pointOfContact"
    raw = raw.strip()
    if re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", raw):
        return raw
    words = re.sub(r"^CI_RoleCode_", "", raw).replace("_", " ").split()
    camel = words[0][:1].lower() + words[0][1:] + "".join(w[:1].upper() + w[1:] for w in words[1:])
    return ROLE_BASE + camel


def contact_records(el: etree._Element) -> list[JsonDict]:
    """All contacts of a process (1.0.1 `contact[/ContactList/member]`, 2.0 `contacts/…/contact`)."""
    holders = _sml(el, "contacts", "ContactList", "contact") + _sml(el, "contact")
    members: list[etree._Element] = []
    for holder in holders:
        lists = [c for c in elements(holder) if local(c) == "ContactList"]
        if lists:
            members.extend(m for lst in lists for m in elements(lst) if local(m) == "member")
        else:
            members.append(holder)
    return [r for m in members if (r := contact_record(m)) and len(r) > 1]


def _schema_contact(record: JsonDict) -> JsonDict:
    """Reduce a contact to what ResponsibleParty.json accepts (one of person/organisation)."""
    out = {k: v for k, v in record.items() if k != "organisationName" or "individualName" not in record}
    address = out.get("contactInfo", {}).get("address")
    if address and not _EMAIL.match(address.get("electronicMailAddress", "x@y.z")):
        address.pop("electronicMailAddress")
    return out


# ------------------------------------------------------------------------------------ position


def _vector_point(comp: JsonDict) -> JsonDict | None:
    coords = {c.get("name", "").lower(): c for c in comp.get("coordinates") or comp.get("fields") or []}
    axes = {str(c.get("axisID", "")).lower(): c for c in coords.values()}

    def pick(names: tuple[str, ...], axis: tuple[str, ...]) -> float | None:
        for key in names:
            if key in coords and isinstance(coords[key].get("value"), float | int):
                return float(coords[key]["value"])
        for key in axis:
            if key in axes and isinstance(axes[key].get("value"), float | int):
                return float(axes[key]["value"])
        return None

    lat = pick(("lat", "latitude", "northing", "y"), ("lat", "y", "n"))
    lon = pick(("lon", "long", "longitude", "easting", "x"), ("lon", "long", "x", "e"))
    if lat is None or lon is None or abs(lat) > 90 or abs(lon) > 180:
        return None
    alt = pick(("alt", "altitude", "height", "elevation", "z"), ("z", "alt", "h"))
    return {"type": "Point", "coordinates": [lon, lat] if alt is None else [lon, lat, alt]}


def position(el: etree._Element) -> tuple[JsonDict | None, JsonDict | None]:
    """(GeoJSON point in lon/lat, SensorML-JSON `position` value) from sml:position / sml:location."""
    for holder in _sml(el, "position") + _sml(el, "location"):
        for child in elements(holder):
            if child.tag.startswith(("{" + GML32, "{" + GML311 + "}")):
                geo = geometry_to_geojson(child)
                if geo.geometry and geo.geometry["type"] == "Point" and geo.crs84:
                    return geo.geometry, geo.geometry
                continue
            try:
                comp = component_to_json(child)
            except SweError:
                continue
            inner = comp
            if comp["type"] == "DataRecord":  # 1.0.1 swe:Position/location/Vector
                inner = next((f for f in comp["fields"] if f.get("type") == "Vector"), comp)
            point = _vector_point(inner)
            if point:
                return point, point
            comp.pop("name", None)
            return None, comp
    return None, None


# --------------------------------------------------------------------------------- properties


def io_list(el: etree._Element, list_name: str, item: str) -> list[JsonDict]:
    """inputs/outputs/parameters as named SWE components (or ObservableProperty)."""
    out: list[JsonDict] = []
    for entry in [e for lst in _sml(el, list_name) for e in _sml(lst, f"{item[0].upper()}{item[1:]}List", item)]:
        try:
            comp = component_to_json(entry, entry.get("name") or f"{item}{len(out)}", values=False)
        except SweError:
            continue
        if "type" in comp:
            out.append(comp)
    return out


def property_lists(el: etree._Element, kind: str) -> list[JsonDict]:
    """characteristics / capabilities groups (2.0 CharacteristicList, 1.0.1 DataRecord) → JSON lists."""
    member = kind[:-1] if kind == "characteristics" else "capability"
    out: list[JsonDict] = []
    for holder in _sml(el, kind):
        group: JsonDict = {}
        if holder.get("name"):
            group["label"] = holder.get("name")
        items: list[JsonDict] = []
        for lst in elements(holder):
            entries = [e for e in elements(lst) if local(e) in (member, "field")] if local(lst) != member else [lst]
            for entry in entries:
                try:
                    comp = component_to_json(entry, entry.get("name"), values=False)
                except SweError:
                    continue
                items.extend(_as_properties(comp))
        if items:
            group[kind] = items
            out.append(group)
    return out


def _as_properties(comp: JsonDict) -> list[JsonDict]:
    if comp.get("type") in _PROPERTY_TYPES:
        return [comp]
    if comp.get("type") == "DataRecord":  # nested records are not allowed in property lists: flatten
        prefix = comp.get("name", "record")
        flat = []
        for f in comp.get("fields", []):
            for sub in _as_properties(f):
                flat.append({**sub, "name": safe_name(f"{prefix}_{sub.get('name', 'field')}")})
        return flat
    return []


def _components(el: etree._Element) -> tuple[list[JsonDict], list[str]]:
    links: list[JsonDict] = []
    uids: list[str] = []
    for entry in _sml(el, "components", "ComponentList", "component"):
        name = safe_name(entry.get("name"), f"component{len(links)}")
        inner = next((c for c in elements(entry) if is_process(c)), None)
        uid = unique_id(inner) if inner is not None else None
        href = uid or _href(entry)
        title = entry.get(f"{{{XLINK}}}title") or (label_of(inner, []) if inner is not None else None)
        uids.append(href or entry.get("name") or name)
        link: JsonDict = {"name": name, "type": "Link", "href": href or f"#{name}"}
        if uid:
            link["uid"] = uid
        if title:
            link["title"] = title
        links.append(link)
    return links, uids


def valid_time(el: etree._Element) -> list[str] | None:
    """sml:validTime → [start, end|"now"] (None when the start is unknown)."""
    for holder in _sml(el, "validTime"):
        extent = time_property(holder)
        if extent is None or extent.start is None:
            return None
        return [to_rfc3339(extent.start), to_rfc3339(extent.end) if extent.end else "now"]
    return None


def process_to_json(el: etree._Element, uid: str | None = None) -> JsonDict:
    """Convert a SensorML process element to a SensorML-JSON dict (uid fallback: `uid`)."""
    kind = json_type(el)
    ids = terms(el, "identification", "identifier")
    out: JsonDict = {"type": kind, "definition": _DEFINITION[kind]}
    out["uniqueId"] = unique_id(el) or uid or f"urn:x-sensorml:gml-id:{el.get(f'{{{GML32}}}id') or 'unknown'}"
    out["label"] = label_of(el, ids) or out["uniqueId"]
    if description := _text(next(iter(_gml(el, "description")), None)):
        out["description"] = description
    keywords = [k for holder in _sml(el, "keywords") for lst in elements(holder) for k in elements(lst)]
    if words := [t for k in keywords if (t := _text(k))]:
        out["keywords"] = words
    for key, value in (("identifiers", ids), ("classifiers", terms(el, "classification", "classifier"))):
        if value:
            out[key] = value
    if period := valid_time(el):
        out["validTime"] = period
    _describe_content(el, kind, out)
    return out


def _describe_content(el: etree._Element, kind: str, out: JsonDict) -> None:
    """typeOf, contacts, characteristics/capabilities, inputs/outputs/parameters, position, components."""
    typeof = next(iter(_sml(el, "typeOf")), None)
    if typeof is not None and _href(typeof):
        out["typeOf"] = {
            "href": _href(typeof),
            **({"title": t} if (t := typeof.get(f"{{{XLINK}}}title")) else {}),
        }
    if contacts := [_schema_contact(c) for c in contact_records(el)]:
        out["contacts"] = contacts
    for key in ("characteristics", "capabilities"):
        if groups := property_lists(el, key):
            out[key] = groups
    for key, item in (("inputs", "input"), ("outputs", "output"), ("parameters", "parameter")):
        if comps := io_list(el, key, item):
            out[key] = comps
    if kind in ("PhysicalSystem", "PhysicalComponent"):
        _, pos = position(el)
        if pos is not None:
            out["position"] = pos
    links, _ = _components(el)
    if links and kind in ("PhysicalSystem", "AggregateProcess"):
        out["components"] = links


def component_uids(el: etree._Element) -> list[str]:
    """uids (or names) of a system's components."""
    return _components(el)[1]


__all__ = [
    "SML20",
    "SML101",
    "SWE_NS",
    "component_uids",
    "contact_records",
    "is_process",
    "json_type",
    "label_of",
    "position",
    "process_to_json",
    "terms",
    "unique_id",
    "valid_time",
]
