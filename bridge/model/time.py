"""Time values: RFC 3339 parsing, formatting, and the integer microsecond form used in the store."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
_FRACTION = re.compile(r"\.(\d+)")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}Z?$")
_US_MIN = -62135596800 * 1_000_000  # 0001-01-01
_US_MAX = 253402300799 * 1_000_000 + 999_999  # 9999-12-31T23:59:59.999999
_fromiso = datetime.fromisoformat


def parse_datetime(value: str) -> datetime:
    """Parse an RFC 3339 date-time (or a date, taken as 00:00Z) into an aware UTC datetime.

    Raises ValueError with a readable message.
    """
    text = value.strip()
    if not text:
        raise ValueError("empty time value")
    if _DATE_ONLY.match(text):
        return datetime.combine(date.fromisoformat(text.rstrip("Z")), datetime.min.time(), UTC)
    normalized = text.replace("z", "Z").replace("t", "T")
    normalized = normalized[:-1] + "+00:00" if normalized.endswith("Z") else normalized
    # Python accepts at most 6 fractional digits; legacy servers send more.
    normalized = _FRACTION.sub(lambda m: "." + m.group(1)[:6].ljust(6, "0"), normalized, count=1)
    try:
        parsed = datetime.fromisoformat(normalized)
    except ValueError:
        raise ValueError(f"'{value}' is not an RFC 3339 date-time") from None
    if "T" not in normalized:
        raise ValueError(f"'{value}' is not an RFC 3339 date-time")
    if parsed.tzinfo is None:
        raise ValueError(f"'{value}' has no time zone (RFC 3339 requires 'Z' or an offset)")
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"'{value}' is outside the supported time range") from None


def format_datetime(value: datetime) -> str:
    """RFC 3339 in UTC with a `Z`, milliseconds/microseconds only when present; the year always has four
    digits (`strftime("%Y")` writes year 999 as `999`, which no RFC 3339 reader accepts)."""
    value = value.astimezone(UTC)
    text = f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    if value.microsecond:
        return text + f".{value.microsecond:06d}".rstrip("0") + "Z"
    return text + "Z"


def to_us(value: datetime) -> int:
    """Microseconds since 1970-01-01T00:00Z (the store's time column form); a naive value is local time."""
    if value.tzinfo is None:
        value = value.astimezone(UTC)
    return (value - EPOCH) // MICROSECOND


def from_us(value: int) -> datetime:
    """Inverse of `to_us`."""
    return EPOCH + timedelta(microseconds=value)


def format_us(value: int) -> str:
    """RFC 3339 text of a stored microsecond time."""
    return format_datetime(from_us(value))


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def clamp_us(value: int) -> int:
    """A microsecond time brought inside the supported range (0001-01-01 … 9999-12-31)."""
    return max(_US_MIN, min(_US_MAX, value))


_DAY_CACHE: dict[int, str] = {}
_MINUTE_CACHE: dict[int, str] = {}
_TWO = [f"{i:02d}" for i in range(100)]
_SECOND_Z = [f"{i:02d}Z" for i in range(60)]
_CACHED = 100_000  # entries of each cache (a minute cache of 69 days, a day cache of 273 years)


def _minute_text(minute: int) -> str:
    """`YYYY-MM-DDThh:mm:` of a minute since the epoch."""
    days, rem = divmod(minute, 1440)
    day = _DAY_CACHE.get(days)
    if day is None:
        date = EPOCH + timedelta(days=days)
        day = f"{date.year:04d}-{date.month:02d}-{date.day:02d}T"
        if len(_DAY_CACHE) < _CACHED:
            _DAY_CACHE[days] = day
    hours, minutes = divmod(rem, 60)
    text = day + _TWO[hours] + ":" + _TWO[minutes] + ":"
    if len(_MINUTE_CACHE) < _CACHED:
        _MINUTE_CACHE[minute] = text
    return text


def iso_us(value: int) -> str:
    """Fast RFC 3339 text of a stored microsecond time (hot path of observation encoding)."""
    secs, frac = divmod(value, 1_000_000)
    minute, second = divmod(secs, 60)
    head = _MINUTE_CACHE.get(minute) or _minute_text(minute)
    if frac:
        return head + _TWO[second] + ("." + str(1_000_000 + frac)[1:]).rstrip("0") + "Z"
    return head + _SECOND_Z[second]


def zoned_iso(text: str) -> datetime | None:
    """A full ISO 8601 date-time with a zone (`YYYY-MM-DDThh:mm:ss…` + `Z`/offset); None for any other form.

    The fast path of every legacy time reader: the common form costs one `fromisoformat`, no regex; None
    sends the caller to its general parser (reduced precision, no zone, padding, garbage).
    """
    if len(text) < 20 or text[10] != "T":
        return None
    try:
        stamp = _fromiso(text)
    except ValueError:
        return None
    return stamp if stamp.tzinfo is not None else None


def zoned_iso_us(text: str) -> int | None:
    """Microseconds of `zoned_iso(text)` (None when that is None): the hot path of bulk observation readers.

    The same test as `zoned_iso`, written out: one call less per value (a few per cent of a bulk read).
    """
    if len(text) < 20 or text[10] != "T":
        return None
    try:
        stamp = _fromiso(text)
    except ValueError:
        return None
    return None if stamp.tzinfo is None else (stamp - EPOCH) // MICROSECOND


def iso_to_us(text: str) -> int:
    """Microseconds of an RFC 3339 date-time; fast for the canonical `…Z` / offset forms (hot path of ingest:
    the test of `zoned_iso_us` written out again, a call less per value)."""
    value = None
    if len(text) >= 20 and text[10] == "T":
        try:
            stamp = _fromiso(text)
        except ValueError:
            stamp = None
        if stamp is not None and stamp.tzinfo is not None:
            value = (stamp - EPOCH) // MICROSECOND
    if value is None:
        value = to_us(parse_datetime(text))  # raises with a readable message (or expands a bare date)
    if not _US_MIN <= value <= _US_MAX:
        raise ValueError(f"'{text}' is outside the supported time range")
    return value
