"""Scheduled sync: APScheduler decides when; each job is one incremental `run_harvest`."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bridge import metrics
from bridge.errors import ConfigError
from bridge.jobs.run import run_harvest
from bridge.settings import Settings, SourceConfig
from bridge.store.base import HarvestSink

log = logging.getLogger("bridge.sync")
_INTERVAL = re.compile(r"^interval:(\d+)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def trigger_for(source: SourceConfig) -> Any:
    """`interval:15m` (s, m, h, d) or a 5-field cron expression → an APScheduler trigger."""
    schedule = (source.schedule or "").strip()
    match = _INTERVAL.match(schedule)
    if match:
        return IntervalTrigger(**{_UNITS[match.group(2)]: int(match.group(1))})
    try:
        return CronTrigger.from_crontab(schedule, timezone="UTC")
    except ValueError as exc:
        raise ConfigError(
            f"source '{source.name}': schedule '{schedule}' is neither interval:<n><s|m|h|d> nor cron: {exc}"
        ) from None


def build_scheduler(settings: Settings, store: HarvestSink) -> AsyncIOScheduler:
    """One job per scheduled source; a run never overlaps the previous run of the same source."""
    scheduler = AsyncIOScheduler(timezone="UTC")
    metrics.configure_sources(source.name for source in settings.sources)
    scheduled = [s for s in settings.sources if s.schedule]
    if not scheduled:
        raise ConfigError("no source has a `schedule`; nothing to sync (see config/bridge.example.toml)")
    for source in scheduled:
        scheduler.add_job(
            _job, trigger_for(source), args=[source, store], id=f"harvest:{source.name}",
            max_instances=1, coalesce=True, misfire_grace_time=3600,
        )  # fmt: skip
    return scheduler


async def _job(source: SourceConfig, store: HarvestSink) -> None:
    report = await run_harvest(source, store)
    log.info("sync %s: %s", source.name, report.to_json())


async def sync_forever(settings: Settings, store: HarvestSink, run_first: bool = True) -> None:
    """Run the scheduler until cancelled (Ctrl-C); with `run_first`, every source is synced once at start."""
    scheduler = build_scheduler(settings, store)
    if run_first:
        for source in settings.sources:
            if source.schedule:
                await _job(source, store)
    scheduler.start()
    try:
        await asyncio.Event().wait()
    finally:
        scheduler.shutdown(wait=False)
