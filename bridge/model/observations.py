"""Observation rows: the compact form in which observations are written to and read from the store.

Times are microseconds since 1970-01-01T00:00Z; the result sits in `num` (numbers, booleans) or `txt`
(strings, or JSON text for structured results) as the datastream's result kind says; `extra` is a rare
JSON object (parameters, resultQuality, result@link).
"""

from __future__ import annotations

from typing import NamedTuple


class ObsRow(NamedTuple):
    """One observation to write; the datastream it belongs to is given beside the rows."""

    phenomenon_time: int
    result_time: int
    foi: str | None  # local id of the sampling feature
    num: float | None
    txt: str | None
    extra: str | None
    legacy_key: int | None  # identity of a harvested observation (duplicates are dropped by it)


class StoredObservation(NamedTuple):
    """One observation as read back: its key, its datastream's key, then the stored values."""

    pk: int
    ds: int  # the datastream's integer key
    phenomenon_time: int
    result_time: int
    foi: str | None
    num: float | None
    txt: str | None
    extra: str | None


NAN_MARK = "NaN"  # the `txt` of a numeric result that is NaN (`num` is NULL): SQLite would store NaN as NULL
