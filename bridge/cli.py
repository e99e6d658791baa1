"""`csapi-bridge` command line: serve, harvest, sync, runs, audit, auth."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import sys
from collections.abc import Sequence
from typing import Any, NoReturn
from urllib.parse import urlsplit

from bridge import cli_auth
from bridge.credentials import install_log_redaction, redact
from bridge.errors import BridgeError, ConfigError
from bridge.logs import configure_logging
from bridge.resources import data_path
from bridge.settings import Settings, SourceConfig, load_settings

DEMO_HELP = (
    "demo content: replayed legacy services (SOS, STA, SPS) harvested at start-up, and the example documents of DIR "
    "(no DIR: the example set shipped with the package)"
)


class _Parser(argparse.ArgumentParser):
    """Usage errors exit with status 1 (failed), so that 2 always means a harvest that completed with errors."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(1, f"{self.prog}: error: {message}\n")


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="TOML configuration file (see config/bridge.example.toml)")
    parser.add_argument("--store", help="SQLAlchemy URL of the store (default sqlite:///./csapi-bridge.db)")


def build_parser() -> argparse.ArgumentParser:
    """The `csapi-bridge` command line: one sub-command per role (serve, harvest, sync, runs, audit, auth…)."""
    parser = _Parser(prog="csapi-bridge", description="OGC API - Connected Systems bridge")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    serve = sub.add_parser("serve", help="serve the CSAPI facade over HTTP")
    _common(serve)
    serve.add_argument("--host", help="interface to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8080)")
    serve.add_argument("--base-url", help="public URL of the API root, if behind a proxy")
    serve.add_argument("--demo", metavar="DIR", nargs="?", const=str(data_path("demo")), help=DEMO_HELP)
    serve.add_argument("--sync", action="store_true", help="also run the scheduled harvests of the config file")
    serve.add_argument(
        "--insecure-anonymous-writes-on-network",
        action="store_true",
        help="listen beyond loopback even though anonymous clients may write (auth.anonymous_roles): INSECURE",
    )
    harvest = sub.add_parser(
        "harvest",
        help="one-off harvest (migration) of a legacy service into the store",
        description="Exit status: 0 completed, 2 completed with errors (something was not read), 1 failed.",
    )
    _common(harvest)
    harvest.add_argument("--source", required=True, help="sta:URL, sos:URL, sps:URL, or a source NAME of --config")
    harvest.add_argument("--name", help="source name for a sta:/sos:/sps: URL (default: derived from the host)")
    harvest.add_argument("--since", help="harvest observations from this time (RFC 3339)")
    harvest.add_argument("--until", help="harvest observations up to this time (RFC 3339; default: now)")
    harvest.add_argument("--json", action="store_true", help="print the final report as JSON")
    sync = sub.add_parser("sync", help="scheduled incremental harvests of the sources of a config file")
    _common(sync)
    runs = sub.add_parser("runs", help="list recorded harvest runs")
    _common(runs)
    runs.add_argument("--source", help="only runs of this source")
    runs.add_argument("--limit", type=int, default=20)
    runs.add_argument("--json", action="store_true", help="print as JSON")
    migrate = sub.add_parser("migrate-store", help="create the store's schema or upgrade it to this version's")
    _common(migrate)
    cli_auth.add_parsers(sub, _common)
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(
        args.config,
        store=args.store,
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        base_url=getattr(args, "base_url", None),
    )
    configure_logging(settings.log_json)
    return settings


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the facade with uvicorn, forwarding commands and polling their status (with --sync, harvests too)."""
    import uvicorn

    from bridge.replay.demo import prepare_demo
    from bridge.server import build_app

    settings = _settings(args)
    if args.insecure_anonymous_writes_on_network:
        settings.auth.insecure_anonymous_writes_on_network = True
    demo = prepare_demo() if args.demo else None
    key = cli_auth.demo_credential(settings) if args.demo else None
    app = build_app(settings, demo_dir=args.demo, sync=args.sync, demo=demo)
    if key is not None:
        cli_auth.print_demo_credential(key, settings)
    logging_config: Any = {} if not settings.log_json else {"log_config": None}  # JSON: uvicorn logs via the root
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level, **logging_config)
    return 0


def _source(args: argparse.Namespace, settings: Settings) -> SourceConfig:
    """A source from `type:URL` or from the config file by name."""
    spec = args.source
    kind, _, url = spec.partition(":")
    if kind in ("sta", "sos", "sps") and url.startswith(("http://", "https://")):
        parts = urlsplit(url)  # the host and port name the source: never the URL's user or password
        host = f"{parts.hostname or ''}-{parts.port}" if parts.port else parts.hostname or ""
        name = args.name or re.sub(r"[^A-Za-z0-9_.-]+", "-", host).strip("-") or kind
        return SourceConfig(name=name, type=kind, url=url)
    for source in settings.sources:
        if source.name == spec:
            return source
    known = ", ".join(s.name for s in settings.sources) or "none configured"
    raise ConfigError(f"unknown source '{spec}': give sta:URL, sos:URL, sps:URL or a configured name ({known})")


def cmd_harvest(args: argparse.Namespace) -> int:
    """One-off harvest with progress and a final report; exit status 0 completed, 2 completed with errors (a
    stream, window or entity was not read), 1 failed."""
    from bridge.jobs.progress import ProgressPrinter, print_report
    from bridge.jobs.run import run_harvest
    from bridge.store.factory import open_store

    settings = _settings(args)
    source = _source(args, settings)

    async def go() -> int:
        store = await open_store(settings)
        printer = ProgressPrinter()
        try:
            report = await run_harvest(source, store, since=args.since, until=args.until, progress=printer)
        finally:
            printer.close()
            await store.close()
        if args.json:
            print(json.dumps(report.to_json(), indent=2))
        else:
            print_report(report)
        return report.exit_code

    return asyncio.run(go())


def cmd_sync(args: argparse.Namespace) -> int:
    """Scheduled harvests until interrupted."""
    from bridge.jobs.scheduler import sync_forever
    from bridge.metrics import serve_process_metrics
    from bridge.store.factory import open_store

    settings = _settings(args)
    stop_metrics = serve_process_metrics(settings.metrics_port, settings.host) if settings.metrics_port else None

    async def go() -> None:
        store = await open_store(settings)
        try:
            await sync_forever(settings, store)
        finally:
            await store.close()

    try:
        asyncio.run(go())
    finally:
        if stop_metrics is not None:
            stop_metrics()
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    """The recorded runs, newest first."""
    from rich.console import Console
    from rich.table import Table

    from bridge.jobs.run import status_exit_code
    from bridge.model.time import format_us
    from bridge.store.factory import open_store

    settings = _settings(args)

    async def go() -> list[Any]:
        store = await open_store(settings)
        try:
            return await store.list_runs(args.source, args.limit)
        finally:
            await store.close()

    records = asyncio.run(go())
    if args.json:
        print(json.dumps([r.report | {"status": r.status, "exitCode": status_exit_code(r.status)} for r in records],
                         indent=2))  # fmt: skip
        return 0
    table = Table(title="harvest runs")
    for column in ("run", "source", "started", "ended", "status", "exit", "observations", "errors"):
        table.add_column(column)
    for r in records:
        ended = format_us(r.ended) if r.ended else "-"
        code = status_exit_code(r.status)
        table.add_row(r.id, r.source, format_us(r.started), ended, r.status, "-" if code is None else str(code),
                      str(r.report.get("observations", 0)), str(len(r.report.get("errors", []))))  # fmt: skip
    Console().print(table)
    return 0


def cmd_migrate_store(args: argparse.Namespace) -> int:
    """Create or upgrade the store's schema (Alembic revisions), printing the revisions applied."""
    from bridge.store.sql.engine import create_engine, migrate_store

    settings = _settings(args)

    async def go() -> tuple[str | None, str, list[str]]:
        engine = create_engine(settings.store)
        try:
            return await migrate_store(engine)
        finally:
            await engine.dispose()

    before, head, applied = asyncio.run(go())
    if before is None:
        print(f"created a new store at schema revision {head}")
    elif applied:
        print(f"upgraded the store from schema revision {before} to {head} ({', '.join(applied)})")
    else:
        print(f"the store is at schema revision {head}: nothing to do")
    return 0


def cmd_audit(args: argparse.Namespace) -> int:
    """The newest entries of the audit log (from the store, or `--remote` from a running facade)."""
    return cli_auth.cmd_audit(args, _settings(args))


COMMANDS = {
    "serve": cmd_serve,
    "harvest": cmd_harvest,
    "sync": cmd_sync,
    "runs": cmd_runs,
    "audit": cmd_audit,
    "migrate-store": cmd_migrate_store,
    "auth": cli_auth.cmd_auth,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `csapi-bridge` console script."""
    args = build_parser().parse_args(argv)
    configure_logging(json_lines=False)
    install_log_redaction()  # source credentials never reach a log line
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # the bridge logs the revisions it applies
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)  # one line per job run is noise
    try:
        return COMMANDS[args.command](args)
    except BridgeError as exc:  # nothing could be done (configuration, store): failed
        print(f"csapi-bridge: error: {redact(exc.description)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
