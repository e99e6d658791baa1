"""Scheduled harvests in a fleet: any number of workers, each due source run by one of them at a time.

Every worker checks its sources every `lease_ttl / 3` seconds. A source is run by the worker that takes its
lease (`harvest:<name>`) once it is due; the run's writes are fenced by the lease, its heartbeat keeps it,
and releasing it records when the source is next due (APScheduler's trigger decides: `interval:15m` after the
run's start, or the next cron time). A worker killed mid-run stops renewing: once the lease has expired the
next worker to look takes it and resumes from the committed cursors (the run is still due). A single
process on SQLite (`serve --sync`) runs the same code.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from apscheduler.triggers.interval import IntervalTrigger

from bridge.jobs.run import run_harvest
from bridge.jobs.scheduler import trigger_for
from bridge.model.time import to_us, utcnow
from bridge.settings import Settings, SourceConfig
from bridge.store.sql.leases import LeaseLost, SqlLeases
from bridge.store.sql.store import SqlStore

log = logging.getLogger("bridge.worker")


def harvest_lease(source: str) -> str:
    """The name of the lease under which a source's scheduled runs are made (one worker at a time)."""
    return f"harvest:{source}"


def next_due(trigger: Any, started: datetime) -> int:
    """When a source whose run started at `started` is next due (µs): one interval later, or the next cron time."""
    if isinstance(trigger, IntervalTrigger):
        return to_us(started + trigger.interval)
    return to_us(trigger.get_next_fire_time(None, utcnow()))


class HarvestWorker:
    """Runs the configuration's scheduled sources when they are due, under their leases (a `Service`)."""

    def __init__(self, settings: Settings, store: SqlStore, *, transport: Any = None) -> None:
        self.store = store
        self.leases: SqlLeases = store.leases
        self.sources = [s for s in settings.sources if s.schedule]
        self.triggers = {s.name: trigger_for(s) for s in self.sources}
        self.check_every = min(self.leases.ttl / 3, 5.0)
        self.transport = transport
        self._running: dict[str, asyncio.Task[bool]] = {}
        self._loop: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start checking for due sources (at once: a source never run is due)."""
        if not self.sources:
            log.info("no source has a `schedule`: this worker harvests nothing")
        self._loop = asyncio.create_task(self._forever(), name="scheduled harvests")

    async def stop(self) -> None:
        """Stop checking; runs in progress are abandoned (their leases expire, their cursors are committed)."""
        tasks: list[asyncio.Task[Any]] = [t for t in [self._loop, *self._running.values()] if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _forever(self) -> None:
        while True:
            self.sweep()
            await asyncio.sleep(self.check_every)

    def sweep(self) -> None:
        """Try each source not already running here (the lease decides which worker runs it)."""
        for source in self.sources:
            if source.name not in self._running:
                task = asyncio.create_task(self.run_if_due(source), name=f"harvest {source.name}")
                self._running[source.name] = task
                task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[bool]) -> None:
        for name, running in list(self._running.items()):
            if running is task:
                del self._running[name]

    async def run_if_due(self, source: SourceConfig) -> bool:
        """Run `source` once if it is due and no other worker holds it; whether it ran."""
        try:
            async with self.leases.hold(harvest_lease(source.name), scheduled=True) as held:
                if held is None:
                    return False
                started = utcnow()
                try:
                    report = await run_harvest(source, self.store, transport=self.transport)
                except Exception:  # a failed run waits for its next time, as a completed one does
                    held.due = next_due(self.triggers[source.name], started)
                    raise
                held.due = next_due(self.triggers[source.name], started)
                log.info("sync %s: %s", source.name, report.to_json())
                return True
        except LeaseLost as exc:
            log.warning("run of %s stopped: %s", source.name, exc)
        except Exception:  # the run is reported (runs table); the worker carries on with the other sources
            log.exception("scheduled run of %s failed", source.name)
        return False
