"""Validate response bodies against the official CSAPI JSON Schemas (offline copies in bridge/schemas)."""

from __future__ import annotations

from typing import Any

from bridge import validation
from bridge.validation import PART1, PART2

__all__ = ["PART1", "PART2", "assert_valid"]


def assert_valid(schema: str, body: Any) -> None:
    """Fail with every schema error (JSON path + message) when `body` does not validate."""
    found = validation.errors(schema, body, limit=20)
    assert not found, f"{schema} rejects the body:\n" + "\n".join(f"  {e['path']}: {e['message']}" for e in found)
