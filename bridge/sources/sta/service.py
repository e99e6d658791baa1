"""The STA service root: entity sets, conformance classes and the capabilities the reader may use."""

from __future__ import annotations

import re
from typing import Any

from bridge.errors import UpstreamError
from bridge.model.legacy.sta import ServiceRoot

_VERSION = re.compile(r"/v(\d+\.\d+)/?$")


def normalise_root(url: str) -> str:
    """The service root URL with its trailing slash (some servers answer 404 without it)."""
    return url if url.endswith("/") else url + "/"


def parse_service_root(url: str, doc: Any) -> ServiceRoot:
    """Read entity sets and `serverSettings.conformance` (1.1; 1.0 roots have none)."""
    if not isinstance(doc, dict) or not isinstance(doc.get("value"), list):
        raise UpstreamError(f"{url} is not a SensorThings service root (no 'value' list)")
    sets: dict[str, str] = {}
    for item in doc["value"]:
        if isinstance(item, dict) and isinstance(item.get("name"), str) and isinstance(item.get("url"), str):
            sets[item["name"]] = item["url"]
    settings = doc.get("serverSettings")
    conformance_raw = settings.get("conformance") if isinstance(settings, dict) else None
    conformance = [str(c) for c in conformance_raw] if isinstance(conformance_raw, list) else []
    match = _VERSION.search(url)
    version = match.group(1) if match else ("1.1" if conformance else None)
    capabilities = _capabilities(sets, conformance)
    data_array: bool | None = "data_array" in capabilities
    if not conformance and not data_array:
        data_array = None  # a 1.0 root cannot say; the reader may probe
    return ServiceRoot(
        url=url,
        version=version,
        entity_sets=sets,
        conformance=conformance,
        capabilities=frozenset(capabilities),
        data_array=data_array,
    )


def _capabilities(sets: dict[str, str], conformance: list[str]) -> set[str]:
    lowered = [c.lower() for c in conformance]

    def conforms(*needles: str) -> bool:
        return any(n in c for c in lowered for n in needles)

    found: set[str] = set()
    if "MultiDatastreams" in sets or conforms("multi-datastream", "multidatastream"):
        found.add("multi_datastream")
    if conforms("data-array", "dataarray"):
        found.add("data_array")
    if "TaskingCapabilities" in sets or conforms("tasking"):
        found.add("tasking")
    if conforms("/csv", "resultformat-csv", "result-format/csv"):
        found.add("csv")
    if conforms("geojson"):
        found.add("geojson")
    if conforms("create-update-delete"):
        found.add("create_update_delete")
    return found
