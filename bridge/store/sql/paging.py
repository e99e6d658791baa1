"""Keyset paging over one table ordered by its integer primary key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Row, Table, and_, func, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from bridge.errors import InvalidParameter, NotFound
from bridge.store.tokens import TOKEN_PARAM, decode_token, encode_token

MAX_KEY = 2**62


def key_range(column: Any) -> int:
    """The bound of an integer key column: 2^31 for INTEGER keys (PostgreSQL `integer`), else 2^62."""
    return MAX_KEY if isinstance(column.type, BigInteger) else 2**31


def token_int(key: dict[str, Any], name: str, column: Any = None) -> int:
    """An integer boundary of a decoded token, within the range of the `column` it is compared with; a forged
    value is a 400 on `cursor`, never a database error (`integer out of range` on PostgreSQL)."""
    value = key.get(name)
    bound = MAX_KEY if column is None else key_range(column)
    if isinstance(value, bool) or not isinstance(value, int) or not -bound < value < bound:
        raise InvalidParameter(TOKEN_PARAM, "not a paging token issued by this server")
    return value


async def deleted_or_404(conn: AsyncConnection, statement: Any, what: str) -> None:
    """Run a DELETE that must remove a row: none removed (a concurrent DELETE won) is a 404 for this one,
    and the caller's transaction rolls back with it. Check and act are one statement, so of several
    concurrent DELETEs of one resource exactly one succeeds."""
    if (await conn.execute(statement)).rowcount == 0:
        raise NotFound(f"no {what}")


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
        boundary = token_int(key, "before" if backwards else "after", table.c.pk)
        where.append(table.c.pk < boundary if backwards else table.c.pk > boundary)
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
