"""`LiveTail`: one reader of the newly committed rows of a store table (observations, commands), fanned out to
WebSocket subscribers of their stream.

The tail reads by the monotonically increasing row key (keyset: `pk > last`), so it sees what every writer
committed — HTTP POSTs, harvest runs, the command poller, WebSocket ingestion, other processes on the same store.
It is woken at once when this process commits (`Store.on_commit`) and polls every `poll_interval` seconds for the
other processes.

PostgreSQL hands out keys when rows are inserted, not when they commit: a transaction holding key 7 may commit after
the one holding key 8 was read. Keys missing below the newest one read are kept as *gaps* (inclusive ranges) and
read again on every step until they show up or `gap_ttl` seconds pass (a rolled-back insert, a duplicate dropped by
`ON CONFLICT` or a deleted row never shows up). A row is delivered once: it is either above `last` or in a gap, and
leaves both when it is delivered.

Reading, advancing and dispatching happen under one lock, so a new subscriber's snapshot (`last`, gaps) splits the
archive exactly: rows at or below `last` outside the gaps were delivered before it subscribed (a replay reads them
from the store), every other row reaches it live.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from bridge.model.observations import StoredObservation

log = logging.getLogger("bridge.api.live")

START_WINDOW = 1000  # newest keys examined for gaps when the tail starts
MAX_GAPS = 256  # gap ranges kept at most (the oldest are given up first)


class Keyed(Protocol):
    """A row the tail reads: it has the table's increasing key."""

    @property
    def pk(self) -> int:
        """The row's key."""
        ...


R = TypeVar("R", bound=Keyed)


class TailSource(Protocol):
    """The store slice the observation tail reads (implemented by `bridge.store.sql.SqlStore`)."""

    async def tail_observations(
        self, after: int, gaps: Sequence[tuple[int, int]], limit: int
    ) -> list[StoredObservation]:
        """Committed observations keyed above `after` or inside `gaps`, in key order."""
        ...

    async def recent_observation_keys(self, window: int) -> list[int]:
        """The keys of the newest `window` observations, ascending."""
        ...

    def on_commit(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call `callback` after each commit of this process; returns its remover."""
        ...


@dataclass(frozen=True, slots=True)
class Table(Generic[R]):
    """How a tail reads one table: new rows (after a key, or in gap ranges), the newest keys, the stream of a row,
    and the commit hook of the store."""

    read: Callable[[int, Sequence[tuple[int, int]], int], Awaitable[list[R]]]
    recent: Callable[[int], Awaitable[list[int]]]
    stream_of: Callable[[R], Hashable]
    on_commit: Callable[[Callable[[], None]], Callable[[], None]]


def observation_table(store: TailSource) -> Table[StoredObservation]:
    """The observations table: rows are grouped by their datastream's integer key."""
    return Table(store.tail_observations, store.recent_observation_keys, lambda row: row.ds, store.on_commit)


class SlowConsumer(Exception):
    """A subscriber's buffer overflowed: it is dropped (its socket is closed with 1013)."""


class Batch(Generic[R]):
    """Rows of one stream delivered together; frames encoded once, shared by every socket that
    asked for the same format (a fan-out to many clients encodes each observation once per format)."""

    __slots__ = ("_frames", "rows")

    def __init__(self, rows: list[R]) -> None:
        self.rows = rows
        self._frames: dict[str, list[Any]] = {}

    def frames(self, key: str, encode: Callable[[list[R]], list[Any]]) -> list[Any]:
        """The frames of these rows in format `key`, encoded by `encode` the first time they are asked for."""
        found = self._frames.get(key)
        if found is None:
            found = self._frames[key] = encode(self.rows)
        return found


@dataclass(eq=False)
class Subscription(Generic[R]):
    """What one socket receives from the tail: batches of its datastream, at most `capacity` observations held
    (or one read of the tail, at most its `batch` rows, when that is larger).

    `last` and `gaps` are the tail's position when it subscribed: rows keyed at or below `last` and outside the
    gaps are not delivered live (a replay reads them from the archive).
    """

    stream: Hashable
    capacity: int
    last: int
    gaps: tuple[tuple[int, int], ...]
    pending: deque[Batch[R]] = field(default_factory=deque)
    held: int = 0
    overflowed: bool = False
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    dropped: asyncio.Event = field(default_factory=asyncio.Event)  # set on overflow, even while a send is stuck

    def offer(self, batch: Batch[R]) -> None:
        """Queue a batch without waiting; past `capacity` held observations the subscriber is marked slow."""
        if self.overflowed:
            return
        if self.held and self.held + len(batch.rows) > self.capacity:  # one read always fits an empty buffer
            self.overflowed = True
            self.pending.clear()
            self.held = 0
            self.dropped.set()
        else:
            self.pending.append(batch)
            self.held += len(batch.rows)
        self.wake.set()

    async def next(self) -> Batch[R]:
        """The next batch (waits for one); raises SlowConsumer once the buffer has overflowed."""
        while not self.pending and not self.overflowed:
            self.wake.clear()
            await self.wake.wait()
        if self.overflowed:
            raise SlowConsumer(f"more than {self.capacity} observations waited for this client")
        batch = self.pending.popleft()
        self.held -= len(batch.rows)
        return batch

    async def overflow(self) -> None:
        """Return nothing, raise SlowConsumer once the buffer overflows (a watch beside a sender stuck in a send)."""
        await self.dropped.wait()
        raise SlowConsumer(f"more than {self.capacity} observations waited for this client")

    def replayed(self, pk: int) -> bool:
        """Whether a row belongs to the replay (at or below the subscription point, outside its gaps)."""
        return pk <= self.last and not any(lo <= pk <= hi for lo, hi in self.gaps)


@dataclass(slots=True)
class Gap:
    """Keys missing below the newest one read (an insert not yet committed, or one that never will be)."""

    lo: int
    hi: int
    since: float


class LiveTail(Generic[R]):
    """The tail of one table of an app's store: started with the first subscriber, idle while none is left."""

    def __init__(self, table: Table[R], poll_interval: float, gap_ttl: float = 30.0, batch: int = 5000) -> None:
        self.table = table
        self.poll_interval = poll_interval
        self.gap_ttl = gap_ttl
        self.batch = batch
        self.last = 0
        self.gaps: list[Gap] = []
        self.positioned = False
        self.subscribers: dict[Hashable, set[Subscription[R]]] = defaultdict(set)
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._remove_hook: Callable[[], None] | None = None

    async def subscribe(self, stream: Hashable, capacity: int) -> Subscription[R]:
        """Follow `stream` (as `Table.stream_of` names it) from now on; see `Subscription` for the split with the
        archive."""
        async with self._lock:
            if not self.positioned:
                await self._position()
            if self._task is None:
                self._start()
            snapshot = tuple((g.lo, g.hi) for g in self.gaps)
            sub: Subscription[R] = Subscription(stream, capacity, self.last, snapshot)
            self.subscribers[stream].add(sub)
        return sub

    def unsubscribe(self, sub: Subscription[R]) -> None:
        """Stop delivering to `sub` (its socket is gone)."""
        subs = self.subscribers.get(sub.stream)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self.subscribers[sub.stream]

    def wake(self) -> None:
        """Read now rather than at the next poll (something was committed)."""
        self._wake.set()

    async def stop(self) -> None:
        """Stop reading (app shutdown)."""
        if self._remove_hook is not None:
            self._remove_hook()
            self._remove_hook = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def _start(self) -> None:
        loop = asyncio.get_running_loop()

        def committed() -> None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is listening any more
                loop.call_soon_threadsafe(self._wake.set)

        self._remove_hook = self.table.on_commit(committed)
        self._task = asyncio.create_task(self._run(), name="live-tail")

    async def _position(self) -> None:
        """Start after the newest key; holes among the newest `START_WINDOW` keys (from key 1 when there are fewer
        rows) may still be filled by transactions open now (a transaction open longer further back is missed)."""
        keys = await self.table.recent(START_WINDOW)
        now = time.monotonic()
        if keys and len(keys) < START_WINDOW:  # the window holds every row: keys below the first one count too
            keys = [0, *keys]
        self.gaps = [Gap(a + 1, b - 1, now) for a, b in itertools.pairwise(keys) if b > a + 1]
        self.last = keys[-1] if keys else 0
        self.positioned = True

    async def _run(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):  # (asyncio.timeout: wait_for of 3.11 can swallow a cancel)
                async with asyncio.timeout(self.poll_interval):
                    await self._wake.wait()
            self._wake.clear()
            try:
                while await self._step():
                    pass
            except asyncio.CancelledError:
                raise
            except Exception:  # the store is unreachable for a moment: retry at the next poll
                log.exception("live tail: reading new observations failed")

    async def _step(self) -> bool:
        """Read once and deliver; True when the read was full (more rows may wait)."""
        async with self._lock:
            if not self.subscribers:
                self.positioned = False  # nobody follows: the next subscriber starts from the newest key again
                return False
            spans = [(g.lo, g.hi) for g in self.gaps]
            rows = await self.table.read(self.last, spans, self.batch)
            self._advance(rows)
            self._dispatch(rows)
            return len(rows) >= self.batch

    def _advance(self, rows: list[R]) -> None:
        """Move `last` past the new rows, record the keys skipped as gaps and close the gaps rows filled."""
        now = time.monotonic()
        expected = self.last + 1
        for row in rows:
            pk = row.pk
            if pk <= self.last:
                self._fill(pk)
                continue
            if pk > expected:
                self.gaps.append(Gap(expected, pk - 1, now))
            expected = pk + 1
        self.last = max(self.last, expected - 1)
        self.gaps = [g for g in self.gaps if now - g.since < self.gap_ttl][-MAX_GAPS:]

    def _fill(self, pk: int) -> None:
        for i, gap in enumerate(self.gaps):
            if gap.lo <= pk <= gap.hi:
                parts = [Gap(lo, hi, gap.since) for lo, hi in ((gap.lo, pk - 1), (pk + 1, gap.hi)) if lo <= hi]
                self.gaps[i : i + 1] = parts
                return

    def _dispatch(self, rows: list[R]) -> None:
        by_stream: dict[Hashable, list[R]] = defaultdict(list)
        stream_of = self.table.stream_of
        for row in rows:
            stream = stream_of(row)
            if stream in self.subscribers:
                by_stream[stream].append(row)
        for stream, items in by_stream.items():
            batch = Batch(items)
            for sub in list(self.subscribers.get(stream, ())):
                sub.offer(batch)
                if sub.overflowed:  # dropped now: its close may wait behind what its socket still holds
                    self.unsubscribe(sub)


def app_tail(app: Any, name: str, table: Callable[[Any], Table[R]]) -> LiveTail[R]:
    """The app's tail `name` over `table(store)`: made on first use, kept in `app.state.live_tails` (`stop_tails`)."""
    tails: dict[str, Any] = app.state.__dict__.setdefault("live_tails", {})
    tail: LiveTail[R] | None = tails.get(name)
    if tail is None:
        ws: Any = app.state.settings.websocket
        tail = tails[name] = LiveTail(table(app.state.store), ws.poll_interval, ws.gap_ttl)
    return tail


async def stop_tails(app: Any) -> None:
    """Stop the app's tails, if any was started (app shutdown)."""
    for tail in getattr(app.state, "live_tails", {}).values():
        await tail.stop()
