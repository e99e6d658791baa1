"""Keyset paging over one table ordered by its integer primary key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, Table, and_, func, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from bridge.errors import InvalidParameter
from bridge.store.tokens import TOKEN_PARAM, decode_token, encode_token

MAX_KEY = 2**62


def token_int(key: dict[str, Any], name: str) -> int:
    """An integer boundary of a decoded token; a forged value is a 400 on `cursor`, never a database error."""
    value = key.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not -MAX_KEY < value < MAX_KEY:
        raise InvalidParameter(TOKEN_PARAM, "not a paging token issued by this server")
    return value


@dataclass(slots=True)
class RowPage:
    """One keyset page of table rows, with the tokens of its neighbours and the number of matching rows."""

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
        where.append(table.c.pk < token_int(key, "before") if backwards else table.c.pk > token_int(key, "after"))
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
