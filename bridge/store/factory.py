"""Open the configured store backend."""

from __future__ import annotations

from bridge.model.csapi import Kind
from bridge.settings import Settings
from bridge.store.base import Collection
from bridge.store.sql.store import SqlStore


async def open_store(settings: Settings) -> SqlStore:
    """Connect to `settings.store` (SQLite or PostgreSQL) and create configured custom collections."""
    store = await SqlStore.open(settings.store, migrate=settings.migrate_on_start)
    for coll in settings.collections:
        await store.ensure_collection(Collection(coll.id, Kind(coll.kind), coll.title, coll.description))
    return store
