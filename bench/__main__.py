"""Run benchmarks: `python -m bench [NAME ...] [--flags]` (default: all; the names are the keys of BENCHMARKS).

Flags after the names go to every benchmark named, e.g. `python -m bench sta_harvest --observations 20000`.
"""

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
    "replicas": "bench.replicas",
    "fleet": "bench.fleet",
    "live": "bench.live",
    "latency": "bench.latency",
    "live-ws": "bench.live_ws",
}


def split_args(args: list[str]) -> tuple[list[str], list[str]]:
    """(benchmark names, flags): the names are the arguments before the first one that starts with `-`."""
    first_flag = next((i for i, a in enumerate(args) if a.startswith("-")), len(args))
    return args[:first_flag], args[first_flag:]


def main() -> None:
    names, flags = split_args(sys.argv[1:])
    names = names or list(BENCHMARKS)
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        sys.exit(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    for name in names:
        print(f"\n## {name}\n", flush=True)
        sys.argv = [BENCHMARKS[name], *flags]
        runpy.run_module(BENCHMARKS[name], run_name="__main__")


if __name__ == "__main__":
    main()
