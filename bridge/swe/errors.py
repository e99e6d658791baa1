"""Errors raised by the SWE Common model, value validation and codecs."""

from __future__ import annotations

from bridge.errors import BridgeError, InvalidBody


class SweSchemaError(InvalidBody):
    """A SWE Common component or encoding description is invalid (400); names the JSON path."""

    code = "InvalidSweSchema"

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}", details={"path": path})
        self.path = path
        self.message = message


class SweValueError(InvalidBody):
    """A value does not match its SWE Common component (400); names the field path."""

    code = "InvalidSweValue"

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path or '$'}: {message}", details={"path": path or "$"})
        self.path = path
        self.message = message


def _where(record_index: int | None, field_path: str | None) -> str:
    parts = []
    if record_index is not None:
        parts.append(f"record {record_index}")
    if field_path:
        parts.append(f"field '{field_path}'")
    return ", ".join(parts)


class SweDecodeError(InvalidBody):
    """An encoded SWE Common body cannot be decoded (400); names the record index and field."""

    code = "InvalidSweData"

    def __init__(self, message: str, record_index: int | None = None, field_path: str | None = None) -> None:
        where = _where(record_index, field_path)
        super().__init__(
            f"{where}: {message}" if where else message,
            details={"record": record_index, "field": field_path or None},
        )
        self.message = message
        self.record_index = record_index
        self.field_path = field_path or None

    def at_record(self, record_index: int) -> SweDecodeError:
        """A copy of this error located at `record_index` (codecs fill it in after the fact)."""
        return SweDecodeError(self.message, record_index, self.field_path)


class SweEncodeError(BridgeError):
    """A value cannot be written in the requested encoding (e.g. a separator inside a text field)."""

    status = 500
    code = "SweEncodingFailed"

    def __init__(self, message: str, record_index: int | None = None, field_path: str | None = None) -> None:
        where = _where(record_index, field_path)
        super().__init__(
            f"{where}: {message}" if where else message,
            details={"record": record_index, "field": field_path or None},
        )
        self.message = message
        self.record_index = record_index
        self.field_path = field_path or None

    def at_record(self, record_index: int) -> SweEncodeError:
        """A copy of this error located at `record_index`."""
        return SweEncodeError(self.message, record_index, self.field_path)
