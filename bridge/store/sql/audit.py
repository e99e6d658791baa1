"""The audit log table: one row per audited operation, read newest first with keyset paging."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bridge.model.audit import AuditEntry, AuditQuery
from bridge.model.query import Page
from bridge.store.sql.tables import audit_log
from bridge.store.tokens import decode_token, encode_token


class SqlAuditLog:
    """`AuditStore` on a SQLAlchemy engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def record(self, entry: AuditEntry) -> None:
        """Append one entry (its own short transaction)."""
        values = {
            "time": entry.time,
            "principal": entry.principal[:300],
            "action": entry.action[:300],
            "target": entry.target,
            "request_id": entry.request_id[:128],
            "status": entry.status,
            "outcome": entry.outcome,
            "role": entry.role,
            "resource": entry.resource,
        }
        async with self.engine.begin() as conn:
            await conn.execute(insert(audit_log).values(**values))

    async def list(self, query: AuditQuery) -> Page[AuditEntry]:
        """Entries matching the query, newest first; `next_token` continues after the last one."""
        stmt = select(audit_log).order_by(audit_log.c.pk.desc()).limit(query.limit + 1)
        if query.token is not None:
            stmt = stmt.where(audit_log.c.pk < int(decode_token(query.token, "before")["before"]))
        if query.principal is not None:
            stmt = stmt.where(audit_log.c.principal == query.principal)
        if query.outcome is not None:
            stmt = stmt.where(audit_log.c.outcome == query.outcome)
        if query.since is not None:
            stmt = stmt.where(audit_log.c.time >= query.since)
        if query.until is not None:
            stmt = stmt.where(audit_log.c.time <= query.until)
        async with self.engine.connect() as conn:
            rows = list((await conn.execute(stmt)).mappings())
        more = len(rows) > query.limit
        rows = rows[: query.limit]
        items = [
            AuditEntry(
                r["time"], r["principal"], r["action"], r["target"], r["request_id"], r["status"], r["outcome"],
                r["role"], r["resource"], str(r["pk"]),
            )
            for r in rows
        ]  # fmt: skip
        token = encode_token(before=rows[-1]["pk"]) if more and rows else None
        return Page(items, next_token=token)
