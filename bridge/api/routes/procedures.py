"""`/procedures` (Req 24-28, 65, 74)."""

from __future__ import annotations

from bridge.api.queries import procedure_query
from bridge.api.routes.resources import canonical_router
from bridge.model.csapi import Kind

router = canonical_router(Kind.PROCEDURE, procedure_query, can_create=True, title="Procedures")
