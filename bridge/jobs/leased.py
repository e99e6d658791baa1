"""A long-running service that must run in one process of a fleet at a time, under a lease.

The MQTT transport (publisher of the store's outbox, and the subscriptions that store what clients publish) and
each STA live front are such services: run twice, they would publish each change twice and ingest each client
message twice. Every process configured for them stands by; the one holding the lease runs the service, renews
the lease every `ttl / 3` seconds, and stops the service as soon as a renewal fails (another process took over
after it stalled). A process that dies stops renewing, and `ttl` later another one starts the service.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Protocol

from bridge.store.sql.leases import Fence, SqlLeases

log = logging.getLogger("bridge.leases")


class _Service(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class LeasedService:
    """Runs `service` while this process holds the lease `name` (an app service itself: start/stop)."""

    def __init__(self, name: str, service: _Service, leases: SqlLeases, ttl: float | None = None) -> None:
        self.name = name
        self.service = service
        self.leases = leases
        self.ttl = ttl or leases.ttl
        self.running = False
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Take the lease and start the service if the lease is free, then keep contending in the background."""
        fence = await self._contend(None)
        self._task = asyncio.create_task(self._run(fence), name=f"leased {self.name}")

    async def stop(self) -> None:
        """Stop the service if it runs here and free the lease at once (a peer takes over without waiting)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self, fence: Fence | None) -> None:
        try:
            while True:
                await asyncio.sleep(self.ttl / 3)
                fence = await self._contend(fence)
        finally:
            if fence is not None:
                await asyncio.shield(self._step_down(fence, release=True))

    async def _contend(self, fence: Fence | None) -> Fence | None:
        """One look: take the lease and start the service, or renew it, or step down when it was lost."""
        try:
            if fence is None:
                fence = await self.leases.acquire(self.name, self.ttl)
                if fence is not None:
                    log.info("lease %s taken: starting it in this process", self.name)
                    await self.service.start()
                    self.running = True
            elif not await self.leases.renew(fence, self.ttl):
                log.warning("lease %s was taken over by another process: stopping it here", self.name)
                await self._step_down(fence, release=False)
                fence = None
        except Exception:  # the store is unreachable: try again at the next look
            log.warning("lease %s: could not take or renew it", self.name, exc_info=True)
        return fence

    async def _step_down(self, fence: Fence, *, release: bool) -> None:
        if self.running:
            self.running = False
            await self.service.stop()
        if release:
            with contextlib.suppress(Exception):
                await self.leases.release(fence)
