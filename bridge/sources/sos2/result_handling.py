"""Result handling (GetResultTemplate, GetResult) and the 52°North GetDataAvailability extension."""

from __future__ import annotations

from collections.abc import Iterator

from bridge.errors import UpstreamError
from bridge.model.legacy.sos2 import (
    OM_CATEGORY,
    OM_COMPLEX,
    OM_COUNT,
    OM_MEASUREMENT,
    OM_TEXT,
    OM_TRUTH,
    DataAvailability,
    Observation,
    ResultTemplate,
    TimeExtent,
)
from bridge.sources.gml import GmlError, time_property
from bridge.sources.sos2.exceptions import check_exception
from bridge.sources.sos2.ns import GDA10, GDA20, SOS20, TITLE, elements, href, kid, local, ns_of, text
from bridge.sources.sos2.observations import decode_rows, plan_rows
from bridge.sources.swe_xml import SweError, component_to_json, encoding_to_json, split_text_block

_SCALAR_TYPE = {
    "Quantity": OM_MEASUREMENT,
    "Count": OM_COUNT,
    "Boolean": OM_TRUTH,
    "Category": OM_CATEGORY,
    "Text": OM_TEXT,
}


def parse_result_template(data: bytes) -> ResultTemplate:
    """A GetResultTemplate response → record structure and encoding as SWE Common 3 JSON."""
    root = check_exception(data)
    structure = kid(root, SOS20, "resultStructure")
    encoding = kid(root, SOS20, "resultEncoding")
    if structure is None or encoding is None:
        raise UpstreamError(f"not a GetResultTemplate response: <{local(root)}>")
    try:
        return ResultTemplate(component_to_json(structure, values=False), encoding_to_json(encoding))
    except SweError as exc:
        raise UpstreamError(f"unreadable result template: {exc}") from exc


def result_values_text(data: bytes) -> str:
    """The raw `sos:resultValues` text of a GetResult response ('' when empty)."""
    root = check_exception(data)
    if local(root) != "GetResultResponse":
        raise UpstreamError(f"not a GetResult response: <{local(root)}>")
    values = kid(root, SOS20, "resultValues")
    return "".join(values.itertext()) if values is not None else ""


def iter_result_values(
    data: bytes,
    template: ResultTemplate,
    *,
    procedure: str | None = None,
    observed_property: str | None = None,
    offering: str | None = None,
    foi: str | None = None,
) -> Iterator[Observation]:
    """Observations of a GetResult response decoded with its template (count prefix handled, Q9)."""
    encoding = template.encoding
    if encoding.get("type") != "TextEncoding":
        raise UpstreamError(f"unsupported result encoding {encoding.get('type')}")
    try:
        plan = plan_rows(template.structure, encoding)
        rows = decode_rows(plan, split_text_block(result_values_text(data), encoding))
        comp = plan.value_component
        kind = _SCALAR_TYPE.get(str((comp or {}).get("type")), OM_COMPLEX)
        unit = (comp or {}).get("uom") or {}
        for row in rows:
            phen = row.phenomenon_time or TimeExtent(None, None, "unknown", "unknown")
            yield Observation(
                gml_id=None,
                declared_type=None,
                detected_type=kind if not isinstance(row.value, dict) else OM_COMPLEX,
                procedure=procedure,
                observed_property=observed_property,
                phenomenon_time=phen,
                result_time=row.result_time or phen.end,
                result=row.value,
                offering=offering,
                foi=row.foi or foi,
                uom=unit.get("code") or unit.get("href"),
                result_component=comp,
                issues=("time without zone: UTC assumed",) if phen.assumed_utc else (),
            )
    except (SweError, GmlError, ValueError) as exc:
        raise UpstreamError(f"unreadable GetResult values: {exc}") from exc


def parse_data_availability(data: bytes) -> list[DataAvailability]:
    """A GetDataAvailability response (sosgda 1.0 or 2.0) → one record per member."""
    root = check_exception(data)
    if ns_of(root) not in (GDA10, GDA20):
        raise UpstreamError(f"not a GetDataAvailability response: <{local(root)}>")
    refs: dict[str, TimeExtent] = {}
    out = []
    for member in root.iter(f"{{{GDA10}}}dataAvailabilityMember", f"{{{GDA20}}}dataAvailabilityMember"):
        values: dict[str, str | None] = {}
        phen = None
        count = None
        for child in elements(member):
            name = local(child)
            if name in ("procedure", "observedProperty", "featureOfInterest", "offering"):
                values[name] = href(child) or text(child) or (child.get(TITLE) or "").strip() or None
            elif name == "phenomenonTime":
                phen = time_property(child, refs)
            elif name == "count" and (t := text(child)) and t.isdigit():
                count = int(t)
        out.append(
            DataAvailability(
                procedure=values.get("procedure"),
                observed_property=values.get("observedProperty"),
                feature_of_interest=values.get("featureOfInterest"),
                phenomenon_time=phen,
                offering=values.get("offering"),
                count=count,
            )
        )
    return out


__all__ = ["iter_result_values", "parse_data_availability", "parse_result_template"]
