"""Handlers shared by the Part 1 resource families: parse → store → encode.

Route modules (systems.py, deployments.py, ...) declare paths and parameters and call these.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from bridge.api.bodies import json_body, limits_of
from bridge.api.deps import patch_body
from bridge.api.encodings import geojson, sensorml
from bridge.api.encodings.assoc import F_NAME, FORMATS, resource_links
from bridge.api.encodings.common import check_vertices
from bridge.api.links import LinkContext, paging_links
from bridge.api.media import GEOJSON, JSON, SML_JSON, canonical, negotiate
from bridge.api.params import parse_time
from bridge.api.responses import json_response
from bridge.errors import Conflict, InvalidParameter, NotFound, UnsupportedMediaType
from bridge.model.csapi import Deployment, Feature, JsonDict, Kind, Procedure, System
from bridge.model.query import FeatureQuery, TimeFilter
from bridge.model.time import format_datetime, to_us, utcnow
from bridge.store.base import FeatureHistoryStore, FeatureStore

MERGE_PATCH = "application/merge-patch+json"


def encode_feature(feature: Feature, media_type: str, ctx: LinkContext, canonical_view: bool) -> JsonDict:
    """One resource in `media_type` with its links."""
    links = resource_links(feature, ctx, media_type, canonical_view)
    if media_type == GEOJSON:
        return geojson.encode(feature, links)
    parent = (
        ctx.canonical(Kind.SYSTEM, feature.parent_id) if feature.kind is Kind.SYSTEM and feature.parent_id else None
    )
    return sensorml.encode(feature, links, parent)


def _collection_body(
    kind: Kind, media_type: str, items: list[JsonDict], links: list[dict[str, str]], matched: int | None
) -> JsonDict:
    if media_type == GEOJSON:
        body: JsonDict = {"type": "FeatureCollection", "features": items}
        if matched is not None:
            body["numberMatched"] = matched
        body["numberReturned"] = len(items)
        body["timeStamp"] = format_datetime(utcnow())
        body["links"] = links
        return body
    return {"items": items, "links": links}


async def list_features(
    store: FeatureStore, request: Request, ctx: LinkContext, query: FeatureQuery, f: str | None
) -> Response:
    """A resources endpoint page; every item carries a `canonical` link (checklist D18)."""
    offered = FORMATS[query.kind]
    media_type = negotiate(request, offered, f)
    page = await store.list_features(query)
    await with_subdeployment_systems(store, page.items)
    items = [encode_feature(item, media_type, ctx, canonical_view=False) for item in page.items]
    alternates = {m: F_NAME[m] for m in offered}
    links = paging_links(ctx, page.next_token, page.prev_token, media_type, alternates)
    return json_response(_collection_body(query.kind, media_type, items, links, page.matched), media_type)


async def get_feature(
    store: FeatureStore,
    request: Request,
    ctx: LinkContext,
    kind: Kind,
    rid: str,
    f: str | None,
    canonical_view: bool,
    feature: Feature | None = None,
) -> Response:
    """One resource; off its canonical URL a `canonical` link (and `Link` header) points home (Req 5B).

    `feature`: the description to show when it is not the current one (`GET /systems/{id}?datetime=`).
    """
    media_type = negotiate(request, FORMATS[kind], f)
    if feature is None:
        feature = await store.get_feature(kind, rid)
    await with_subdeployment_systems(store, [feature])
    headers = None if canonical_view else {"Link": f'<{ctx.canonical(kind, rid)}>; rel="canonical"'}
    return json_response(encode_feature(feature, media_type, ctx, canonical_view), media_type, headers=headers)


async def system_at(store: FeatureHistoryStore, rid: str, raw: str | None) -> Feature:
    """The description of a system that was current at the `datetime` instant (its history, Part 2), or 404."""
    current = await store.get_feature(Kind.SYSTEM, rid)
    flt = parse_time("datetime", raw)
    if flt is None:
        return current
    if flt.start is None or flt.start != flt.end:
        raise InvalidParameter("datetime", "on a single system it selects one description: give an instant")
    when = flt.start
    page = await store.list_history(rid, TimeFilter(when + 1, None), 1, None)  # the oldest ending after it
    if page.items:
        revision = page.items[0].system
        if revision.valid_time is not None and revision.valid_time.start and to_us(revision.valid_time.start) > when:
            raise NotFound(f"system '{rid}' had no description at {raw} (its history starts later)")
        return revision  # type: ignore[no-any-return]
    valid = current.valid_time
    if valid is not None and not flt.intersects(
        to_us(valid.start) if valid.start else None, to_us(valid.end) if valid.end else None
    ):
        raise NotFound(f"system '{rid}' had no description valid at {raw}")
    return current


async def with_subdeployment_systems(store: FeatureStore, features: list[Feature]) -> None:
    """Req 23: a deployment read shows the systems deployed in its subdeployments too (writes never do)."""
    deployments = [f for f in features if isinstance(f, Deployment)]
    if not deployments:
        return
    inherited = await store.inherited_deployed([d.id for d in deployments])
    for deployment in deployments:
        known = {d.system.href for d in deployment.deployed_systems}
        for extra in inherited.get(deployment.id, []):
            if extra.system.href not in known:
                known.add(extra.system.href)
                deployment.deployed_systems.append(extra)


def body_format(kind: Kind, request: Request, body: Any) -> str:
    """Which encoding a request body is in: from Content-Type, else sniffed (mislabelled JSON is accepted)."""
    declared = canonical(request.headers.get("content-type", ""))
    offered = FORMATS[kind]
    if declared in (GEOJSON, SML_JSON):
        if declared not in offered:
            raise UnsupportedMediaType(f"{kind.value} accept {', '.join(offered)}, not {declared}")
        return declared
    if len(offered) == 1:
        return offered[0]
    return GEOJSON if isinstance(body, dict) and body.get("type") == "Feature" else SML_JSON


async def decode_feature(kind: Kind, request: Request, current_uid: str | None = None) -> Feature:
    """The resource in a POST/PUT body (`current_uid`: the UID a PUT keeps when its GeoJSON body has none)."""
    body = await json_body(request)
    fmt = body_format(kind, request, body)
    feature = geojson.decode(kind, body, current_uid) if fmt == GEOJSON else sensorml.decode(kind, body)
    check_vertices(feature.geometry, limits_of(request).geometry_vertices)
    return feature


async def create_feature(
    store: FeatureStore,
    request: Request,
    ctx: LinkContext,
    kind: Kind,
    parent_id: str | None = None,
    collection: str | None = None,
) -> Response:
    """`POST`: 201 with `Location` = canonical URL (Feat-4 CREATE)."""
    feature = await decode_feature(kind, request)
    feature.parent_id = parent_id
    await resolve_links(store, ctx, feature)
    created = await store.create_feature(feature, collection)
    location = ctx.canonical(kind, created.id)
    return Response(status_code=201, headers={"Location": location})


async def resolve_links(store: FeatureStore, ctx: LinkContext, feature: Feature) -> None:
    """Links to local systems given by UID (Table 43 footnote, checklist D25) become URL + uid."""
    if not isinstance(feature, Deployment):
        return
    links = [d.system for d in feature.deployed_systems] + ([feature.platform] if feature.platform else [])
    for lnk in links:
        local = await store.find_feature_uid(Kind.SYSTEM, lnk.href)
        if local is not None:
            lnk.uid = lnk.uid or lnk.href
            lnk.href = ctx.canonical(Kind.SYSTEM, local)


async def replace_feature(store: FeatureStore, request: Request, ctx: LinkContext, kind: Kind, rid: str) -> Response:
    """`PUT`: replace the resource (an `id` in the body is ignored, Feat-4 put-rid); 204."""
    current = await store.get_feature(kind, rid)
    feature = await decode_feature(kind, request, current.uid)
    feature.id = rid
    feature.parent_id = current.parent_id
    feature.provenance = current.provenance
    await resolve_links(store, ctx, feature)
    await store.replace_feature(feature)
    return Response(status_code=204)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON Merge Patch."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


async def patch_feature(store: FeatureStore, request: Request, ctx: LinkContext, kind: Kind, rid: str) -> Response:
    """`PATCH` with a JSON merge patch applied to the resource's representation (checklist D22); 204."""
    patch = await patch_body(request)
    current = await store.get_feature(kind, rid)
    fmt = _patch_format(kind, request, patch)
    document = encode_feature(current, fmt, ctx, canonical_view=True)
    document.pop("links", None)
    if "id" in patch and patch["id"] != rid:
        raise Conflict("the id of a resource cannot be changed")
    patched = merge_patch(document, patch)
    feature = geojson.decode(kind, patched, current.uid) if fmt == GEOJSON else sensorml.decode(kind, patched)
    check_vertices(feature.geometry, limits_of(request).geometry_vertices)
    feature.id, feature.parent_id, feature.provenance = rid, current.parent_id, current.provenance
    feature.links = current.links
    keep_unseen(current, feature, fmt)
    await store.replace_feature(feature)
    return Response(status_code=204)


def keep_unseen(current: Feature, patched: Feature, fmt: str) -> None:
    """A merge patch changes only what it names: members the patched encoding does not show are kept."""
    if fmt != GEOJSON:
        patched.properties = current.properties
        return
    patched.sml = current.sml
    if isinstance(current, System | Procedure) and isinstance(patched, System | Procedure):
        patched.observed_properties = current.observed_properties
        patched.controlled_properties = current.controlled_properties
    if isinstance(current, Deployment) and isinstance(patched, Deployment):
        before = {d.system.href: d for d in current.deployed_systems}
        for deployed in patched.deployed_systems:
            old = before.get(deployed.system.href)
            if old is not None:
                deployed.name, deployed.description = old.name, old.description
                deployed.configuration = old.configuration


def _patch_format(kind: Kind, request: Request, patch: JsonDict) -> str:
    declared = canonical(request.headers.get("content-type", ""))
    offered = FORMATS[kind]
    if declared in (GEOJSON, SML_JSON) and declared in offered:
        return declared
    if len(offered) == 1:
        return offered[0]
    if "properties" in patch or "geometry" in patch or patch.get("type") == "Feature":
        return GEOJSON
    if declared in (MERGE_PATCH, JSON, "") and not (set(patch) & {"label", "uniqueId", "definition"}):
        return GEOJSON
    return SML_JSON


async def delete_feature(store: FeatureStore, kind: Kind, rid: str, cascade: bool) -> Response:
    """`DELETE` (409 with dependents unless cascade=true); 204."""
    await store.delete_feature(kind, rid, cascade)
    return Response(status_code=204)


def feature_openapi(kind: Kind) -> dict[str, Any]:
    """OpenAPI request-body description for writes of this kind (media types accepted)."""
    content = {m: {"schema": {"type": "object"}} for m in FORMATS[kind]}
    return {"requestBody": {"required": True, "content": content}}


PATCH_OPENAPI: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {MERGE_PATCH: {"schema": {"type": "object"}}, JSON: {"schema": {"type": "object"}}},
    }
}
