"""The floor of the replica benchmark: a bare ASGI app answering every request with the same bytes.

`BENCH_FLOOR_BODY` names a file holding the body, `BENCH_FLOOR_TYPE` its media type. Served by the same uvicorn
as `csapi-bridge serve`, it is what the HTTP server, the event loop and the loopback cost without the bridge.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

BODY = Path(os.environ.get("BENCH_FLOOR_BODY", os.devnull)).read_bytes()
HEADERS = [
    (b"content-type", os.environ.get("BENCH_FLOOR_TYPE", "application/json").encode()),
    (b"content-length", str(len(BODY)).encode()),
]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
