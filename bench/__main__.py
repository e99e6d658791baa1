"""Run benchmarks: `python -m bench [systems|observations|sta_harvest|sos_parse|html|auth ...]` (default: all)."""

from __future__ import annotations

import runpy
import sys

BENCHMARKS = {
    "systems": "bench.systems",
    "observations": "bench.observations",
    "sta_harvest": "bench.sta_harvest",
    "sos_parse": "bench.sos_parse",
    "html": "bench.html",
    "auth": "bench.auth",
}


def main() -> None:
    names = [a for a in sys.argv[1:] if not a.startswith("-")] or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        sys.exit(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    for name in names:
        print(f"\n## {name}\n", flush=True)
        sys.argv = [BENCHMARKS[name]]
        runpy.run_module(BENCHMARKS[name], run_name="__main__")


if __name__ == "__main__":
    main()
