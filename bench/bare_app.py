"""The bare ASGI service the bridge's latencies are compared with: no framework, one route per floor, served by
uvicorn exactly as `csapi-bridge serve` is (one worker, same defaults).

- `PUT /blob` keeps a body, `GET /blob` answers it as `application/json` (a page of the same bytes as the bridge's);
- `GET /latest` runs the bare indexed latest query of `bench.floors` on the database named by `BENCH_BARE_DB`
  (`sqlite:<path>` or `pg:<schema>:<libpq url>`) and answers its rows as JSON.
Run: python -m bench.bare_app PORT
"""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

import aiosqlite
import orjson
import psycopg
import uvicorn

from bench.floors import DS, LATEST

Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]


class Bare:
    """The ASGI app (state: the kept blob and one database connection)."""

    def __init__(self, database: str) -> None:
        self.database = database
        self.blob = b"{}"
        self.conn: Any = None

    async def _latest(self) -> list[Any]:
        kind, _, where = self.database.partition(":")
        if kind == "sqlite":
            if self.conn is None:
                self.conn = await aiosqlite.connect(where)
            async with self.conn.execute(LATEST.format(p="?"), (DS, DS)) as cur:
                return list(await cur.fetchall())
        if self.conn is None:
            schema, _, url = where.partition(":")
            self.conn = await psycopg.AsyncConnection.connect(url, autocommit=True)
            await self.conn.execute(f"set search_path to {schema}")
        cur = await self.conn.execute(LATEST.format(p="%s"), (DS, DS))
        return list(await cur.fetchall())

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] == "PUT":
            chunks = []
            while True:
                message = await receive()
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    break
            self.blob = b"".join(chunks)
            body = b"{}"
        elif scope["path"] == "/latest":
            body = orjson.dumps({"items": await self._latest()})
        else:
            body = self.blob
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


if __name__ == "__main__":
    uvicorn.run(Bare(os.environ.get("BENCH_BARE_DB", "")), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
