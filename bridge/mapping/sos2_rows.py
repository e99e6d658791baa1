"""SOS observation rows: compiled per-datastream mappers from SOS records to store rows (the hot path).

Two record forms arrive (`bridge.model.legacy.sos2`): decoded `ObservationRecord` pairs and `CompactRow`s
from the bulk paths (GetResult text blocks, plain measurements and DataArrays of GetObservation). Both give
the same legacy key for the same observation: procedure, property, feature of interest, phenomenon time
and, for repeated identities within one response, their position.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson

from bridge.mapping.keys import observation_keys
from bridge.mapping.transforms import numeric_result, stable_id
from bridge.model.legacy.sos2 import CompactRow, ObservationRecord
from bridge.model.observations import ObsRow
from bridge.model.time import format_datetime, from_us, to_us

_OFFERING_KEYS = ("offering", "http://www.opengis.net/def/param-name/OGC-OM/2.0/offering")


def observation_mapper(source: str, kind: str) -> Callable[[ObservationRecord], ObsRow]:
    """A compiled per-datastream function: (SOS observation, seq) → store row.

    The legacy key is the observation's identity: procedure, property, feature of interest and phenomenon
    time (+ its position among identical identities in one response); 52°North gml:ids (`o_1`) are per
    response, not stable, so they are not used.
    """
    foi_ids: dict[str | None, str | None] = {None: None}
    legacy_key = observation_keys(source)  # of `{procedure}/{property}/{feature}/{start}/{end}[#seq]`
    numeric = kind in ("num", "int", "bool")
    as_text = kind == "text"

    def mapper(record: ObservationRecord) -> ObsRow:
        obs, seq = record
        extent = obs.phenomenon_time
        start = extent.start or extent.end or obs.result_time
        if start is None:
            raise ValueError(f"observation {obs.gml_id} has neither phenomenonTime nor resultTime")
        phenomenon = to_us(start)
        end = phenomenon if extent.end is None or extent.end is start else to_us(extent.end)
        stamp = obs.result_time
        result_time = end if stamp is None or stamp is extent.end else to_us(stamp)
        key = obs.foi
        if not key or key[:1] == "#":  # unresolved `#id` reference: no feature (as `foi_key`)
            key = None
        foi = foi_ids.get(key)
        if foi is None and key is not None:
            foi = foi_ids[key] = stable_id(f"{source}/FeatureOfInterest/{key}")
        value = obs.result
        if value is None:
            num = txt = None
        elif numeric:
            num, txt = (float(value) if type(value) is float else numeric_result(value)), None
        elif as_text:
            num, txt = None, value if isinstance(value, str) else orjson.dumps(value).decode()
        else:
            num, txt = None, orjson.dumps(value).decode()
        identity = f"{obs.procedure}/{obs.observed_property}/{key}/{phenomenon}/{end}"
        legacy = legacy_key((f"{identity}#{seq}" if seq else identity).encode())
        extra = _extra(obs, phenomenon != end) if obs.parameters or obs.quality or phenomenon != end else None
        return ObsRow(phenomenon, result_time, foi, num, txt, extra, legacy)

    return mapper


def compact_mapper(source: str, kind: str, procedure: str, prop: str) -> Callable[[CompactRow], ObsRow]:
    """The row mapper of compact GetResult rows (same legacy keys as `observation_mapper`)."""
    # per feature: its id and the legacy keys of `{procedure}/{property}/{feature}/` + `{start}/{end}[#seq]`
    features: dict[str | None, tuple[str | None, Callable[[bytes], int]]] = {}
    numeric = kind in ("num", "int", "bool")
    as_text = kind == "text"

    def feature(key: str | None) -> tuple[str | None, Callable[[bytes], int]]:
        if len(features) > 4096:
            features.clear()
        foi = stable_id(f"{source}/FeatureOfInterest/{key}") if key else None
        found = features[key] = (foi, observation_keys(source, f"{procedure}/{prop}/{key or None}/"))
        return found

    def mapper(row: CompactRow) -> ObsRow:
        start, end, result_time, key, value, seq, _ = row
        foi, legacy_key = features.get(key) or feature(key)
        if value is None:
            num = txt = None
        elif numeric:
            num, txt = (value if type(value) is float else numeric_result(value)), None
        else:
            num, txt = None, (value if as_text and isinstance(value, str) else orjson.dumps(value).decode())
        legacy = legacy_key(b"%d/%d#%d" % (start, end, seq) if seq else b"%d/%d" % (start, end))
        extra = None
        if start != end:
            span = [_utc(from_us(start)), _utc(from_us(end))]
            extra = orjson.dumps({"parameters": {"phenomenonTimeInterval": span}}).decode()
        return ObsRow(start, result_time, foi, num, txt, extra, legacy)

    return mapper


def _utc(value: datetime) -> str:
    """RFC 3339 in UTC (both decoders of a stream write interval bounds identically)."""
    return format_datetime(value)


def _extra(obs: Any, interval: bool) -> str | None:
    params = {k: v for k, v in obs.parameters.items() if k not in _OFFERING_KEYS} if obs.parameters else {}
    if interval:
        extent = obs.phenomenon_time
        params["phenomenonTimeInterval"] = [_utc(extent.start), _utc(extent.end)]
    extra: dict[str, Any] = {}
    if params:
        extra["parameters"] = params
    if obs.quality:
        extra["resultQuality"] = list(obs.quality)
    return orjson.dumps(extra, default=str).decode() if extra else None
