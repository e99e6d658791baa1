"""ISO 8601 time parsing/formatting and numeric time scales used by SWE Common `Time` values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Microseconds per unit for the numeric time units the codecs convert (UCUM codes).
US_PER_UNIT: dict[str, float] = {
    "s": 1e6,
    "ms": 1e3,
    "us": 1.0,
    "ns": 1e-3,
    "min": 6e7,
    "h": 3.6e9,
    "d": 8.64e10,
}
ISO_UOM_MARKER = "ISO-8601"


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 date-time (or a date, taken as 00:00Z) into an aware UTC datetime.

    Raises ValueError with a readable message; a date-time without a time zone is refused.
    """
    try:
        dt = datetime.fromisoformat(text)
    except (ValueError, TypeError):
        raise ValueError(f"{text!r} is not an ISO 8601 date-time") from None
    if dt.tzinfo is None:
        if len(text) == 10:
            return dt.replace(tzinfo=UTC)
        raise ValueError(f"{text!r} has no time zone ('Z' or an offset is required)")
    if dt.utcoffset():
        dt = dt.astimezone(UTC)
    return dt


def format_iso(dt: datetime) -> str:
    """ISO 8601 in UTC with a 'Z'; fractional seconds only when present, trailing zeros trimmed."""
    if dt.utcoffset():
        dt = dt.astimezone(UTC)
    text = dt.replace(tzinfo=None).isoformat()
    if dt.microsecond:
        text = text.rstrip("0")
    return text + "Z"


def normalize_iso(text: str) -> str:
    """`text` re-written in the canonical UTC form of `format_iso` (ValueError if invalid)."""
    return format_iso(parse_iso(text))


def reference_time(value: str | None) -> datetime:
    """The origin of a numeric time scale: the component's `referenceTime`, else 1970-01-01Z."""
    return EPOCH if value is None else parse_iso(value)


def to_units(dt: datetime, origin: datetime, us_per_unit: float) -> float:
    """Time `dt` as a number of units after `origin`."""
    delta = dt - origin
    us = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    if us_per_unit >= 1:
        return us / int(us_per_unit)
    return us * round(1 / us_per_unit)


def from_units(value: float, origin: datetime, us_per_unit: float) -> datetime:
    """Inverse of `to_units` (rounded to the microsecond); OverflowError if out of range."""
    return origin + timedelta(microseconds=round(value * us_per_unit))
