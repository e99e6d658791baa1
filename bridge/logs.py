"""Log lines: the usual text, or one JSON object per line (`log_json`) carrying the run id or request id.

The ids live in context variables: the HTTP middleware sets the request id for the handling of a request, a
harvest run sets its run id while it runs, and every line logged meanwhile (by any module) carries them.
"""

from __future__ import annotations

import contextvars
import logging
from datetime import UTC, datetime

import orjson

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("bridge_request_id", default=None)
run_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("bridge_run_id", default=None)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and `request_id` / `run_id` when set."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line (the message is formatted as text first, with its exception if any)."""
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, var in (("request_id", request_id), ("run_id", run_id)):
            value = var.get()
            if value is not None:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line).decode()


def configure_logging(json_lines: bool, level: int = logging.INFO) -> None:
    """Set the root handler's format: JSON lines or text (replacing the format set by an earlier call)."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level, format=TEXT_FORMAT)
    root.setLevel(level)
    formatter: logging.Formatter = JsonFormatter() if json_lines else logging.Formatter(TEXT_FORMAT)
    for handler in root.handlers:
        handler.setFormatter(formatter)
