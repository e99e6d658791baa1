"""The audit log: commands submitted, updated and cancelled, deletes and admin actions, with principal, time,
target, request id and outcome; readable by `admin` through `/audit` (JSON and page) and the CLI."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from bridge.api.auth.passwords import hash_secret
from bridge.auth_config import AuthSettings, BasicUserConfig, Role
from bridge.model.audit import AuditQuery
from bridge.store.sql.store import SqlStore
from tests.api.auth.support import PTZ, auth_settings, bearer, ptz_stream
from tests.loopback import free_port, serve

Pair = tuple[httpx.AsyncClient, SqlStore]


async def _entries(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    r = await client.get("/audit", params=params, headers=bearer("only-admin"))
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()["items"]
    return items


async def test_commands_deletes_and_admin_actions_are_recorded(secured: Pair) -> None:
    client, _ = secured
    cs = await ptz_stream(client, bearer("all"))
    r = await client.post(f"/controlstreams/{cs}/commands", json={"parameters": PTZ},
                          headers={**bearer("only-command"), "X-Request-ID": "req-submit-1"})  # fmt: skip
    assert r.status_code == 201, r.text
    command = r.headers["location"].removeprefix("http://testserver")
    assert (
        await client.patch(command, json={"parameters": {**PTZ, "zoom": 4}}, headers=bearer("only-command"))
    ).status_code < 300
    assert (await client.delete(command, headers=bearer("only-command"))).status_code == 204
    assert (await client.delete(f"/controlstreams/{cs}", headers=bearer("only-command"))).status_code == 403
    assert (await client.delete(f"/controlstreams/{cs}?cascade=true", headers=bearer("only-delete"))).status_code == 204
    assert (await client.get("/sources", headers=bearer("only-admin"))).status_code == 200
    assert (await client.get("/systems", headers=bearer("all"))).status_code == 200  # reads are not audited
    entries = list(reversed(await _entries(client)))
    seen = [(e["principal"], e["action"], e["status"], e["outcome"]) for e in entries]
    assert seen == [
        ("apikey:only-command", "POST /controlstreams/{controlStreamId}/commands", 201, "success"),
        ("apikey:only-command", "PATCH /commands/{id}", entries[1]["status"], "success"),
        ("apikey:only-command", "DELETE /commands/{id}", 204, "success"),
        ("apikey:only-command", "DELETE /controlstreams/{id}", 403, "refused"),
        ("apikey:only-delete", "DELETE /controlstreams/{id}", 204, "success"),
        ("apikey:only-admin", "GET /sources", 200, "success"),
    ]
    submit = entries[0]
    assert submit["requestId"] == "req-submit-1" and submit["target"] == f"/controlstreams/{cs}/commands"
    assert submit["resource"] == "http://testserver" + command and submit["role"] == "command"
    assert submit["time"].endswith("Z")
    assert entries[4]["target"] == f"/controlstreams/{cs}?cascade=true"


async def test_refusals_are_recorded_and_request_ids_match_the_answers(secured: Pair) -> None:
    client, _ = secured
    anonymous = await client.delete("/systems/abc")
    bad = await client.delete("/systems/abc", headers={"Authorization": "Bearer csb_x_y"})
    reader = await client.delete("/systems/abc", headers=bearer("reader"))
    entries = {e["requestId"]: e for e in await _entries(client)}
    assert entries[anonymous.headers["x-request-id"]]["principal"] == "anonymous"
    assert entries[anonymous.headers["x-request-id"]]["status"] == 401
    assert entries[bad.headers["x-request-id"]]["principal"] == "unauthenticated"
    assert entries[reader.headers["x-request-id"]] | {"id": "", "time": ""} == {
        "id": "", "time": "", "principal": "apikey:reader", "action": "DELETE /systems/{id}", "target": "/systems/abc",
        "role": "delete", "requestId": reader.headers["x-request-id"], "status": 403, "outcome": "refused",
    }  # fmt: skip


async def test_the_audit_log_needs_admin_and_pages(secured: Pair) -> None:
    client, store = secured
    assert (await client.get("/audit")).status_code == 401
    assert (await client.get("/audit", headers=bearer("but-admin"))).status_code == 403
    for n in range(5):
        await client.delete(f"/systems/s{n}", headers=bearer("only-delete"))
    r = await client.get("/audit", params={"limit": 2, "principal": "apikey:only-delete"}, headers=bearer("only-admin"))
    page = r.json()
    assert [e["target"] for e in page["items"]] == ["/systems/s4", "/systems/s3"]
    following = next(link["href"] for link in page["links"] if link["rel"] == "next")
    r = await client.get(following.removeprefix("http://testserver"), headers=bearer("only-admin"))
    assert [e["target"] for e in r.json()["items"]] == ["/systems/s2", "/systems/s1"]
    assert len((await store.list_audit(AuditQuery(outcome="failed"))).items) == 5  # 404s: the deletes failed
    html = await client.get("/audit", headers={**bearer("only-admin"), "Accept": "text/html"})
    assert html.status_code == 200 and "Audit log" in html.text and "apikey:only-delete" in html.text
    r = await client.get("/audit", params={"datetime": "2000-01-01T00:00:00Z/2000-01-02T00:00:00Z"},
                         headers=bearer("only-admin"))  # fmt: skip
    assert r.json()["items"] == []


def test_the_cli_reads_the_audit_log_from_the_store(
    tmp_path: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from bridge.api.app import create_app
    from bridge.cli import main
    from bridge.settings import Settings

    db = f"sqlite:///{tmp_path / 'audit.db'}"

    async def delete_something() -> None:
        store = await SqlStore.open(db)
        app = create_app(Settings(store=db, base_url="http://testserver", auth=auth_settings()), store)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            await client.delete("/systems/gone", headers=bearer("only-delete"))
        await store.close()

    asyncio.run(delete_something())
    assert main(["audit", "--store", db, "--json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["principal"] == "apikey:only-delete" and entry["action"] == "DELETE /systems/{id}"
    monkeypatch.setenv("COLUMNS", "200")  # the table's width
    assert main(["audit", "--store", db]) == 0
    assert "apikey:only-delete" in capsys.readouterr().out


def test_the_cli_reads_the_audit_log_of_a_remote_facade(
    tmp_path: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI's one admin action against a remote facade goes through the same access rules."""
    from bridge.api.app import create_app
    from bridge.cli import main
    from bridge.settings import Settings

    admin = BasicUserConfig(name="ops", password_hash=hash_secret("pw-ops-123"), roles=[Role.ADMIN])
    auth = AuthSettings(api_keys=auth_settings().api_keys, basic_users=[admin])
    app = create_app(Settings(store=f"sqlite:///{tmp_path / 'remote.db'}", auth=auth))
    sock, port = free_port()
    served = serve(app, sock, "remote facade", lifespan="on")
    try:
        url = f"http://127.0.0.1:{port}"
        assert main(["audit", "--remote", url, "--json"]) == 1  # no credential: the command failed
        assert "BRIDGE_CREDENTIAL" in capsys.readouterr().err
        monkeypatch.setenv("BRIDGE_CREDENTIAL", bearer("only-admin")["Authorization"].removeprefix("Bearer "))
        assert main(["audit", "--remote", url, "--json"]) == 0
        (refused,) = json.loads(capsys.readouterr().out)
        assert (refused["principal"], refused["status"], refused["action"]) == ("anonymous", 401, "GET /audit")
        assert main(["audit", "--remote", url, "--json"]) == 0
        assert json.loads(capsys.readouterr().out)[0]["principal"] == "apikey:only-admin"  # its own reads are audited
    finally:
        served.stop()
