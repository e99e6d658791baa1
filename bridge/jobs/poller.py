"""Background status polling of forwarded commands (SPS GetStatus), run beside the facade by APScheduler.

Every `command_poll_interval` seconds the poller asks the forwarder of each unfinished command with a
known legacy task for news (`CommandPipeline.poll`: new reports are appended, known ones skipped) and
stops at a final state; commands issued longer than `command_poll_max_age` ago are left alone.
Each round first reconciles commands that were stored but whose legacy submission was never recorded (a
crash between Submit and recording the answer): at once for those left by an earlier process, after a
grace period for this process's own.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bridge import metrics
from bridge.commands.pipeline import CommandPipeline
from bridge.errors import BridgeError
from bridge.model.csapi import Command, ControlStream, Kind, StatusCode
from bridge.model.query import CommandQuery
from bridge.model.time import utcnow
from bridge.settings import Settings
from bridge.store.base import TaskingStore

log = logging.getLogger("bridge.poller")
RECONCILE_GRACE = timedelta(seconds=30)  # younger unrecorded commands may still be in flight
CONCURRENCY = 8


@dataclass(slots=True)
class PollRound:
    """What one round did."""

    polled: int = 0
    reconciled: int = 0
    errors: list[str] = field(default_factory=list)


class CommandPoller:
    """Polls the legacy services behind unfinished commands; `start()` schedules it, `tick()` runs one round."""

    def __init__(
        self,
        store: TaskingStore,
        pipeline: CommandPipeline,
        interval: float = 10.0,
        max_age: float = 7 * 86400.0,
        max_commands: int = 1000,
    ) -> None:
        self.store = store
        self.pipeline = pipeline
        self.interval = interval
        self.max_age = timedelta(seconds=max_age)
        self.max_commands = max_commands
        self.scheduler: AsyncIOScheduler | None = None
        self._round: asyncio.Task[Any] | None = None
        self.started = utcnow()

    async def _stream(self, streams: dict[str, ControlStream | None], cs_id: str) -> ControlStream | None:
        if cs_id not in streams:
            try:
                found = await self.store.get_stream(Kind.CONTROL_STREAM, cs_id)
            except BridgeError:
                found = None
            streams[cs_id] = found if isinstance(found, ControlStream) else None
        return streams[cs_id]

    async def _each(self, commands: list[Command], work: str, result: PollRound) -> None:
        streams: dict[str, ControlStream | None] = {}
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(command: Command) -> None:
            stream = await self._stream(streams, command.controlstream_id)
            if stream is None or self.pipeline.forwarder_for(stream) is None:
                return
            async with gate:
                try:
                    if work == "poll":
                        await self.pipeline.poll(stream, command)
                        result.polled += 1
                    elif await self.pipeline.reconcile(stream, command):
                        result.reconciled += 1
                except BridgeError as exc:
                    result.errors.append(f"command {command.id}: {exc.description}")
                except Exception as exc:  # one bad command must not stop the round
                    log.exception("%s of command %s failed", work, command.id)
                    result.errors.append(f"command {command.id}: {exc!r}")

        await asyncio.gather(*(one(c) for c in commands))

    async def unrecorded(self, cutoff: datetime | None = None) -> list[Command]:
        """PENDING commands (and feasibility requests) without a legacy task, issued at or before `cutoff`."""
        found: list[Command] = []
        for feasibility in (False, True):
            query = CommandQuery(limit=self.max_commands, status=(StatusCode.PENDING.value,), feasibility=feasibility)
            page = await self.store.list_commands(query)
            found += [
                c for c in page.items if c.provenance is None and (cutoff is None or (c.issue_time or cutoff) <= cutoff)
            ]
        return found

    async def reconcile(self, cutoff: datetime | None = None) -> PollRound:
        """Reconcile unrecorded submissions issued at or before `cutoff` (all of them when None)."""
        result = PollRound()
        await self._each(await self.unrecorded(cutoff), "reconcile", result)
        if result.reconciled:
            log.info("reconciled %d command(s) whose submission was not recorded", result.reconciled)
        return result

    async def poll(self) -> PollRound:
        """One polling round over unfinished commands with a known legacy task."""
        result = PollRound()
        cutoff = utcnow() - self.max_age
        commands = [c for c in await self.store.unfinished_commands() if (c.issue_time or cutoff) >= cutoff]
        await self._each(commands[: self.max_commands], "poll", result)
        for error in result.errors:
            log.warning("status polling: %s", error)
        return result

    async def tick(self) -> PollRound:
        """A scheduled round: reconciliations, then polling.

        Commands stored before this poller started were left by an earlier process: always eligible. Later
        ones may be in flight in this process until they are `RECONCILE_GRACE` old (the forwarder also skips
        the submissions it is making).
        """
        self._round = asyncio.current_task()
        try:
            late = await self.reconcile(max(self.started, utcnow() - RECONCILE_GRACE))
            done = await self.poll()
        finally:
            self._round = None
        done.reconciled, done.errors = late.reconciled, late.errors + done.errors
        metrics.record_poll_round(done.polled, len(done.errors))
        return done

    async def start(self) -> None:
        """Schedule a round now and every `interval` seconds (the first reconciles what an earlier process left)."""
        self.started = utcnow()
        self.scheduler = AsyncIOScheduler(timezone="UTC")
        self.scheduler.add_job(
            self.tick, IntervalTrigger(seconds=self.interval), id="command-status-poll",
            max_instances=1, coalesce=True, next_run_time=utcnow(),
        )  # fmt: skip
        self.scheduler.start()

    async def stop(self, timeout: float = 5.0) -> None:
        """Stop the schedule and let a round in progress finish (it is cancelled after `timeout` seconds)."""
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None
        running = self._round
        if running is not None and not running.done():
            try:
                await asyncio.wait_for(asyncio.shield(running), timeout)
            except (TimeoutError, asyncio.CancelledError):
                running.cancel()
            except Exception:  # the round reports its own failures
                log.debug("the last polling round failed while stopping", exc_info=True)


def build_poller(settings: Settings, store: TaskingStore, pipeline: CommandPipeline) -> CommandPoller:
    """The poller with the deployment's interval and age limit."""
    return CommandPoller(store, pipeline, settings.command_poll_interval, settings.command_poll_max_age)
