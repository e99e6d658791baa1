"""SensorThings time values: instants (`Z`, `+00:00`, any fraction) and intervals `a/b`."""

from __future__ import annotations

from datetime import UTC, datetime

from bridge.errors import UpstreamError
from bridge.model.legacy.sta import TimeExtent


def parse_instant(value: str) -> datetime:
    """Parse one ISO 8601 instant; `Z` and offsets accepted, a missing zone is taken as UTC."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise UpstreamError(f"unparseable SensorThings time {value!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_extent(value: object) -> TimeExtent | None:
    """Parse an STA time that may be an instant or an interval `start/end`; null -> None."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise UpstreamError(f"SensorThings time is not a string: {value!r}")
    text = value.strip()
    if not text:
        return None
    if "/" in text:
        start, _, end = text.partition("/")
        return TimeExtent(parse_instant(start), parse_instant(end))
    return TimeExtent(parse_instant(text))


def parse_optional_instant(value: object) -> datetime | None:
    """Parse an instant that may be null/absent; an interval yields its start (resultTime on 1.0 servers)."""
    extent = parse_extent(value)
    return extent.start if extent else None


def format_instant(value: datetime) -> str:
    """Format an instant for `$filter` literals: UTC with a `Z`, microseconds only when present."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    utc = value.astimezone(UTC)
    spec = "microseconds" if utc.microsecond else "seconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"
