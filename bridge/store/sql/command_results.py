"""Command results in SQL (`/commands/{id}/result[/{rid}]`): inline data or one link per result."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bridge.errors import NotFound
from bridge.model.csapi import CommandResult
from bridge.model.query import Page
from bridge.store.sql.features import new_id
from bridge.store.sql.leases import check_fence
from bridge.store.sql.paging import deleted_or_404, page_by_pk
from bridge.store.sql.tables import command_results, commands


def result_doc(result: CommandResult) -> str:
    """The stored JSON of a result: `{"data": …}` or `{"<member>@link": {…}}`."""
    doc = {"data": result.data} if result.link_member is None else {result.link_member: result.link}
    return orjson.dumps(doc).decode()


def _row_result(row: Mapping[Any, Any]) -> CommandResult:
    doc = orjson.loads(row["doc"])
    if "data" in doc:
        return CommandResult(id=row["id"], command_id=row["command_id"], data=doc["data"])
    member, link = next(iter(doc.items()))
    return CommandResult(id=row["id"], command_id=row["command_id"], link_member=member, link=link)


class ResultRepository:
    """Results attached to commands (inline `data` or exactly one `*@link`)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def _require_command(self, cmd_id: str) -> None:
        async with self.engine.connect() as conn:
            if (await conn.execute(select(commands.c.pk).where(commands.c.id == cmd_id))).first() is None:
                raise NotFound(f"no commands resource with id '{cmd_id}'")

    async def add(self, result: CommandResult) -> CommandResult:
        """Store a new result of an existing command."""
        await self._require_command(result.command_id)
        result.id = result.id or new_id()
        async with self.engine.begin() as conn:
            await check_fence(conn)
            await conn.execute(
                insert(command_results).values(id=result.id, command_id=result.command_id, doc=result_doc(result))
            )
        return result

    async def search(self, cmd_id: str, limit: int, token: str | None) -> Page[CommandResult]:
        """Results of one command, oldest first."""
        await self._require_command(cmd_id)
        async with self.engine.connect() as conn:
            page = await page_by_pk(conn, command_results, [command_results.c.command_id == cmd_id], limit, token)
        return Page([_row_result(r._mapping) for r in page.rows], page.next_token, page.prev_token, page.matched)

    async def get(self, cmd_id: str, result_id: str) -> CommandResult:
        """One result; NotFound unless it belongs to the command."""
        query = select(command_results).where(command_results.c.command_id == cmd_id, command_results.c.id == result_id)
        async with self.engine.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            raise NotFound(f"no result '{result_id}' for command '{cmd_id}'")
        return _row_result(row._mapping)

    async def replace(self, result: CommandResult) -> None:
        """`PUT /commands/{id}/result/{rid}`."""
        await self.get(result.command_id, result.id)
        async with self.engine.begin() as conn:
            query = update(command_results).where(command_results.c.id == result.id)
            await conn.execute(query.values(doc=result_doc(result)))

    async def delete(self, cmd_id: str, result_id: str) -> None:
        """`DELETE /commands/{id}/result/{rid}`."""
        await self.get(cmd_id, result_id)
        async with self.engine.begin() as conn:
            statement = delete(command_results).where(command_results.c.id == result_id)
            await deleted_or_404(conn, statement, f"result '{result_id}' of command '{cmd_id}'")
