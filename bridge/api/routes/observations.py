"""Observations: `/observations[/{id}]`, `/datastreams/{id}/observations` (GET streamed, POST batch)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import Response, StreamingResponse

from bridge import swe
from bridge.api.bodies import IdempotencyKey, bulk_rows, decode, json_body, limits_of, read_body
from bridge.api.deps import LinksDep, StreamFeatureDep, patch_body
from bridge.api.dynamic_queries import observation_query
from bridge.api.encodings.observations import ObservationCodec, stream_json
from bridge.api.encodings.streams import stream_schema
from bridge.api.links import LinkContext, link
from bridge.api.media import JSON, canonical, negotiate
from bridge.api.params import FParam
from bridge.api.responses import json_response, openapi_content
from bridge.api.routes.features import merge_patch
from bridge.api.turns import in_turn, taking_turns
from bridge.errors import InvalidBody, NotFound, UnsupportedMediaType
from bridge.model.csapi import Datastream, Kind
from bridge.model.observations import ObsRow
from bridge.model.query import FeatureQuery, IdList, ObservationQuery
from bridge.store.base import StreamFeatureStore
from bridge.store.tokens import TOKEN_PARAM

router = APIRouter(tags=["Observations"])
IdPath = Annotated[str, Path(description="Local identifier")]
DsIdPath = Annotated[str, Path(alias="dataStreamId", description="Local identifier of the datastream")]
ObsQuery = Annotated[ObservationQuery, Depends(observation_query)]
SWE_WRITE = {swe.SWE_JSON, swe.SWE_CSV, swe.SWE_TEXT, swe.SWE_BINARY}
READ_FORMATS = [JSON, swe.SWE_JSON, swe.SWE_CSV, swe.SWE_TEXT, swe.SWE_BINARY]


def _codec_for(ds: Datastream) -> ObservationCodec:
    return ObservationCodec(ds, stream_schema(ds))


async def _datastream(store: StreamFeatureStore, ds_id: str) -> Datastream:
    ds = await store.get_stream(Kind.DATASTREAM, ds_id)
    assert isinstance(ds, Datastream)
    return ds


async def _respond(
    store: StreamFeatureStore,
    request: Request,
    ctx: LinkContext,
    query: ObservationQuery,
    ds: Datastream | None,
    f: str | None,
) -> Response:
    """Stream one page: JSON everywhere; SWE formats when the page belongs to one datastream (one schema)."""
    codec = _codec_for(ds) if ds is not None else None
    offered = [JSON]
    if codec is not None:
        offered = [
            m
            for m in READ_FORMATS
            if m in codec.schema.formats or (m == swe.SWE_TEXT and len(codec.schema.formats) > 1)
        ]
    media_type = negotiate(request, offered, f)
    page = await in_turn(store.open_observations(query))
    links = [link(ctx.with_params(), "self", media_type, "this page")]
    headers: dict[str, str] = {}
    if page.next_token:
        nxt = ctx.with_params(**{TOKEN_PARAM: page.next_token})
        links.append(link(nxt, "next", media_type, "next page"))
        headers["Link"] = f'<{nxt}>; rel="next"'
    if media_type == JSON:

        async def lookup(key: int) -> ObservationCodec:
            return codec if codec is not None else _codec_for(await store.datastream_by_key(key))

        body = taking_turns(stream_json(page.stream, links, lookup))
        return StreamingResponse(body, media_type=JSON, headers=headers)
    assert codec is not None
    body = taking_turns(codec.stream_swe(page.stream, media_type))
    return StreamingResponse(body, media_type=media_type, headers=headers)


@router.get(
    "/observations",
    summary="Observations of all datastreams (JSON)",
    responses={200: {"content": openapi_content(JSON)}},
)
async def list_observations(
    request: Request, store: StreamFeatureDep, ctx: LinksDep, query: ObsQuery, f: FParam = None
) -> Response:
    """`GET /observations`: observations of all datastreams, streamed in JSON (SWE too for one `datastream`)."""
    ds = None
    if query.datastreams is not None and len(query.datastreams.local) == 1:
        try:  # one datastream: its SWE formats are offered too
            ds = await _datastream(store, query.datastreams.local[0])
        except NotFound:
            ds = None  # a filter naming an unknown datastream matches nothing
    return await _respond(store, request, ctx, query, ds, f)


@router.get(
    "/datastreams/{dataStreamId}/observations",
    summary="Observations of a datastream, in JSON or SWE Common (JSON, CSV/text, binary)",
    responses={200: {"content": openapi_content(*READ_FORMATS)}},
)
async def datastream_observations(
    request: Request, store: StreamFeatureDep, ctx: LinksDep, ds_id: DsIdPath, query: ObsQuery, f: FParam = None
) -> Response:
    """`GET /datastreams/{id}/observations`: one datastream's observations, streamed in JSON or its SWE formats."""
    ds = await _datastream(store, ds_id)
    query.datastream_id = ds_id
    return await _respond(store, request, ctx, query, ds, f)


@router.post(
    "/datastreams/{dataStreamId}/observations",
    summary="Insert observations (one JSON observation, a JSON array, or a SWE Common body)",
    status_code=201,
    openapi_extra={"requestBody": {"required": True, "content": openapi_content(*READ_FORMATS)}},
)
async def post_observations(
    request: Request, store: StreamFeatureDep, ctx: LinksDep, ds_id: DsIdPath, idempotency_key: IdempotencyKey = None
) -> Response:
    """`POST /datastreams/{id}/observations`: insert one JSON observation, a JSON array, or a SWE bulk load.

    With an `Idempotency-Key`, a retry (after a lost answer, say) gets the first answer and stores nothing again.
    """
    ds = await _datastream(store, ds_id)
    if idempotency_key is not None and (earlier := await store.observations_by_key(ds_id, idempotency_key)) is not None:
        return _inserted(ctx, ds_id, earlier, single=isinstance(earlier, list) and len(earlier) == 1)
    codec = _codec_for(ds)
    declared = canonical(request.headers.get("content-type", "")) or JSON
    media_type = swe.canonical_media_type(declared)
    if media_type not in SWE_WRITE:
        media_type = JSON  # JSON mislabelled (text/xml, none) is accepted; a non-JSON body fails to parse: 400
    if media_type != JSON and media_type not in codec.schema.formats and media_type != swe.SWE_TEXT:
        raise UnsupportedMediaType(f"this datastream accepts {', '.join(codec.schema.formats)}")
    body = await read_body(request, media_type)
    if not body.strip():
        raise InvalidBody("the request body is empty")
    single = media_type == JSON and body.lstrip()[:1] == b"{"
    with bulk_rows(len(body) > limits_of(request).offload_bytes):
        rows = await decode(request, len(body), codec.decode_body, media_type, body, limits_of(request))
        await _check_sampling_features(store, await decode(request, len(body), _fois, rows))
        # a JSON body (one observation or an array) is answered with the new resources, as the OpenAPI says; a SWE
        # body is a bulk load (tens of thousands of rows): its answer is the count, the rows are at the Location
        want_ids = media_type == JSON
        result = await store.insert_observations(ds_id, rows, want_ids=want_ids, idempotency_key=idempotency_key)
        await decode(request, len(body), _release, rows)
    return _inserted(ctx, ds_id, result, single)


def _inserted(ctx: LinkContext, ds_id: str, result: list[str] | int, single: bool) -> Response:
    """The answer to an observation POST: `Location` of the one new observation, the new ones, or the count."""
    if single and isinstance(result, list):
        return Response(status_code=201, headers={"Location": ctx.href(f"/observations/{result[0]}")})
    headers = {"Location": ctx.href(f"/datastreams/{ds_id}/observations")}
    if isinstance(result, list):
        return json_response({"items": [ctx.href(f"/observations/{i}") for i in result]}, JSON, 201, headers)
    return json_response({"count": result}, JSON, 201, headers)


def _release(rows: list[ObsRow]) -> None:
    """Free the rows a slice at a time (in a worker thread for a large body): two million tuples freed at once
    when the handler returns would hold the event loop for half a second."""
    while rows:
        del rows[-10_000:]


def _fois(rows: list[ObsRow]) -> list[str]:
    """The sampling features the rows name, sorted."""
    return sorted({r.foi for r in rows if r.foi})


async def check_row_features(store: StreamFeatureStore, rows: list[ObsRow]) -> None:
    """The sampling features that decoded rows name must exist (400 otherwise): for bodies decoded elsewhere."""
    await _check_sampling_features(store, _fois(rows))


async def _check_sampling_features(store: StreamFeatureStore, fois: list[str]) -> None:
    """`samplingFeature@id` (or the SWE FOI field) must name a sampling feature of this server (400 otherwise)."""
    if not fois:
        return
    page = await store.list_features(
        FeatureQuery(kind=Kind.SAMPLING_FEATURE, ids=IdList(local=tuple(fois)), limit=len(fois))
    )
    missing = sorted(set(fois) - {f.id for f in page.items})
    if missing:
        raise InvalidBody(
            f"samplingFeature@id: no sampling feature {', '.join(repr(m) for m in missing)} on this server"
        )


async def _observation(store: StreamFeatureStore, obs_id: str, ds_id: str | None) -> tuple[Any, str]:
    """An observation row and its datastream id (404 when it is not in datastream `ds_id`)."""
    row, owner = await store.get_observation(obs_id)
    if ds_id is not None and owner != ds_id:
        raise NotFound(f"observation '{obs_id}' does not belong to datastream '{ds_id}'")
    return row, owner


async def _get(
    request: Request, store: StreamFeatureStore, ctx: LinkContext, obs_id: str, ds_id: str | None, f: str | None
) -> Response:
    media_type = negotiate(request, [JSON], f)
    row, owner = await _observation(store, obs_id, ds_id)
    body = _codec_for(await _datastream(store, owner)).to_json(row)
    canonical_url = ctx.href(f"/observations/{obs_id}")
    body["links"] = [
        link(canonical_url, "self" if ds_id is None else "canonical", JSON),
        link(ctx.href(f"/datastreams/{owner}"), "datastream", JSON),
    ]
    headers = None if ds_id is None else {"Link": f'<{canonical_url}>; rel="canonical"'}
    return json_response(body, media_type, headers=headers)


async def _replace(store: StreamFeatureStore, obs_id: str, ds_id: str | None, body: Any) -> Response:
    _, owner = await _observation(store, obs_id, ds_id)
    codec = _codec_for(await _datastream(store, owner))
    if isinstance(body, list):
        raise InvalidBody("PUT takes exactly one observation")
    row = codec.from_json(body, 0)
    await _check_sampling_features(store, _fois([row]))
    await store.replace_observation(obs_id, row)
    return Response(status_code=204)


async def _patch(store: StreamFeatureStore, obs_id: str, ds_id: str | None, patch: dict[str, Any]) -> Response:
    row, owner = await _observation(store, obs_id, ds_id)
    current = _codec_for(await _datastream(store, owner)).to_json(row)
    editable = {k: v for k, v in current.items() if k not in ("id", "datastream@id")}
    return await _replace(store, obs_id, ds_id, merge_patch(editable, patch))


async def _delete(store: StreamFeatureStore, obs_id: str, ds_id: str | None) -> Response:
    await _observation(store, obs_id, ds_id)
    await store.delete_observation(obs_id)
    return Response(status_code=204)


@router.get("/observations/{id}", summary="One observation")
async def get_observation(
    request: Request, store: StreamFeatureDep, ctx: LinksDep, id: IdPath, f: FParam = None
) -> Response:
    """`GET /observations/{id}`: one observation in JSON, linked to its datastream."""
    return await _get(request, store, ctx, id, None, f)


@router.put("/observations/{id}", summary="Replace an observation", status_code=204)
async def put_observation(request: Request, store: StreamFeatureDep, id: IdPath) -> Response:
    """`PUT /observations/{id}`: replace an observation (exactly one, validated against its datastream's schema)."""
    return await _replace(store, id, None, await json_body(request))


@router.patch("/observations/{id}", summary="Update an observation (JSON merge patch)", status_code=204)
async def patch_observation(request: Request, store: StreamFeatureDep, id: IdPath) -> Response:
    """`PATCH /observations/{id}`: merge-patch an observation (id and datastream are read-only)."""
    return await _patch(store, id, None, await patch_body(request))


@router.delete("/observations/{id}", summary="Delete an observation", status_code=204)
async def delete_observation(store: StreamFeatureDep, id: IdPath) -> Response:
    """`DELETE /observations/{id}`: delete an observation; its datastream's time extents are recomputed."""
    return await _delete(store, id, None)


@router.get("/datastreams/{dataStreamId}/observations/{id}", summary="One observation of a datastream")
async def get_ds_observation(
    request: Request, store: StreamFeatureDep, ctx: LinksDep, ds_id: DsIdPath, id: IdPath, f: FParam = None
) -> Response:
    """`GET /datastreams/{dsId}/observations/{id}`: an observation of that datastream, with a `canonical` Link."""
    return await _get(request, store, ctx, id, ds_id, f)


@router.put("/datastreams/{dataStreamId}/observations/{id}", summary="Replace an observation", status_code=204)
async def put_ds_observation(request: Request, store: StreamFeatureDep, ds_id: DsIdPath, id: IdPath) -> Response:
    """`PUT /datastreams/{dsId}/observations/{id}`: replace an observation of that datastream (else 404)."""
    return await _replace(store, id, ds_id, await json_body(request))


@router.patch("/datastreams/{dataStreamId}/observations/{id}", summary="Update an observation", status_code=204)
async def patch_ds_observation(request: Request, store: StreamFeatureDep, ds_id: DsIdPath, id: IdPath) -> Response:
    """`PATCH /datastreams/{dsId}/observations/{id}`: merge-patch an observation of that datastream."""
    return await _patch(store, id, ds_id, await patch_body(request))


@router.delete("/datastreams/{dataStreamId}/observations/{id}", summary="Delete an observation", status_code=204)
async def delete_ds_observation(store: StreamFeatureDep, ds_id: DsIdPath, id: IdPath) -> Response:
    """`DELETE /datastreams/{dsId}/observations/{id}`: delete an observation of that datastream."""
    return await _delete(store, id, ds_id)
