"""Landing page `/` and `/conformance` (OGC API Common, Feat-1 root-success)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from bridge.api.conformance import conformance_classes
from bridge.api.deps import LinksDep, SettingsDep
from bridge.api.links import link
from bridge.api.media import GEOJSON, HTML, JSON, OPENAPI, SML_JSON, negotiate
from bridge.api.params import FParam
from bridge.api.responses import json_response

router = APIRouter(tags=["Capabilities"])

ENDPOINTS = [
    ("systems", "Systems", GEOJSON),
    ("deployments", "Deployments", GEOJSON),
    ("procedures", "Procedures", GEOJSON),
    ("samplingFeatures", "Sampling features", GEOJSON),
    ("properties", "Property definitions", SML_JSON),
]


@router.get("/", summary="Landing page", response_class=Response)
async def landing(request: Request, ctx: LinksDep, settings: SettingsDep, f: FParam = None) -> Response:
    media_type = negotiate(request, [JSON], f)
    links = [
        link(ctx.href("/"), "self", JSON, "this document"),
        link(ctx.href("/api"), "service-desc", OPENAPI, "the API definition (OpenAPI)"),
        link(ctx.href("/api.html"), "service-doc", HTML, "the API documentation"),
        link(ctx.href("/conformance"), "conformance", JSON, "conformance classes implemented by this server"),
        link(ctx.href("/collections"), "data", JSON, "collections of resources"),
    ]
    links += [link(ctx.href(f"/{path}"), path, media, title) for path, title, media in ENDPOINTS]
    body = {"title": settings.title, "description": settings.description, "links": links}
    return json_response(body, media_type)


@router.get("/conformance", summary="Conformance classes", response_class=Response)
async def conformance(request: Request, f: FParam = None) -> Response:
    media_type = negotiate(request, [JSON], f)
    return json_response({"conformsTo": conformance_classes()}, media_type)
