"""`harvest --source type:URL`: the source's name comes from the host, never from a URL's credentials."""

from __future__ import annotations

import argparse

import pytest

from bridge.cli import _source
from bridge.settings import Settings


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://user:s3cret@sensors.example.org/sta/v1.1", "sensors.example.org"),
        ("http://alice@127.0.0.1:8080/sos", "127.0.0.1-8080"),
        ("https://sensors.example.org/sta/v1.1", "sensors.example.org"),
    ],
)
def test_a_url_source_is_named_by_its_host(url: str, name: str) -> None:
    source = _source(argparse.Namespace(source=f"sta:{url}", name=None), Settings())
    assert source.name == name
    assert "s3cret" not in source.name and "alice" not in source.name and "user" not in source.name
