"""The audit log: who did what to which resource, when, in which request, and how it ended."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class AuditEntry:
    """One audited operation (a command submitted, updated or cancelled, a delete, an admin action)."""

    time: int  # µs since 1970 UTC
    principal: str  # `kind:name` (`apikey:ops-robot`, `oidc:alice`, `basic:bob`, `anonymous`)
    action: str  # `METHOD /path/{template}`
    target: str  # the request target (path and query)
    request_id: str
    status: int  # HTTP status of the answer
    outcome: str  # success | refused | failed
    role: str  # the role the operation needs
    resource: str | None = None  # what it created (its `Location`)
    id: str = ""  # assigned by the store


@dataclass(slots=True)
class AuditQuery:
    """Filters of `GET /audit` and `csapi-bridge audit`: newest first, keyset-paged."""

    limit: int = 100
    token: str | None = None
    principal: str | None = None
    outcome: str | None = None
    since: int | None = None  # µs
    until: int | None = None  # µs


def outcome_of(status: int) -> str:
    """`success` below 400, `refused` for 401/403/415 (access and cross-site rules), `failed` otherwise."""
    if status < 400:
        return "success"
    return "refused" if status in (401, 403, 415) else "failed"
