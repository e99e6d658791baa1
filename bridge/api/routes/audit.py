"""The audit log of access control: `GET /audit` (an extension beside CSAPI; needs the `admin` role).

Every command submission, update and cancel, every delete and every admin action, with the principal, time,
operation, target, request id (`X-Request-ID` of the answer) and outcome — refused attempts included.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from bridge.api.deps import LinksDep, get_store
from bridge.api.links import paging_links
from bridge.api.media import JSON, negotiate
from bridge.api.params import CursorParam, FParam, parse_time
from bridge.api.responses import json_response
from bridge.model.audit import AuditEntry, AuditQuery
from bridge.model.time import iso_us
from bridge.store.base import AuditStore

router = APIRouter(tags=["Access control"])
AuditDep = Annotated[AuditStore, Depends(get_store)]
AuditLimit = Annotated[int, Query(ge=1, le=1000, description="Entries per page, newest first (default 100)")]
PrincipalParam = Annotated[str | None, Query(max_length=300, description="Only entries of this principal")]
OutcomeParam = Annotated[Literal["success", "refused", "failed"] | None, Query(description="Only this outcome")]
TimeParam = Annotated[str | None, Query(alias="datetime", description="Only entries within this instant or interval")]


def entry_doc(entry: AuditEntry) -> dict[str, Any]:
    """One entry as JSON."""
    doc: dict[str, Any] = {
        "id": entry.id,
        "time": iso_us(entry.time),
        "principal": entry.principal,
        "action": entry.action,
        "target": entry.target,
        "role": entry.role,
        "requestId": entry.request_id,
        "status": entry.status,
        "outcome": entry.outcome,
    }
    if entry.resource:
        doc["resource"] = entry.resource
    return doc


@router.get("/audit", summary="The audit log: commands, deletes and admin actions with principal and outcome")
async def list_audit(
    request: Request,
    store: AuditDep,
    ctx: LinksDep,
    limit: AuditLimit = 100,
    principal: PrincipalParam = None,
    outcome: OutcomeParam = None,
    when: TimeParam = None,
    cursor: CursorParam = None,
    f: FParam = None,
) -> Response:
    """`GET /audit`: audited operations, newest first, keyset-paged (`next` link)."""
    media_type = negotiate(request, [JSON], f)
    period = parse_time("datetime", when)
    query = AuditQuery(limit, cursor, principal, outcome)
    if period is not None:
        query.since, query.until = period.start, period.end
    page = await store.list_audit(query)
    body = {"items": [entry_doc(e) for e in page.items], "links": paging_links(ctx, page.next_token, None, JSON, {})}
    return json_response(body, media_type)
