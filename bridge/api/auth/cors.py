"""CORS for browser applications of other origins (off unless `cors.origins` lists some): Starlette's middleware,
outermost, answers preflights and labels answers; no credentials mode (there are no cookies to send)."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from bridge.settings import Settings

EXPOSED = ["Location", "Link", "WWW-Authenticate", "X-Request-ID", "Content-Type", "Retry-After"]


def install_cors(app: FastAPI, settings: Settings) -> None:
    """Answer CORS preflights and label answers for the configured origins, methods and headers."""
    cors = settings.cors
    if not cors.origins:
        return
    headers = list(dict.fromkeys([*cors.headers, settings.auth.api_key_header]))
    app.add_middleware(
        CORSMiddleware,
        allow_origins=cors.origins,
        allow_methods=cors.methods,
        allow_headers=headers,
        expose_headers=EXPOSED,
        max_age=cors.max_age,
        allow_credentials=False,
    )
