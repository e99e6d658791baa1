"""Shared helpers of the SWE Common tests: fixture loading and official-schema validation."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from bridge.validation import BASE_URI, PART2, SWE, registry

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "swecommon"


def load(rel: str) -> Any:
    """A fixture document, parsed."""
    return json.loads((FIXTURES / rel).read_text(encoding="utf-8"))


def fixture_paths(*dirs: str) -> list[str]:
    """Relative paths of the JSON fixtures in the given sub-directories."""
    return sorted(p.relative_to(FIXTURES).as_posix() for d in dirs for p in (FIXTURES / d).glob("*.json"))


@cache
def _validator(ref: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": BASE_URI + ref}, registry=registry(), format_checker=FormatChecker())


def schema_errors(ref: str, doc: Any) -> list[str]:
    """Messages of the official-schema errors of `doc` (`ref` like SWE + 'encodings.json#/$defs/X')."""
    return [f"{e.json_path}: {e.message[:200]}" for e in _validator(ref).iter_errors(doc)]


def component_errors(doc: Any) -> list[str]:
    """Official-schema errors of a SWE Common data component."""
    return schema_errors(SWE + "sweCommon.json#/$defs/AnyComponent", doc)


def encoding_errors(doc: Any) -> list[str]:
    """Official-schema errors of a SWE Common encoding."""
    return schema_errors(f"{SWE}encodings.json#/$defs/{doc['type']}", doc)


def swe_schema_errors(doc: Any) -> list[str]:
    """Errors of a Part 2 observation/command schema with a SWE record schema and encoding."""
    name = "observationSchemaSwe.json" if "obsFormat" in doc else "commandSchemaSwe.json"
    return schema_errors(PART2 + name, doc)
