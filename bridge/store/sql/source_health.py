"""Per-source health read from the store (newest phenomenon time, last finished run) for `/metrics`.

Read from the store rather than kept in a process, so every facade replica reports the same figures whichever
worker harvested.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bridge.model.harvest import RunRecord, SourceHealth
from bridge.store.sql.tables import datastreams, runs


async def source_health(engine: AsyncEngine, sources: Sequence[str]) -> list[SourceHealth]:
    """One entry per name of `sources` (in order): the newest stored phenomenon time, the last finished run."""
    if not sources:
        return []
    names = list(sources)
    newest_q = (
        select(datastreams.c.source, func.max(datastreams.c.phenomenon_end))
        .where(datastreams.c.source.in_(names))
        .group_by(datastreams.c.source)
    )
    last = (
        select(func.max(runs.c.pk))
        .where(runs.c.source.in_(names), runs.c.ended.is_not(None))
        .group_by(runs.c.source)
        .scalar_subquery()
    )
    async with engine.connect() as conn:
        newest = {row[0]: row[1] for row in await conn.execute(newest_q)}
        found = {
            r.source: RunRecord(r.id, r.source, r.started, r.ended, r.status, orjson.loads(r.report))
            for r in await conn.execute(select(runs).where(runs.c.pk.in_(last)))
        }
    return [SourceHealth(name, newest.get(name), found.get(name)) for name in names]
