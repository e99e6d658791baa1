"""SOS observation rows: compiled per-datastream mappers from SOS records to store rows (the hot path).

Two record forms arrive (see `bridge.sources.sos2.records`): decoded `(Observation, seq)` pairs and compact
rows from the bulk paths (GetResult text blocks, plain measurements and DataArrays of GetObservation). Both
give the same legacy key for the same observation: procedure, property, feature of interest, phenomenon
time and, for repeated identities within one response, their position.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson

from bridge.mapping.transforms import numeric_result, stable_id, stable_key
from bridge.model.time import format_datetime, from_us, to_us
from bridge.sources.sos2.compact import CompactRow
from bridge.sources.sos2.records import Record

_OFFERING_KEYS = ("offering", "http://www.opengis.net/def/param-name/OGC-OM/2.0/offering")

Row = tuple[int, int, int, str | None, float | None, str | None, str | None, int]
_key = struct.Struct(">q").unpack_from  # the first 8 bytes of a digest as a signed 64-bit key


def observation_mapper(source: str, kind: str) -> Callable[[Record], Row]:
    """A compiled per-datastream function: (SOS observation, seq) → store row (`ds` filled in by the store).

    The legacy key is the observation's identity: procedure, property, feature of interest and phenomenon
    time (+ its position among identical identities in one response); 52°North gml:ids (`o_1`) are per
    response, not stable, so they are not used.
    """
    foi_ids: dict[str | None, str | None] = {None: None}
    prefix = f"{source}/Observation/"
    numeric = kind in ("num", "int", "bool")
    as_text = kind == "text"

    def mapper(record: Record) -> Row:
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
        identity = f"{prefix}{obs.procedure}/{obs.observed_property}/{key}/{phenomenon}/{end}"
        legacy = stable_key(f"{identity}#{seq}" if seq else identity)
        extra = _extra(obs, phenomenon != end) if obs.parameters or obs.quality or phenomenon != end else None
        return (0, phenomenon, result_time, foi, num, txt, extra, legacy)

    return mapper


def compact_mapper(source: str, kind: str, procedure: str, prop: str) -> Callable[[CompactRow], Row]:
    """The row mapper of compact GetResult rows (same legacy keys as `observation_mapper`)."""
    foi_ids: dict[str | None, str | None] = {None: None}
    prefix = f"{source}/Observation/{procedure}/{prop}/"
    # the legacy key hashes `{prefix}{feature}/{start}/{end}[#seq]`: the hash state after the constant part is
    # kept per feature and copied for each row (the very digest of `stable_key`, with less work per row)
    hashed: dict[str | None, Any] = {}
    numeric = kind in ("num", "int", "bool")
    as_text = kind == "text"

    def mapper(row: CompactRow) -> Row:
        start, end, result_time, key, value, seq = row[:6]
        foi = foi_ids.get(key)
        if foi is None and key:
            foi = foi_ids[key] = stable_id(f"{source}/FeatureOfInterest/{key}")
        base = hashed.get(key)
        if base is None:
            if len(hashed) > 4096:
                hashed.clear()
            base = hashed[key] = hashlib.sha1(f"{prefix}{key or None}/".encode())
        if value is None:
            num = txt = None
        elif numeric:
            num, txt = (value if type(value) is float else numeric_result(value)), None
        else:
            num, txt = None, (value if as_text and isinstance(value, str) else orjson.dumps(value).decode())
        digest = base.copy()
        digest.update(b"%d/%d#%d" % (start, end, seq) if seq else b"%d/%d" % (start, end))
        legacy = _key(digest.digest())[0]  # = stable_key(identity)
        extra = None
        if start != end:
            span = [_utc(from_us(start)), _utc(from_us(end))]
            extra = orjson.dumps({"parameters": {"phenomenonTimeInterval": span}}).decode()
        return (0, start, result_time, foi, num, txt, extra, legacy)

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
