"""Large pages take turns: their fetch and each encoded chunk run one at a time across all requests, with the event
loop let through between turns, so a short request (`GET /`) waits for at most a chunk or two, not for every page
being served (16 clients reading 10,000-row pages put 16 pages' worth of work before it otherwise).

A turn is one asyncio semaphore per event loop (FIFO: a page that has had its turn queues behind the others).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from typing import TypeVar
from weakref import WeakKeyDictionary

T = TypeVar("T")
_TURNS: WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = WeakKeyDictionary()


def _turn() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    turn = _TURNS.get(loop)
    if turn is None:
        turn = _TURNS[loop] = asyncio.Semaphore(1)
    return turn


async def in_turn(work: Awaitable[T]) -> T:
    """Await `work` (e.g. fetching a page) when it is this request's turn."""
    async with _turn():
        return await work


async def taking_turns(body: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    """The chunks of `body`, each computed in its own turn; the event loop runs between chunks."""
    turn = _turn()
    try:
        while True:
            async with turn:
                try:
                    chunk = await anext(body)
                except StopAsyncIteration:
                    return
            yield chunk
            await asyncio.sleep(0)
    finally:
        aclose = getattr(body, "aclose", None)
        if aclose is not None:
            await aclose()
