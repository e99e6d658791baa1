"""Harvest sources and their runs: `/sources`, `/sources/{name}` (an extension beside CSAPI).

Where the content of this server comes from: each legacy source configured (or harvested into the store
before), its latest runs as the run engine reported them (status, counts, errors, duration) and the cursor
of every stream it harvests. A source's URL is shown without user information or query string (they may
carry credentials), and its configured `headers` never appear.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit, urlunsplit

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from bridge.api.deps import HarvestDep, LinksDep, SettingsDep
from bridge.api.links import LinkContext, link
from bridge.api.media import JSON, negotiate
from bridge.api.params import FParam
from bridge.api.responses import json_response
from bridge.errors import NotFound
from bridge.model.harvest import LEARNED, RunRecord
from bridge.model.time import iso_us
from bridge.settings import Settings, SourceConfig

router = APIRouter(tags=["Harvest sources"])
NamePath = Annotated[str, Path(description="Name of the legacy source")]
RunsLimit = Annotated[int, Query(ge=1, le=200, description="How many of the latest runs to list (default 20)")]
KNOWN_RUNS = 1000  # runs read to find the sources that were harvested but are no longer configured


def public_url(url: str) -> str:
    """The URL of a source without user information, query or fragment (which may carry credentials)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def run_doc(record: RunRecord) -> dict[str, Any]:
    """One run as JSON: id, status, start and end, and the run engine's report (counts, errors, duration)."""
    report = {k: v for k, v in record.report.items() if k not in ("run", "source", "started", "status")}
    return {
        "id": record.id,
        "status": record.status,
        "started": iso_us(record.started),
        "ended": iso_us(record.ended) if record.ended is not None else None,
        **report,
    }


def _source_doc(name: str, config: SourceConfig | None, ctx: LinkContext) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": name}
    if config is not None:
        doc |= {"type": config.type, "url": public_url(config.url), "schedule": config.schedule}
        if config.description:
            doc["description"] = config.description
    doc["configured"] = config is not None
    return doc


def _configured(settings: Settings) -> dict[str, SourceConfig]:
    return {s.name: s for s in settings.sources}


@router.get("/sources", summary="Harvest sources (configured, or harvested into this store) and their latest run")
async def list_sources(
    request: Request, store: HarvestDep, settings: SettingsDep, ctx: LinksDep, f: FParam = None
) -> Response:
    """`GET /sources`: every legacy source known to this server, each with its latest run."""
    media_type = negotiate(request, [JSON], f)
    configured = _configured(settings)
    latest: dict[str, RunRecord] = {}
    for record in await store.list_runs(None, KNOWN_RUNS):
        latest.setdefault(record.source, record)
    names = list(configured) + sorted(set(latest) - set(configured))
    sources = []
    for name in names:
        doc = _source_doc(name, configured.get(name), ctx)
        doc["lastRun"] = run_doc(latest[name]) if name in latest else None
        doc["links"] = [link(ctx.href(f"/sources/{name}"), "self", JSON, f"source {name}, its runs and cursors")]
        sources.append(doc)
    body = {"sources": sources, "links": [link(ctx.href("/sources"), "self", JSON, "this document")]}
    return json_response(body, media_type)


@router.get("/sources/{name}", summary="One harvest source: its latest runs and the cursor of each stream")
async def get_source(
    request: Request,
    store: HarvestDep,
    settings: SettingsDep,
    ctx: LinksDep,
    name: NamePath,
    limit: RunsLimit = 20,
    f: FParam = None,
) -> Response:
    """`GET /sources/{name}`: the source, its latest runs (newest first) and its committed stream cursors."""
    media_type = negotiate(request, [JSON], f)
    config = _configured(settings).get(name)
    runs = await store.list_runs(name, limit)
    if config is None and not runs:
        raise NotFound(f"no source '{name}' is configured or was harvested into this store")
    cursors = await store.harvest_cursors(name)
    doc = _source_doc(name, config, ctx)
    doc["runs"] = [run_doc(r) for r in runs]
    positions = {key: value for key, value in cursors.items() if not key.startswith(LEARNED)}
    doc["cursors"] = [{"stream": key, "position": iso_us(value)} for key, value in sorted(positions.items())]
    learned = {key[len(LEARNED) :]: value for key, value in cursors.items() if key.startswith(LEARNED)}
    if learned:  # what the harvester learned about the service (e.g. the longest SOS window it accepts, in µs)
        doc["learned"] = [{"name": key, "value": value} for key, value in sorted(learned.items())]
    doc["links"] = [
        link(ctx.href(f"/sources/{name}"), "self", JSON, "this document"),
        link(ctx.href("/sources"), "collection", JSON, "all sources"),
    ]
    return json_response(doc, media_type)
