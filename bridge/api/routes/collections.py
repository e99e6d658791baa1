"""`/collections`, `/collections/{cid}`, `/collections/{cid}/items[/{id}]` (Req 8/18/28/33/37, 68-71)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.dependencies.utils import get_dependant
from starlette.responses import RedirectResponse, Response

from bridge.api.bodies import json_body, read_body
from bridge.api.deps import FeatureStoreDep, LinksDep, SettingsDep
from bridge.api.encodings.assoc import F_NAME, FORMATS
from bridge.api.links import LinkContext, link
from bridge.api.media import JSON, URI_LIST, canonical, negotiate
from bridge.api.params import CascadeParam, FParam, LimitParam, _all_query_params
from bridge.api.queries import FILTER_PARAMS, QUERY_DEPENDENCIES, build_query
from bridge.api.responses import json_response
from bridge.api.routes import features as handlers
from bridge.errors import InvalidBody, InvalidParameter, MethodNotAllowed, NotFound
from bridge.model.csapi import Kind
from bridge.model.kinds import KINDS, PART2_KINDS
from bridge.model.query import FeatureQuery, IdList
from bridge.store.base import Collection, FeatureStore

router = APIRouter(tags=["Collections"])
CidPath = Annotated[str, Path(description="Collection identifier")]
IdPath = Annotated[str, Path(description="Local identifier of the resource")]
Raw = Annotated[str | None, Query()]


def _accepted(kind: Kind) -> set[str]:
    dependant = get_dependant(path="", call=QUERY_DEPENDENCIES[kind])
    return {p.alias for p in _all_query_params(dependant)}


ACCEPTED = {kind: _accepted(kind) | {"f"} for kind in QUERY_DEPENDENCIES}
# Part 2 collections (checklist §2.1: itemType as written); their items are the canonical resources endpoint.
DYNAMIC_KINDS = {d.kind for d in PART2_KINDS}
_PUBLIC = {attr: name for name, (attr, _) in FILTER_PARAMS.items()}


def _canonical_redirect(request: Request, ctx: LinkContext, path: str) -> Response:
    """Part 2 collection items are served by the resources endpoint: same parameters, same response."""
    query = request.url.query
    return RedirectResponse(ctx.href(path) + (f"?{query}" if query else ""), status_code=307)


def describe(coll: Collection, ctx: LinkContext) -> dict[str, Any]:
    """Collection metadata: `itemType` and `featureType` (checklist D11), one `items` link per format."""
    doc: dict[str, Any] = {"id": coll.id, "title": coll.title}
    if coll.description:
        doc["description"] = coll.description
    items = ctx.href(f"/collections/{coll.id}/items")
    desc = KINDS[coll.kind]
    doc["itemType"] = desc.item_type
    if coll.kind in DYNAMIC_KINDS:
        doc["links"] = [
            link(ctx.href(f"/collections/{coll.id}"), "self", JSON, "this collection"),
            link(ctx.href(f"/{coll.kind.value}"), "items", JSON, f"the {coll.kind.value} (resources endpoint)"),
        ]
        return doc
    if desc.feature_type:
        doc["featureType"] = desc.feature_type
    doc["links"] = [link(ctx.href(f"/collections/{coll.id}"), "self", JSON, "this collection")] + [
        link(f"{items}?f={F_NAME[m]}", "items", m, f"items as {m}") for m in FORMATS[coll.kind]
    ]
    return doc


@router.get("/collections", summary="Collections", response_class=Response)
async def list_collections(request: Request, store: FeatureStoreDep, ctx: LinksDep, f: FParam = None) -> Response:
    """`GET /collections`: built-in, configured and per-source collections, each with its `itemType` and items links."""
    media_type = negotiate(request, [JSON], f)
    colls = [describe(c, ctx) for c in await store.list_collections()]
    body = {"links": [link(ctx.href("/collections"), "self", JSON, "this document")], "collections": colls}
    return json_response(body, media_type)


@router.get("/collections/{cid}", summary="One collection", response_class=Response)
async def get_collection(
    request: Request, store: FeatureStoreDep, ctx: LinksDep, cid: CidPath, f: FParam = None
) -> Response:
    """`GET /collections/{cid}`: the metadata of one collection (`itemType`, `featureType`, items links)."""
    media_type = negotiate(request, [JSON], f)
    return json_response(describe(await store.get_collection(cid), ctx), media_type)


@router.get("/collections/{cid}/items", summary="Items of a collection (same parameters as the resource type)")
async def collection_items(
    request: Request,
    store: FeatureStoreDep,
    settings: SettingsDep,
    ctx: LinksDep,
    cid: CidPath,
    limit: LimitParam = None,
    cursor: Raw = None,
    id: Raw = None,
    q: Raw = None,
    bbox: Raw = None,
    datetime: Raw = None,
    geom: Raw = None,
    parent: Raw = None,
    procedure: Raw = None,
    system: Raw = None,
    foi: Raw = None,
    observed_property: Annotated[str | None, Query(alias="observedProperty")] = None,
    controlled_property: Annotated[str | None, Query(alias="controlledProperty")] = None,
    base_property: Annotated[str | None, Query(alias="baseProperty")] = None,
    object_type: Annotated[str | None, Query(alias="objectType")] = None,
    recursive: Annotated[bool, Query()] = False,
    f: FParam = None,
) -> Response:
    """`GET /collections/{cid}/items`: its resources, with the parameters of their type (Part 2 kinds: 307)."""
    values = {k: v for k, v in locals().items() if k not in ("request", "store", "settings", "ctx", "cid")}
    coll = await store.get_collection(cid)
    if coll.kind in DYNAMIC_KINDS:
        return _canonical_redirect(request, ctx, f"/{coll.kind.value}")
    unknown = sorted(set(request.query_params) - ACCEPTED[coll.kind])
    if unknown:
        allowed = ", ".join(sorted(ACCEPTED[coll.kind]))
        raise InvalidParameter(unknown[0], f"not accepted for {coll.kind.value} items (allowed: {allowed})")
    query = build_query(coll.kind, settings, {_PUBLIC.get(k, k): v for k, v in values.items()})
    query.collection = None if coll.builtin or coll.source else coll.id
    query.source = coll.source
    query.top_level_only = coll.builtin and coll.kind in (Kind.SYSTEM, Kind.DEPLOYMENT)
    return await handlers.list_features(store, request, ctx, query, f)


collection_items.validates_own_params = True  # type: ignore[attr-defined]  # see params.reject_unknown


def _writable(coll: Collection) -> None:
    """Collections of harvested resources are views of provenance: their membership cannot be edited."""
    if coll.kind in DYNAMIC_KINDS:
        raise MethodNotAllowed(
            f"write {coll.kind.value} at their own endpoints (e.g. /systems/{{id}}/{coll.kind.value})"
        )
    if coll.source:
        raise MethodNotAllowed(f"'{coll.id}' lists what was harvested from '{coll.source}'; it is read-only")


async def _member(store: FeatureStore, coll: Collection, rid: str) -> None:
    """404 unless the resource is in the collection (built-in collections hold every resource)."""
    if coll.kind in DYNAMIC_KINDS:
        raise MethodNotAllowed(f"write {coll.kind.value} at /{coll.kind.value}/{{id}}")
    await store.get_feature(coll.kind, rid)
    if coll.builtin:
        return
    membership = None if coll.source else coll.id
    page = await store.list_features(
        FeatureQuery(kind=coll.kind, ids=IdList(local=(rid,)), collection=membership, source=coll.source, limit=1)
    )
    if not page.items:
        raise NotFound(f"resource '{rid}' is not in collection '{coll.id}'")


@router.post("/collections/{cid}/items", summary="Create a resource in, or add resources to, a collection (Req 68, 71)")
async def post_items(request: Request, store: FeatureStoreDep, ctx: LinksDep, cid: CidPath) -> Response:
    """`POST /collections/{cid}/items`: create a resource in it, or add existing ones by URI or UID (Req 68, 71)."""
    coll = await store.get_collection(cid)
    _writable(coll)
    declared = canonical(request.headers.get("content-type", ""))
    if declared == URI_LIST or (declared == JSON and (await read_body(request)).lstrip().startswith(b"[")):
        if coll.builtin:
            raise InvalidBody(f"'{cid}' holds every {coll.kind.value} resource already; nothing to add")
        refs = await _uri_list(request, declared)
        ids = [await _resolve_ref(store, ctx, coll.kind, r) for r in refs]
        await store.add_to_collection(cid, coll.kind, ids)
        return Response(status_code=204)
    if coll.kind is Kind.SAMPLING_FEATURE:
        raise InvalidBody("sampling features are created under their system: POST /systems/{id}/samplingFeatures")
    return await handlers.create_feature(store, request, ctx, coll.kind, collection=None if coll.builtin else cid)


async def _uri_list(request: Request, declared: str) -> list[str]:
    if declared == URI_LIST:
        lines = (await read_body(request)).decode("utf-8", "replace").splitlines()
        refs = [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]
    else:
        refs = await json_body(request)
        if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
            raise InvalidBody("expected a JSON array of URIs")
    if not refs:
        raise InvalidBody("the list of resources to add is empty")
    return refs


async def _resolve_ref(store: FeatureStore, ctx: LinkContext, kind: Kind, ref: str) -> str:
    """A canonical URL (absolute, or a path under the API root) or a UID (Req 71) → local id of a resource
    of `kind` on this server; existence is checked when the membership is added."""
    local = await store.find_feature_uid(kind, ref)
    if local is not None:
        return local
    for base in (ctx.canonical(kind, ""), f"/{kind.value}/"):
        rid = ref[len(base) :].split("?", 1)[0].split("#", 1)[0].rstrip("/") if ref.startswith(base) else ""
        if rid and "/" not in rid:
            return rid
    raise InvalidBody(f"'{ref}' is neither a canonical URL nor a UID of a {kind.value} resource on this server")


@router.get("/collections/{cid}/items/{id}", summary="One item of a collection (with a canonical link)")
async def get_item(
    request: Request, store: FeatureStoreDep, ctx: LinksDep, cid: CidPath, id: IdPath, f: FParam = None
) -> Response:
    """`GET /collections/{cid}/items/{id}`: one member, linked to its canonical URL (Part 2 kinds: 307 there)."""
    coll = await store.get_collection(cid)
    if coll.kind in DYNAMIC_KINDS:
        return _canonical_redirect(request, ctx, f"/{coll.kind.value}/{id}")
    await _member(store, coll, id)
    return await handlers.get_feature(store, request, ctx, coll.kind, id, f, canonical_view=False)


@router.put("/collections/{cid}/items/{id}", summary="Replace an item (Req 69)", status_code=204)
async def put_item(request: Request, store: FeatureStoreDep, ctx: LinksDep, cid: CidPath, id: IdPath) -> Response:
    """`PUT /collections/{cid}/items/{id}`: replace a member of the collection (Req 69)."""
    coll = await store.get_collection(cid)
    await _member(store, coll, id)
    return await handlers.replace_feature(store, request, ctx, coll.kind, id)


@router.patch("/collections/{cid}/items/{id}", summary="Update an item (JSON merge patch)", status_code=204)
async def patch_item(request: Request, store: FeatureStoreDep, ctx: LinksDep, cid: CidPath, id: IdPath) -> Response:
    """`PATCH /collections/{cid}/items/{id}`: update a member with a JSON merge patch."""
    coll = await store.get_collection(cid)
    await _member(store, coll, id)
    return await handlers.patch_feature(store, request, ctx, coll.kind, id)


@router.delete(
    "/collections/{cid}/items/{id}",
    summary="Delete (root) or remove from collection (Req 70)",
    status_code=204,
)
async def delete_item(store: FeatureStoreDep, cid: CidPath, id: IdPath, cascade: CascadeParam = False) -> Response:
    """`DELETE /collections/{cid}/items/{id}`: delete (built-in collection) or just remove the membership (Req 70)."""
    coll = await store.get_collection(cid)
    _writable(coll)
    if coll.builtin:
        return await handlers.delete_feature(store, coll.kind, id, cascade)
    await store.remove_from_collection(cid, id)
    return Response(status_code=204)
