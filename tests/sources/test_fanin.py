"""`merged`: several async iterators read at once, bounded concurrency and read-ahead, errors and early exits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bridge.sources.fanin import merged


class Probe:
    """Counts how many sources run at once."""

    def __init__(self) -> None:
        self.active = self.peak = 0
        self.closed: list[str] = []

    async def source(self, name: str, count: int, fail_at: int | None = None) -> AsyncIterator[str]:
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            for i in range(count):
                await asyncio.sleep(0.001)
                if i == fail_at:
                    raise ValueError(f"{name} broke at {i}")
                yield f"{name}{i}"
        finally:
            self.active -= 1
            self.closed.append(name)


@pytest.mark.parametrize("limit", [1, 2, 5])
async def test_every_item_once_each_source_in_its_own_order(limit: int) -> None:
    probe = Probe()
    got = [x async for x in merged((probe.source(n, 20) for n in "abcde"), limit=limit, buffer=3)]
    assert sorted(got) == sorted(f"{n}{i}" for n in "abcde" for i in range(20))
    for name in "abcde":
        assert [x for x in got if x[0] == name] == [f"{name}{i}" for i in range(20)]
    assert probe.peak == limit and probe.active == 0


async def test_an_error_of_one_source_is_raised_and_the_others_are_stopped() -> None:
    probe = Probe()
    sources = [probe.source("a", 50), probe.source("b", 50, fail_at=3), probe.source("c", 50)]
    with pytest.raises(ValueError, match="b broke at 3"):
        async for _ in merged(sources, limit=3):
            pass
    await asyncio.sleep(0.01)
    assert probe.active == 0


async def test_a_consumer_that_stops_early_stops_the_sources() -> None:
    probe = Probe()
    reading = merged((probe.source(n, 1000) for n in "ab"), limit=2, buffer=2)
    got = []
    async for item in reading:
        got.append(item)
        if len(got) == 5:
            break
    await reading.aclose()  # type: ignore[attr-defined]
    await asyncio.sleep(0.01)
    assert probe.active == 0 and len(got) == 5


async def test_read_ahead_is_bounded() -> None:
    produced = 0

    async def fast() -> AsyncIterator[int]:
        nonlocal produced
        for i in range(100):
            produced += 1
            yield i

    reading = merged([fast()], buffer=2)
    assert await reading.__anext__() == 0  # type: ignore[attr-defined]
    await asyncio.sleep(0.01)
    assert produced <= 4  # the item handed over, the buffer, and the one waiting to be put
    await reading.aclose()  # type: ignore[attr-defined]
