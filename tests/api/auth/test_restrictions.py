"""Credentials limited to some control streams, or to the control streams of the systems of a collection (the
cameras of one site): they task those and nothing else, whatever path names the command."""

from __future__ import annotations

import httpx

from bridge.api.app import create_app
from bridge.api.auth.passwords import hash_secret, new_api_key
from bridge.auth_config import ApiKeyConfig, AuthSettings, Role
from bridge.model.csapi import Kind
from bridge.settings import Settings
from bridge.store.base import Collection
from bridge.store.sql.store import SqlStore
from tests.api.auth.support import BASE, PTZ, auth_settings, bearer, ptz_stream


def limited(key_id: str, **limits: list[str]) -> tuple[dict[str, str], ApiKeyConfig]:
    key = new_api_key(key_id)
    config = ApiKeyConfig(id=key_id, hash=hash_secret(key), roles=[Role.READ, Role.COMMAND], **limits)
    return {"Authorization": f"Bearer {key}"}, config


def client_of(store: SqlStore, auth: AuthSettings) -> httpx.AsyncClient:
    app = create_app(Settings(store="sqlite:///:memory:", base_url=BASE, auth=auth), store)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)


async def test_a_key_limited_to_control_streams_or_to_a_collection() -> None:
    base = auth_settings()
    store = await SqlStore.open("sqlite:///:memory:")
    async with client_of(store, base) as setup:
        a = await ptz_stream(setup, bearer("all"), "urn:x-site:cam-a")
        b = await ptz_stream(setup, bearer("all"), "urn:x-site:cam-b")
    stream_headers, stream_key = limited("cam-a-only", controlstreams=[a])
    site_headers, site_key = limited("site-a", collections=["site-a-cameras"])
    auth = base.model_copy(update={"api_keys": [*base.api_keys, stream_key, site_key]})
    async with client_of(store, auth) as client:
        system_a = (await store.get_stream(Kind.CONTROL_STREAM, a)).system_id
        await store.ensure_collection(Collection("site-a-cameras", Kind.SYSTEM, "Cameras of site A"))
        r = await client.post("/collections/site-a-cameras/items", json=[f"/systems/{system_a}"], headers=bearer("all"))
        assert r.status_code == 204, r.text
        for headers in (stream_headers, site_headers):
            ok = await client.post(f"/controlstreams/{a}/commands", json={"parameters": PTZ}, headers=headers)
            assert ok.status_code == 201, ok.text
            command = ok.headers["location"].removeprefix("http://testserver")
            refused = await client.post(f"/controlstreams/{b}/commands", json={"parameters": PTZ}, headers=headers)
            assert refused.status_code == 403 and b in refused.json()["description"]
            assert (await client.delete(command, headers=headers)).status_code == 204  # cancel: its stream is a
        other = await client.post(f"/controlstreams/{b}/commands", json={"parameters": PTZ}, headers=bearer("all"))
        other_cmd = other.headers["location"].removeprefix("http://testserver")
        for headers in (stream_headers, site_headers):
            assert (await client.delete(other_cmd, headers=headers)).status_code == 403  # found through the command
            assert (await client.get(other_cmd, headers=headers)).status_code == 200  # reading is not limited
            r = await client.post(f"{other_cmd}/status", json={"statusCode": "CANCELED"}, headers=headers)
            assert r.status_code == 403
    await store.close()
