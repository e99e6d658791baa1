"""`csapi-bridge` command line: serve, harvest, sync, runs."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from bridge.errors import BridgeError
from bridge.settings import Settings, load_settings


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="TOML configuration file (see config/bridge.example.toml)")
    parser.add_argument("--store", help="SQLAlchemy URL of the store (default sqlite:///./csapi-bridge.db)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="csapi-bridge", description="OGC API - Connected Systems bridge")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the CSAPI facade over HTTP")
    _common(serve)
    serve.add_argument("--host", help="interface to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8080)")
    serve.add_argument("--base-url", help="public URL of the API root, if behind a proxy")
    serve.add_argument("--demo", metavar="DIR", help="load the demo documents of DIR at startup")
    return parser


def _settings(args: argparse.Namespace) -> Settings:
    return load_settings(
        args.config,
        store=args.store,
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        base_url=getattr(args, "base_url", None),
    )


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the facade with uvicorn."""
    import uvicorn

    from bridge.api.app import create_app

    settings = _settings(args)
    app = create_app(settings, demo_dir=args.demo)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level)
    return 0


COMMANDS = {"serve": cmd_serve}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `csapi-bridge` console script."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return COMMANDS[args.command](args)
    except BridgeError as exc:
        print(f"csapi-bridge: error: {exc.description}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
