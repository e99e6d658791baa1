"""A harvest run: read a legacy service, map, store batch by batch, report.

Runs are plain functions (the CLI and the scheduler both call `run_harvest`). The run's upper time
bound is fixed at its start; every batch is one store transaction including the cursors it moves,
so a killed run simply resumes on the next call.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bridge import logs, metrics
from bridge.credentials import redact_json
from bridge.errors import BridgeError, ConfigError
from bridge.jobs.results import link_datastreams
from bridge.jobs.sources import build_source
from bridge.model.harvest import HarvestState, WriteStats
from bridge.model.time import format_datetime, parse_datetime, utcnow
from bridge.settings import SourceConfig
from bridge.sources.fanin import merged
from bridge.store.base import HarvestSink

log = logging.getLogger("bridge.harvest")


@dataclass(slots=True)
class RunReport:
    """The end-of-run report (also stored with the run record)."""

    run_id: str
    source: str
    started: datetime
    status: str = "running"
    entities: Counter[tuple[str, str]] = field(default_factory=Counter)
    observations: int = 0
    duplicates: int = 0
    requests: int = 0
    bytes: int = 0
    errors: list[str] = field(default_factory=list)
    reconciled: dict[str, int] = field(default_factory=dict)
    reading: dict[str, Any] = field(default_factory=dict)
    duration: float = 0.0

    def add(self, stats: WriteStats) -> None:
        """Count what one stored batch did: entity outcomes, observations stored, duplicates dropped."""
        self.entities.update(stats.outcomes)
        self.observations += stats.observations
        self.duplicates += stats.duplicates

    @property
    def exit_code(self) -> int:
        """The exit status of `csapi-bridge harvest` for this run (see `status_exit_code`)."""
        return status_exit_code(self.status) or 0

    @property
    def rate(self) -> float:
        """Observations stored per second."""
        return self.observations / self.duration if self.duration > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        """The report as JSON (entities by type and outcome, counts, errors, duration, rate), as stored and printed.

        Source credentials are masked in it (an error message may quote a request).
        """
        by_entity: dict[str, dict[str, int]] = {}
        for (entity, outcome), count in sorted(self.entities.items()):
            by_entity.setdefault(entity, {})[outcome] = count
        report: dict[str, Any] = redact_json({
            "run": self.run_id,
            "source": self.source,
            "started": format_datetime(self.started),
            "status": self.status,
            "entities": by_entity,
            "observations": self.observations,
            "duplicatesDropped": self.duplicates,
            "requests": self.requests,
            "bytes": self.bytes,
            "errors": self.errors,
            "reconciled": self.reconciled,
            "reading": self.reading,
            "durationSeconds": round(self.duration, 3),
            "observationsPerSecond": round(self.rate, 1),
            "exitCode": status_exit_code(self.status),
        })  # fmt: skip
        return report


EXIT_CODES = {"completed": 0, "completed-with-errors": 2, "failed": 1}


def status_exit_code(status: str) -> int | None:
    """0 completed, 2 completed with errors (some stream, window or entity not read), 1 failed; None while running
    (or for a run that was killed: it never finished)."""
    return EXIT_CODES.get(status)


Progress = Callable[[RunReport, str], None]
PREFETCH = 2  # batches read ahead while the previous one is mapped and stored (bounded memory)


def _duration_us(text: str) -> int:
    """ISO 8601 duration (PT1H, P1D, PT30M, PT0S...) in microseconds."""
    match = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?", text.strip())
    if not match or text.strip() in ("P", "PT"):
        raise ConfigError(f"'{text}' is not an ISO 8601 duration (e.g. PT1H, P1D)")
    days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
    return int((((days * 24 + hours) * 60 + minutes) * 60 + seconds) * 1_000_000)


async def run_harvest(
    source: SourceConfig,
    store: HarvestSink,
    *,
    since: str | None = None,
    until: str | None = None,
    progress: Progress | None = None,
    transport: Any = None,
) -> RunReport:
    """Harvest `source` into `store` once (a migration, or one incremental sync step)."""
    bound = parse_datetime(until) if until else utcnow()
    start_from = since or source.since
    state = HarvestState(
        cursors=await store.harvest_cursors(source.name),
        since=parse_datetime(start_from) if start_from else None,
        until=bound,
        lag_us=_duration_us(source.lag),
    )
    run_id = await store.start_run(source.name)
    token = logs.run_id.set(run_id)  # on every log line of the run (JSON logs)
    report = RunReport(run_id=run_id, source=source.name, started=utcnow())
    clock = time.monotonic()
    harvester, mapping, client = build_source(source, transport)
    seen: dict[str, set[str]] = {}
    try:
        async for batch in merged([harvester.batches(state)], buffer=PREFETCH):  # read ahead while storing
            mapped = mapping.map(batch)
            if mapped.command_results:
                await link_datastreams(store, source.name, mapped)
            seen.update(mapped.seen)
            report.errors += mapped.errors
            report.add(await store.write_batch(source.name, run_id, mapped))
            report.requests = harvester.counters()["requests"]
            report.bytes = harvester.counters()["bytes"]
            report.duration = time.monotonic() - clock
            if progress:
                progress(report, "batch")
        report.reconciled = await store.reconcile(source.name, seen, source.deletions)
        report.status = "completed" if not report.errors else "completed-with-errors"
    except BridgeError as exc:
        report.status = "failed"
        report.errors.append(f"run stopped: {exc.description}")
    except Exception as exc:
        report.status = "failed"
        report.errors.append(f"run stopped by an internal error: {exc!r}")
        raise
    finally:
        report.duration = time.monotonic() - clock
        report.reading = harvester.reading()
        await client.aclose()
        await store.finish_run(run_id, report.status, report.to_json())
        metrics.record_run(source.name, report.status, report.observations, report.requests, len(report.errors),
                           report.duration)  # fmt: skip
        logs.run_id.reset(token)
    log.info("run %s of %s: %s, %d observations in %.1fs", run_id, source.name, report.status,
             report.observations, report.duration)  # fmt: skip
    return report
