"""The `Store` protocol the API and the run engine talk to; backends implement it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from bridge.model.csapi import Feature, Kind
from bridge.model.query import FeatureQuery, Page


class Outcome(StrEnum):
    """What an idempotent upsert did."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(slots=True)
class Collection:
    """A collection of resources of one kind; `builtin` ones alias the canonical endpoint."""

    id: str
    kind: Kind
    title: str
    description: str | None = None
    builtin: bool = False


class Store(Protocol):
    """Persistence used by the HTTP facade (Part 1 part; Part 2 adds streams and observations)."""

    async def list_features(self, query: FeatureQuery) -> Page[Feature]:
        """Resources endpoints: `GET /systems`, nested lists, `/collections/{id}/items`."""
        ...

    async def get_feature(self, kind: Kind, rid: str) -> Feature:
        """`GET /{kind}/{id}`; raises NotFound."""
        ...

    async def find_feature_uid(self, kind: Kind, uid: str) -> str | None:
        """Local id of the resource with `uid`, if any."""
        ...

    async def create_feature(self, feature: Feature, collection: str | None = None) -> Feature:
        """`POST` a new resource (409 on a duplicate UID); optionally also into a custom collection."""
        ...

    async def replace_feature(self, feature: Feature) -> None:
        """`PUT /{kind}/{id}`."""
        ...

    async def delete_feature(self, kind: Kind, rid: str, cascade: bool) -> None:
        """`DELETE /{kind}/{id}[?cascade=true]` (409 when dependents exist without cascade)."""
        ...

    async def list_collections(self) -> list[Collection]:
        """Built-in and custom collections (`GET /collections`)."""
        ...

    async def get_collection(self, cid: str) -> Collection:
        """One collection; raises NotFound."""
        ...

    async def add_to_collection(self, cid: str, kind: Kind, ids: list[str]) -> None:
        """Add existing resources to a custom collection by reference (Req 71)."""
        ...

    async def remove_from_collection(self, cid: str, rid: str) -> None:
        """Remove a resource from a custom collection without deleting it (Req 70B)."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
