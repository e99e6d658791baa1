"""`/audit`: the audit log as a table (time, principal, operation, target, answer, request id)."""

from __future__ import annotations

from bridge.api.html.page import Cell, Page, PageRequest
from bridge.api.html.views.common import formats, paging

COLUMNS = ["Time", "Principal", "Operation", "Target", "Status", "Outcome", "Request id"]


def audit(req: PageRequest) -> Page:
    """The audit entries of the page, newest first, with paging links."""
    rows = []
    for entry in req.doc.get("items", []):
        outcome = str(entry.get("outcome", ""))
        rows.append(
            [
                Cell(str(entry.get("time", ""))),
                Cell(str(entry.get("principal", ""))),
                Cell(str(entry.get("action", ""))),
                Cell(str(entry.get("target", "")), entry.get("resource")),
                Cell(str(entry.get("status", ""))),
                Cell(outcome, None, f"status status-{outcome}"),
                Cell(str(entry.get("requestId", ""))),
            ]
        )
    page = Page("list.html", "Audit log", formats=formats(req))
    page.context = {
        "columns": COLUMNS,
        "rows": rows,
        "paging": paging(req),
        "counts": {"returned": len(rows)},
        "map": False,
    }
    return page
