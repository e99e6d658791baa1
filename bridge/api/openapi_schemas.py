"""The official CSAPI JSON Schemas bundled into the OpenAPI document's `components/schemas`.

Each schema file (and every file it refers to, transitively) becomes one component named after its path; a
`$ref` to `other.json#/$defs/X` becomes `#/components/schemas/<other>/$defs/X`, so `/api` is self-contained
and describes responses with exactly the schemas the tests validate them against.
"""

from __future__ import annotations

import json
import posixpath
import re
from functools import cache
from typing import Any

from bridge.validation import GEOJSON_URI, SCHEMA_ROOT


def component_name(path: str) -> str:
    """`api/part1/openapi/schemas/geojson/system.json` → `part1.geojson.system` (OpenAPI component keys)."""
    name = path.removesuffix(".json").replace("api/part1/openapi/schemas/", "part1/")
    name = name.replace("api/part2/openapi/schemas/", "part2/").replace("external/geojson.org/schema/", "geojson/")
    name = name.replace("/schemas/json/", "/")
    return re.sub(r"[^A-Za-z0-9._-]", ".", name)


def _file_of(ref: str, base: str) -> tuple[str, str]:
    """(bundled file path, fragment) a `$ref` found in the file `base` points to."""
    target, _, fragment = ref.partition("#")
    if target.startswith(GEOJSON_URI):
        return "external/geojson.org/schema/" + target[len(GEOJSON_URI) :], fragment
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), target)), fragment


class Bundle:
    """Components collected from the schema files reached so far."""

    def __init__(self) -> None:
        self.components: dict[str, Any] = {}

    def ref(self, path: str) -> dict[str, str]:
        """A `$ref` object to the component of one schema file (bundling it and what it needs)."""
        self._add(path)
        return {"$ref": f"#/components/schemas/{component_name(path)}"}

    def _add(self, path: str) -> None:
        name = component_name(path)
        if name in self.components:
            return
        self.components[name] = {}  # reserved first: files refer to each other in cycles
        document = json.loads((SCHEMA_ROOT / path).read_text(encoding="utf-8"))
        document.pop("$schema", None)
        document.pop("$id", None)
        self.components[name] = self._rewrite(document, path)

    def _rewrite(self, node: Any, path: str) -> Any:
        if isinstance(node, list):
            return [self._rewrite(item, path) for item in node]
        if not isinstance(node, dict):
            return node
        out = {key: self._rewrite(value, path) for key, value in node.items() if key != "$id"}
        ref = node.get("$ref")
        if isinstance(ref, str):
            target, fragment = (path, ref[1:]) if ref.startswith("#") else _file_of(ref, path)
            self._add(target)
            out["$ref"] = f"#/components/schemas/{component_name(target)}{fragment}"
        return out


@cache
def bundled(*paths: str) -> tuple[tuple[str, ...], dict[str, Any]]:
    """The component names of `paths` and every component they need (cached: the files do not change)."""
    bundle = Bundle()
    names = tuple(bundle.ref(p)["$ref"].rsplit("/", 1)[1] for p in paths)
    return names, bundle.components
