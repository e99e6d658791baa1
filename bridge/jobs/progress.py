"""Progress display of harvest runs: a rich live line on a TTY, plain log lines otherwise, and the final report."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from rich.console import Console
from rich.table import Table

from bridge.jobs.run import RunReport


class ProgressPrinter:
    """Called after each stored batch; prints at most every `interval` seconds when not on a TTY."""

    def __init__(self, stream: TextIO | None = None, interval: float = 5.0) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.console = Console(file=self.stream, force_terminal=self.tty)
        self.interval = interval
        self._last = 0.0
        self._status = self.console.status("harvesting…") if self.tty else None
        if self._status is not None:
            self._status.start()

    def __call__(self, report: RunReport, event: str) -> None:
        """Show the run's totals: a live line on a TTY, else a `progress` log line at most every `interval` seconds."""
        entities = sum(report.entities.values())
        line = (
            f"{report.source}: {entities} entities, {report.observations} observations, "
            f"{report.requests} requests, {report.bytes / 1e6:.1f} MB, {len(report.errors)} errors, "
            f"{report.rate:,.0f} obs/s"
        )
        if self._status is not None:
            self._status.update(line)
            return
        now = time.monotonic()
        if now - self._last >= self.interval:
            self._last = now
            print(f"progress {line}", file=self.stream, flush=True)

    def close(self) -> None:
        """Stop the live status line (TTY only) before the final report is printed."""
        if self._status is not None:
            self._status.stop()


def print_report(report: RunReport, console: Console | None = None) -> None:
    """The end-of-run report: entities by type and outcome, observations, traffic, errors, duration, rate."""
    console = console or Console()
    data = report.to_json()
    table = Table(title=f"Run {report.run_id} of {report.source}: {report.status}")
    table.add_column("entity")
    for outcome in ("created", "updated", "unchanged"):
        table.add_column(outcome, justify="right")
    for entity, counts in data["entities"].items():
        table.add_row(entity, *(str(counts.get(o, 0)) for o in ("created", "updated", "unchanged")))
    console.print(table)
    console.print(
        f"observations stored: {report.observations} (duplicates dropped: {report.duplicates}); "
        f"requests: {report.requests}; bytes: {report.bytes}; duration: {report.duration:.1f} s; "
        f"rate: {report.rate:,.0f} obs/s"
    )
    if report.reconciled:
        console.print(f"gone from the source: {report.reconciled}")
    for error in data["errors"]:  # credentials masked
        console.print(f"[red]error:[/red] {error}")
