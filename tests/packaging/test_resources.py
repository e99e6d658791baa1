"""Every data set the package reads resolves through `bridge.resources` (here: from the source tree)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bridge.demo import read_manifest
from bridge.mapping.sps2_status_table import DEFAULT_TABLE
from bridge.mapping.tables import DEFAULT_ROOT
from bridge.replay.recordings import load_manifest
from bridge.resources import LOCATIONS, data_path
from bridge.validation import SCHEMA_ROOT

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("kind", sorted(LOCATIONS))
def test_each_data_set_is_a_directory_of_the_source_tree(kind: str) -> None:
    path = data_path(kind)
    assert path.is_dir()
    assert path == REPO / LOCATIONS[kind][1]


def test_the_readers_use_the_resolved_locations() -> None:
    assert data_path("mappings") == DEFAULT_ROOT
    assert data_path("mappings", "sps2", "status.yaml") == DEFAULT_TABLE
    assert DEFAULT_TABLE.is_file()
    assert data_path("schemas") == SCHEMA_ROOT
    assert (SCHEMA_ROOT / "api/part1/openapi/schemas/geojson/system.json").is_file()
    for protocol in ("sta", "sos2", "sps2"):
        assert data_path("mappings", protocol, "entities.yaml").is_file()


def test_every_document_of_the_demo_manifest_exists() -> None:
    demo = data_path("demo")
    steps = read_manifest(demo)
    assert steps
    assert all((demo.parent / step["file"]).is_file() for step in steps)


def test_the_wheel_carries_every_recording_the_replay_manifest_names() -> None:
    force = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["hatch"]["build"]["targets"]
    included = force["wheel"]["force-include"]
    replay = data_path("replay", "manifest.yaml")
    assert included[str(replay.relative_to(REPO))] == "bridge/_data/replay/manifest.yaml"
    files = {answer.file for service in load_manifest(replay) for answer in service.answers}
    for name in files | {f"{folder}/PROVENANCE.md" for folder in {f.split("/", 1)[0] for f in files}}:
        assert included.get(f"fixtures/{name}") == f"bridge/_data/{name}", name
