"""Offline JSON Schema validation against the official CSAPI / SensorML / SWE Common schemas.

The schemas live in `bridge/schemas/` in the upstream layout; every file is registered under a
local base URI so relative `$ref`s resolve, and `https://geojson.org/schema/*` maps to the copies
in `external/`. Formats (`date-time`) are asserted, which the CSAPI schemas rely on
(`timeInstantOrNow` is a `oneOf` that only works with format assertion).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from bridge.resources import data_path

SCHEMA_ROOT = data_path("schemas")
BASE_URI = "https://schemas.csapi-bridge.invalid/"
GEOJSON_URI = "https://geojson.org/schema/"

PART1 = "api/part1/openapi/schemas/"
PART2 = "api/part2/openapi/schemas/json/"
SWE = "swecommon/schemas/json/"
SML = "sensorml/schemas/json/"


@cache
def registry() -> Registry:
    """All bundled schemas, keyed by their local URI (and geojson.org ids)."""
    resources: list[tuple[str, Resource]] = []
    for path in SCHEMA_ROOT.rglob("*.json"):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resource = Resource.from_contents(contents, default_specification=DRAFT202012)
        rel = path.relative_to(SCHEMA_ROOT).as_posix()
        resources.append((BASE_URI + rel, resource))
        if rel.startswith("external/geojson.org/schema/"):
            resources.append((GEOJSON_URI + path.name, resource))
    return Registry().with_resources(resources)


def _format_checker() -> FormatChecker:
    checker = FormatChecker()
    if "date-time" not in checker.checkers:  # jsonschema asserts date-time only with rfc3339-validator installed
        raise RuntimeError("date-time format checking is unavailable: install rfc3339-validator (a dependency)")
    return checker


@cache
def validator(schema_path: str) -> Draft202012Validator:
    """A validator for one bundled schema, e.g. `validator(PART1 + "geojson/system.json")`."""
    if not (SCHEMA_ROOT / schema_path).is_file():
        raise FileNotFoundError(schema_path)
    return Draft202012Validator({"$ref": BASE_URI + schema_path}, registry=registry(), format_checker=FormatChecker())


def json_path(error: ValidationError) -> str:
    """`$.properties.uid`-style path of a validation error."""
    return str(error.json_path)


def errors(schema_path: str, instance: Any, limit: int = 10) -> list[dict[str, str]]:
    """Validation errors as `{path, message}` dicts (deepest, most specific first)."""
    found: list[dict[str, str]] = []
    for err in sorted(validator(schema_path).iter_errors(instance), key=lambda e: -len(e.absolute_path)):
        best = _most_specific(err)
        found.append({"path": best.json_path, "message": best.message})
        if len(found) >= limit:
            break
    return found


def _most_specific(error: ValidationError) -> ValidationError:
    """Descend into `oneOf`/`anyOf` context to the error that names the deepest path."""
    if not error.context:
        return error
    deepest = max(error.context, key=lambda e: len(e.absolute_path))
    if len(deepest.absolute_path) > len(error.absolute_path):
        return _most_specific(deepest)
    return error
