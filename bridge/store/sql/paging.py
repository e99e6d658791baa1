"""Keyset paging over one table ordered by its integer primary key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, Table, and_, func, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from bridge.store.tokens import decode_token, encode_token


@dataclass(slots=True)
class RowPage:
    rows: list[Row[Any]]
    next_token: str | None
    prev_token: str | None
    matched: int | None


async def page_by_pk(
    conn: AsyncConnection,
    table: Table,
    conds: list[ColumnElement[bool]],
    limit: int,
    token: str | None,
    count: bool = True,
) -> RowPage:
    """Rows after/before the token's boundary key; page N costs what page 1 costs (index on pk)."""
    backwards = False
    where = list(conds)
    if token:
        key = decode_token(token, "after", "before")
        backwards = "before" in key
        where.append(table.c.pk < int(key["before"]) if backwards else table.c.pk > int(key["after"]))
    order = table.c.pk.desc() if backwards else table.c.pk.asc()
    rows = list(await conn.execute(select(table).where(and_(true(), *where)).order_by(order).limit(limit + 1)))
    has_more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    matched = None
    if count:
        matched = int(
            (await conn.execute(select(func.count()).select_from(table).where(and_(true(), *conds)))).scalar_one()
        )
    next_token = prev_token = None
    if rows:
        if has_more or backwards:
            next_token = encode_token(after=rows[-1].pk)
        if (token is not None and not backwards) or (backwards and has_more):
            prev_token = encode_token(before=rows[0].pk)
    return RowPage(rows, next_token, prev_token, matched)
