"""Landing page `/` and `/conformance` (OGC API Common, Feat-1 root-success)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from bridge.api.conformance import conformance_classes
from bridge.api.deps import LinksDep, SettingsDep
from bridge.api.encodings.assoc import FORMATS
from bridge.api.links import link
from bridge.api.media import HTML, JSON, OPENAPI, negotiate
from bridge.api.params import FParam
from bridge.api.responses import json_response
from bridge.model.kinds import PART1_KINDS

router = APIRouter(tags=["Capabilities"])


@router.get("/", summary="Landing page", response_class=Response)
async def landing(request: Request, ctx: LinksDep, settings: SettingsDep, f: FParam = None) -> Response:
    """`GET /`: the landing page — title, description and links to the API definition, conformance and resources."""
    media_type = negotiate(request, [JSON], f)
    links = [
        link(ctx.href("/"), "self", JSON, "this document"),
        link(ctx.href("/api"), "service-desc", OPENAPI, "the API definition (OpenAPI)"),
        link(ctx.href("/api.html"), "service-doc", HTML, "the API documentation"),
        link(ctx.href("/conformance"), "conformance", JSON, "conformance classes implemented by this server"),
        link(ctx.href("/collections"), "data", JSON, "collections of resources"),
    ]
    links += [link(ctx.href(f"/{d.path}"), d.path, FORMATS[d.kind][0], d.landing) for d in PART1_KINDS if d.landing]
    body = {"title": settings.title, "description": settings.description, "links": links}
    return json_response(body, media_type)


@router.get("/conformance", summary="Conformance classes", response_class=Response)
async def conformance(request: Request, f: FParam = None) -> Response:
    """`GET /conformance`: the conformance classes this server declares (only those whose tests pass)."""
    media_type = negotiate(request, [JSON], f)
    return json_response({"conformsTo": conformance_classes()}, media_type)
