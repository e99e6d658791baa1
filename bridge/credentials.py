"""Credentials of legacy services kept out of the config text and out of every output.

A source's secret (a header value, a password) is written in the configuration as a literal, or as a reference
read when it is used: `{env = "NAME"}` (an environment variable) or `{file = "/run/secrets/x"}` (a file, e.g. a
container secret; trailing newlines dropped). Every secret value the bridge holds is remembered here, and
`redact` replaces it (and the forms it travels in: Basic `user:password` in base64, percent-encoded) by `***`:
log records (`install_log_redaction`), run reports and error messages pass through it.
"""

from __future__ import annotations

import base64
import logging
import os
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, SecretStr, model_validator

from bridge.errors import ConfigError

MASK = "***"
MIN_SECRET = 4  # shorter values are not searched for (they would mask ordinary words)


class SecretRef(BaseModel):
    """A secret read when it is used: from an environment variable or from a file (exactly one)."""

    env: str | None = None
    file: str | None = None

    @model_validator(mode="after")
    def _one_place(self) -> SecretRef:
        if (self.env is None) == (self.file is None):
            raise ValueError("a secret reference names exactly one of `env` or `file`")
        return self

    def where(self) -> str:
        """Where the secret is read from (safe to show: never the value)."""
        return f"environment variable {self.env}" if self.env is not None else f"file {self.file}"


Secret = SecretStr | SecretRef


def reveal(secret: Secret) -> str:
    """The value of a secret (reading its variable or file now); raises ConfigError naming where it was missing."""
    if isinstance(secret, SecretStr):
        value = secret.get_secret_value()
    elif secret.env is not None:
        found = os.environ.get(secret.env)
        if found is None:
            raise ConfigError(f"the secret in {secret.where()} is not set")
        value = found
    else:
        try:
            value = Path(str(secret.file)).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise ConfigError(f"the secret in {secret.where()} cannot be read: {exc.strerror}") from None
    remember(value)
    return value


_known: set[str] = set()
_lock = threading.Lock()


def remember(value: str) -> None:
    """Mask `value` in every later output (with its percent-encoded form)."""
    if len(value) < MIN_SECRET:
        return
    with _lock:
        _known.update({value, quote(value, safe=""), quote(value)})


def remember_basic(user: str, password: str) -> None:
    """Mask a password and the `Authorization: Basic` value built from it."""
    remember(password)
    remember(base64.b64encode(f"{user}:{password}".encode()).decode())


def redact(text: str) -> str:
    """`text` with every remembered secret replaced by `***`."""
    if not _known:
        return text
    for value in sorted(_known, key=len, reverse=True):
        if value in text:
            text = text.replace(value, MASK)
    return text


def redact_json(value: Any) -> Any:
    """A JSON value (report, error details) with every remembered secret masked in its strings."""
    if not _known:
        return value
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [redact_json(v) for v in value]
    if isinstance(value, dict):
        return {redact(str(k)): redact_json(v) for k, v in value.items()}
    return value


_installed = False


def install_log_redaction() -> None:
    """Mask remembered secrets in every log record, whatever logger or handler writes it (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
    previous = logging.getLogRecordFactory()
    formatter = logging.Formatter()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if _known:
            _redact_record(record, formatter)
        return record

    logging.setLogRecordFactory(factory)


def _redact_arg(arg: Any) -> Any:
    """A log argument with secrets masked; non-strings keep their type unless their text holds a secret."""
    if isinstance(arg, str):
        return redact(arg)
    if isinstance(arg, int | float | bool) or arg is None:
        return arg
    text = str(arg)
    masked = redact(text)
    return arg if masked == text else masked


def _redact_record(record: logging.LogRecord, formatter: logging.Formatter) -> None:
    """Mask secrets in a record's message, arguments, exception and stack text (formatters keep working)."""
    if isinstance(record.msg, str):
        record.msg = redact(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_redact_arg(a) for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: _redact_arg(v) for k, v in record.args.items()}
    if record.exc_info:
        record.exc_text = redact(formatter.formatException(record.exc_info))
        record.exc_info = None
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
