"""Credentials limited to some control streams: the control stream a tasking operation acts on, and whether a
principal may task it (listed itself, or its system is a member of a listed collection)."""

from __future__ import annotations

from typing import Protocol

from bridge.api.auth.principal import Principal
from bridge.errors import NotFound
from bridge.model.csapi import Command, ControlStream, Feature, Kind
from bridge.model.query import FeatureQuery, IdList, Page
from bridge.store.base import Stream

STREAM_PARAMS = ("controlStreamId",)  # path parameters naming the control stream (`/controlstreams/{id}/commands`)


class TargetStore(Protocol):
    """The store slice target resolution reads: commands, control streams, collection membership."""

    async def get_command(self, cmd_id: str, feasibility: bool | None = None) -> Command:
        """A command (or feasibility request) by id; raises NotFound."""
        ...

    async def get_stream(self, kind: Kind, sid: str) -> Stream:
        """A control stream by id; raises NotFound."""
        ...

    async def list_features(self, query: FeatureQuery) -> Page[Feature]:
        """Part 1 resources, here: a system filtered by collection."""
        ...


async def stream_of(store: TargetStore, template: str, params: dict[str, str]) -> str | None:
    """The id of the control stream a tasking operation acts on (None: the route will answer 404)."""
    for name in STREAM_PARAMS:
        if name in params:
            return params[name]
    if template.startswith(("/commands/{id}", "/feasibility/{id}")) and "id" in params:
        try:
            return (await store.get_command(params["id"], feasibility=None)).controlstream_id
        except NotFound:  # nothing to act on: the route answers 404
            return None
    return None


async def may_task(store: TargetStore, principal: Principal, stream_id: str) -> bool:
    """Whether a principal with restrictions may task this control stream."""
    if principal.controlstreams is not None and stream_id in principal.controlstreams:
        return True
    if not principal.collections:
        return False
    try:
        stream = await store.get_stream(Kind.CONTROL_STREAM, stream_id)
    except NotFound:  # nothing to act on: the route answers 404
        return True
    if not isinstance(stream, ControlStream):
        return False
    for cid in sorted(principal.collections):
        query = FeatureQuery(kind=Kind.SYSTEM, limit=1, ids=IdList(local=(stream.system_id,)), collection=cid)
        try:
            if (await store.list_features(query)).items:
                return True
        except NotFound:  # a listed collection that does not exist grants nothing
            continue
    return False
