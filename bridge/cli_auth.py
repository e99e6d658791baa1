"""`csapi-bridge auth …` (API keys, password hashes), `csapi-bridge audit` (the audit log, from the store or from a
remote facade), and the credential `serve --demo` prints."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import re
import sys
from typing import Any

from bridge.auth_config import ApiKeyConfig, BasicUserConfig, Role
from bridge.errors import ConfigError
from bridge.settings import Settings

KEY_ID = ApiKeyConfig.model_fields["id"].metadata[0].pattern
CREDENTIAL_ENV = "BRIDGE_CREDENTIAL"  # the API key or bearer token `audit --remote` sends


def add_parsers(sub: Any, common: Any) -> None:
    """The `auth` and `audit` subcommands."""
    auth = sub.add_parser("auth", help="make API keys and password hashes for the [auth] configuration")
    actions = auth.add_subparsers(dest="action", required=True)
    key = actions.add_parser("new-key", help="a new API key (printed once) and its [[auth.api_keys]] entry")
    key.add_argument("id", help="the key's id (letters, digits, -): shown in the audit log as apikey:<id>")
    key.add_argument("--role", action="append", choices=[r.value for r in Role], required=True, help="repeatable")
    key.add_argument("--controlstream", action="append", help="limit `command` to this control stream (repeatable)")
    key.add_argument("--collection", action="append", help="... or to the systems of this collection (repeatable)")
    user = actions.add_parser("hash-password", help="an [[auth.basic_users]] entry (password read from stdin/tty)")
    user.add_argument("name")
    user.add_argument("--role", action="append", choices=[r.value for r in Role], required=True, help="repeatable")
    audit = sub.add_parser("audit", help="the audit log: commands, deletes and admin actions (newest first)")
    common(audit)
    audit.add_argument("--remote", metavar="URL", help=f"read it from a running facade (credential: ${CREDENTIAL_ENV})")
    audit.add_argument("--principal", help="only entries of this principal (e.g. apikey:ops)")
    audit.add_argument("--limit", type=int, default=50)
    audit.add_argument("--json", action="store_true", help="print as JSON")


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def cmd_auth(args: argparse.Namespace) -> int:
    """Print a new API key with its configuration entry, or a password hash entry."""
    from bridge.api.auth.passwords import hash_secret, new_api_key

    roles = _toml_list(list(dict.fromkeys(args.role)))
    if args.action == "new-key":
        if not re.fullmatch(KEY_ID, args.id):
            raise ConfigError(f"a key id is 1 to 64 letters, digits or '-' (not {args.id!r})")
        key = new_api_key(args.id)
        print(f"API key (shown once; give it to the client, keep only the hash): {key}\n")
        print(f'[[auth.api_keys]]\nid = "{args.id}"\nhash = "{hash_secret(key)}"\nroles = {roles}')
        if args.controlstream:
            print(f"controlstreams = {_toml_list(args.controlstream)}")
        if args.collection:
            print(f"collections = {_toml_list(args.collection)}")
        return 0
    password = sys.stdin.readline().rstrip("\n") if not sys.stdin.isatty() else getpass.getpass("password: ")
    if not password:
        raise ConfigError("an empty password is not accepted")
    print(f'[[auth.basic_users]]\nname = "{args.name}"\npassword_hash = "{hash_secret(password)}"\nroles = {roles}')
    return 0


def demo_credential(settings: Settings) -> str | None:
    """For `serve --demo` without configured credentials: an API key with every role, valid for this run only,
    which is also the password of the Basic user `demo` (a browser asks for it on the admin pages)."""
    from bridge.api.auth.passwords import hash_secret, new_api_key

    if settings.auth.configured or settings.auth.anonymous_writes:
        return None
    key = new_api_key("demo")
    hashed = hash_secret(key)
    settings.auth.api_keys.append(ApiKeyConfig(id="demo", hash=hashed, roles=list(Role), description="serve --demo"))
    settings.auth.basic_users.append(BasicUserConfig(name="demo", password_hash=hashed, roles=list(Role)))
    return key


def print_demo_credential(key: str, settings: Settings) -> None:
    """Tell the operator how to use the demo credential (stdout, not the log)."""
    root = settings.base_url or f"http://{settings.host}:{settings.port}"
    print(
        f"Demo credential (every role, this run only): {key}\n"
        f"  API clients: Authorization: Bearer {key}   (or {settings.auth.api_key_header}: {key})\n"
        f"  e.g. curl -H 'Authorization: Bearer {key}' {root}/audit\n"
        "  pages: paste it into the Credential field of a control stream's command form; the admin pages (/sources,\n"
        "  /audit) ask for a login: user demo, the credential as password. Anonymous clients may read.",
        flush=True,
    )


def cmd_audit(args: argparse.Namespace, settings: Settings) -> int:
    """Print the newest audit entries, from the store or from a remote facade (`--remote`)."""
    entries = _remote_audit(args) if args.remote else asyncio.run(_store_audit(args, settings))
    if args.json:
        print(json.dumps(entries, indent=2))
        return 0
    from rich.console import Console
    from rich.table import Table

    table = Table(title="audit log")
    for column in ("time", "principal", "action", "target", "status", "outcome", "request id"):
        table.add_column(column)
    for e in entries:
        table.add_row(e["time"], e["principal"], e["action"], e["target"], str(e["status"]), e["outcome"],
                      e["requestId"])  # fmt: skip
    Console().print(table)
    return 0


async def _store_audit(args: argparse.Namespace, settings: Settings) -> list[dict[str, Any]]:
    from bridge.api.routes.audit import entry_doc
    from bridge.model.audit import AuditQuery
    from bridge.store.factory import open_store

    store = await open_store(settings)
    try:
        page = await store.list_audit(AuditQuery(limit=args.limit, principal=args.principal))
    finally:
        await store.close()
    return [entry_doc(e) for e in page.items]


def _remote_audit(args: argparse.Namespace) -> list[dict[str, Any]]:
    import httpx

    credential = os.environ.get(CREDENTIAL_ENV)
    headers = {"Accept": "application/json"}
    if credential:
        headers["Authorization"] = f"Bearer {credential}"
    params: dict[str, Any] = {"limit": args.limit}
    if args.principal:
        params["principal"] = args.principal
    try:
        answer = httpx.get(args.remote.rstrip("/") + "/audit", params=params, headers=headers, timeout=30)
    except httpx.HTTPError as exc:
        raise ConfigError(f"cannot reach {args.remote}: {exc}") from None
    if answer.status_code != 200:
        detail = answer.json().get("description", "") if answer.headers.get("content-type", "").endswith("json") else ""
        hint = f" (set {CREDENTIAL_ENV} to an admin credential)" if answer.status_code in (401, 403) else ""
        raise ConfigError(f"{args.remote} answered {answer.status_code}: {detail}{hint}")
    items: list[dict[str, Any]] = answer.json()["items"]
    return items
