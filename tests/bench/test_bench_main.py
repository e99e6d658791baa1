"""`python -m bench NAME… --flags`: the flags reach the benchmarks named (they used to be dropped)."""

from __future__ import annotations

import sys

import pytest

from bench import __main__ as runner


def test_names_then_flags() -> None:
    assert runner.split_args(["sos_parse", "--members", "1000"]) == (["sos_parse"], ["--members", "1000"])
    assert runner.split_args(["systems", "observations"]) == (["systems", "observations"], [])
    assert runner.split_args(["--observations", "20000"]) == ([], ["--observations", "20000"])


def test_flags_are_handed_to_each_benchmark(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr(runner.runpy, "run_module", lambda module, run_name: seen.append(list(sys.argv)))
    monkeypatch.setattr(sys, "argv", ["bench", "sos_parse", "html", "--members", "1000"])
    runner.main()
    assert seen == [["bench.sos_parse", "--members", "1000"], ["bench.html", "--members", "1000"]]
