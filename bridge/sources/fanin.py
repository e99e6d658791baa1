"""Reading several async iterators at once with bounded concurrency and bounded read-ahead.

The run engine reads the next batches of a legacy service while the current one is stored; the SOS
harvester reads several streams (offering × procedure × property) at once, as many as the source's
`concurrency` allows. Items come in the order they are produced, each iterator's own order kept.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable
from typing import Any, TypeVar

T = TypeVar("T")

_ITEM, _ERROR, _DONE = range(3)


async def merged(sources: Iterable[AsyncIterator[T]], limit: int = 1, buffer: int = 2) -> AsyncIterator[T]:
    """The items of `sources`, at most `limit` of them read at a time and at most `buffer` items read ahead of
    the consumer; the next source starts when one is exhausted. An error of a source is raised here."""
    queue: asyncio.Queue[tuple[int, Any]] = asyncio.Queue(maxsize=max(1, buffer))
    waiting = iter(sources)
    tasks: list[asyncio.Task[None]] = []

    async def pump(source: AsyncIterator[T]) -> None:
        try:
            async for item in source:
                await queue.put((_ITEM, item))
        except Exception as exc:  # handed to the consumer, which raises it
            await queue.put((_ERROR, exc))
            return
        finally:  # a source stopped while it waits at a `yield` still runs its own clean-up
            close = getattr(source, "aclose", None)
            if close is not None:
                await close()
        await queue.put((_DONE, None))

    def start_next() -> int:
        source = next(waiting, None)
        if source is None:
            return 0
        tasks.append(asyncio.create_task(pump(source)))
        return 1

    running = sum(start_next() for _ in range(max(1, limit)))
    try:
        while running:
            kind, value = await queue.get()
            if kind == _ITEM:
                yield value
            elif kind == _ERROR:
                raise value
            else:
                running += start_next() - 1
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
