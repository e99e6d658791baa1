"""Data files shipped with the package (mapping tables, JSON Schemas, the demo set), wherever it is installed.

A wheel carries them inside the package (see `[tool.hatch.build.targets.wheel.force-include]` in
pyproject.toml); an editable install or a source checkout reads them from the source tree instead.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

# data set → (directory inside the installed package, directory in the source tree, from the repository root)
LOCATIONS: dict[str, tuple[str, str]] = {
    "mappings": ("mappings_data", "mappings"),
    "schemas": ("schemas", "bridge/schemas"),
    "demo": ("_data/csapi/demo", "fixtures/csapi/demo"),
    "replay": ("_data/replay", "fixtures/replay"),
}


def data_path(kind: str, *parts: str) -> Path:
    """The file or directory `parts` of the data set `kind` (`mappings`, `schemas`, `demo` or `replay`)."""
    packaged, source = LOCATIONS[kind]
    package = files("bridge")
    if not isinstance(package, Path):  # zip imports have no file paths; wheels are always unpacked
        raise RuntimeError(f"the bridge package must be installed as files, not from {package}")
    base = package / packaged
    if not base.is_dir() and (package.parent / source).is_dir():  # editable or development install
        base = package.parent / source
    return base.joinpath(*parts)
