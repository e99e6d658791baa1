"""Helpers for harvest tests: read a whole store back through the public API of the facade."""

from __future__ import annotations

from typing import Any

import httpx

from bridge.api.app import create_app
from bridge.settings import Settings
from bridge.store.sql.store import SqlStore
from tests.open_access import OPEN


async def walk(client: httpx.AsyncClient, url: str, key: str) -> list[dict[str, Any]]:
    """Every item of a listing, following `next` links."""
    items: list[dict[str, Any]] = []
    next_url: str | None = url
    while next_url:
        page = (await client.get(next_url)).json()
        items += page[key]
        next_url = next((link["href"] for link in page.get("links", []) if link["rel"] == "next"), None)
    return items


async def snapshot(store: SqlStore) -> dict[str, Any]:
    """What a CSAPI client sees of the store: resources by UID and every observation (bookkeeping excluded)."""
    app = create_app(Settings(auth=OPEN, store="sqlite:///:memory:", base_url="http://bridge"), store)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bridge") as client:
        out: dict[str, Any] = {}
        for path, key in (
            ("/systems?recursive=true&limit=1000", "features"),
            ("/procedures?limit=1000", "features"),
            ("/samplingFeatures?limit=1000", "features"),
            ("/properties?limit=1000", "items"),
        ):
            items = await walk(client, path, key)
            out[path] = sorted(_strip(i) for i in items)
        streams = await walk(client, "/datastreams?limit=1000", "items")
        out["datastreams"] = sorted(_strip(s) for s in streams)
        observations = []
        for ds in streams:
            rows = await walk(client, f"/datastreams/{ds['id']}/observations?limit=10000", "items")
            observations += [(ds["name"], o["phenomenonTime"], o["resultTime"], repr(o.get("result")),
                              o.get("samplingFeature@id")) for o in rows]  # fmt: skip
        out["observations"] = sorted(observations)
        out["observation_count"] = len(observations)
        return out


def _strip(item: dict[str, Any]) -> str:
    """A stable text form of a resource without volatile members (links carry no run-specific data)."""
    clean = {k: v for k, v in item.items() if k not in ("links",)}
    import json

    return json.dumps(clean, sort_keys=True)
