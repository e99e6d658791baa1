"""The floors the bridge is measured against: what a user could do with the bare driver, timed in the same run.

- insert: the same rows into a table of the same shape (columns, indexes, pragmas) — SQLite `executemany` in one
  transaction, PostgreSQL binary `COPY` through psycopg 3;
- keyset read: the same rows read back page by page on the `(ds, phenomenon_time, pk)` index, as tuples;
- latest: the indexed `max(result_time)` query and the rows at it.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.schema import CreateIndex, CreateTable

from bench.server import percentile
from bridge.model.observations import ObsRow
from bridge.model.time import to_us
from bridge.store.sql.tables import observations

DS = 1  # the datastream key of the floor rows
COLUMNS = "ds, phenomenon_time, result_time, foi, num, txt, extra, legacy_key"
READ = "pk, ds, phenomenon_time, result_time, foi, num, txt, extra"
KEYSET = (
    f"SELECT {READ} FROM observations WHERE ds = {{p}} AND (phenomenon_time, pk) > ({{p}}, {{p}}) "
    "ORDER BY phenomenon_time, pk LIMIT {limit}"
)
LATEST = (
    f"SELECT {READ} FROM observations WHERE ds = {{p}} AND result_time = "
    "(SELECT max(result_time) FROM observations WHERE ds = {p}) ORDER BY phenomenon_time, pk"
)
COPY_TYPES = ["int4", "int8", "int8", "text", "float8", "text", "text", "int8"]


def rows(start: datetime, count: int) -> list[ObsRow]:
    """The rows the benchmark's CSV bodies decode to (`time,temp`; result time = phenomenon time)."""
    out = []
    for i in range(count):
        t = to_us(start + timedelta(seconds=i))
        out.append(ObsRow(t, t, None, (i % 4000) / 100, None, None, None))
    return out


def _ddl(dialect: Any) -> list[str]:
    statements = [str(CreateTable(observations).compile(dialect=dialect))]
    return statements + [str(CreateIndex(index).compile(dialect=dialect)) for index in observations.indexes]


def _sqlite(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-65536", "temp_store=MEMORY"):
        conn.execute(f"PRAGMA {pragma}")  # the store's pragmas (bridge.store.sql.engine)
    return conn


def sqlite_insert(path: str, data: Sequence[ObsRow], batch: int) -> float:
    """Rows/s of `executemany` into a fresh table of the store's shape, one transaction per batch of rows."""
    conn = _sqlite(path)
    try:
        for statement in _ddl(sqlite.dialect()):
            conn.execute(statement)
        sql = f"INSERT INTO observations ({COLUMNS}) VALUES ({DS}, ?, ?, ?, ?, ?, ?, ?)"
        clock = time.perf_counter()
        for off in range(0, len(data), batch):
            conn.execute("BEGIN")
            conn.executemany(sql, data[off : off + batch])
            conn.execute("COMMIT")
        return len(data) / (time.perf_counter() - clock)
    finally:
        conn.close()


@contextmanager
def pg_schema(url: str) -> Iterator[str]:
    """A throw-away schema on the PostgreSQL server of `url` (a libpq URL); yields its name."""
    name = f"floor_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"create schema {name}")
    try:
        yield name
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"drop schema {name} cascade")


def _pg(url: str, schema: str) -> psycopg.Connection[Any]:
    conn = psycopg.connect(url, autocommit=True)
    conn.execute(f"set search_path to {schema}")
    return conn


def pg_copy(url: str, schema: str, data: Sequence[ObsRow], batch: int) -> float:
    """Rows/s of binary COPY into a fresh table of the store's shape, one transaction per batch, then ANALYZE."""
    with _pg(url, schema) as conn:
        for statement in _ddl(postgresql.dialect()):
            conn.execute(statement)
        clock = time.perf_counter()
        for off in range(0, len(data), batch):
            statement = f"COPY observations ({COLUMNS}) FROM STDIN (FORMAT BINARY)"
            with conn.transaction(), conn.cursor() as cur, cur.copy(statement) as copy:
                copy.set_types(COPY_TYPES)
                for row in data[off : off + batch]:
                    copy.write_row((DS, *row))
        rate = len(data) / (time.perf_counter() - clock)
        conn.execute("ANALYZE observations")
        return rate


def _walk(fetch: Any, page: int) -> int:
    """Read every row of the floor datastream through keyset pages of `page` rows; returns the count."""
    total, after = 0, (-(2**62), 0)
    while True:
        got = fetch(after, page + 1)
        total += min(len(got), page)
        if len(got) <= page:
            return total
        last = got[page - 1]
        after = (last[2], last[0])


def sqlite_keyset(path: str, page: int) -> tuple[float, int]:
    """(rows/s, rows) of a keyset walk of the floor table, `limit + 1` rows per page, fetched as tuples."""
    conn = _sqlite(path)
    try:

        def fetch(after: tuple[int, int], limit: int) -> list[Any]:
            return conn.execute(KEYSET.format(p="?", limit=limit), (DS, *after)).fetchall()

        clock = time.perf_counter()
        total = _walk(fetch, page)
        return total / (time.perf_counter() - clock), total
    finally:
        conn.close()


def pg_keyset(url: str, schema: str, page: int) -> tuple[float, int]:
    """(rows/s, rows) of a keyset walk of the floor table on PostgreSQL (binary results, as the store reads)."""
    with _pg(url, schema) as conn:

        def fetch(after: tuple[int, int], limit: int) -> list[Any]:
            with conn.cursor(binary=True) as cur:
                return cur.execute(KEYSET.format(p="%s", limit=limit), (DS, *after)).fetchall()

        clock = time.perf_counter()
        total = _walk(fetch, page)
        return total / (time.perf_counter() - clock), total


def _latency(run: Any, n: int) -> tuple[float, float]:
    times = []
    for _ in range(n):
        clock = time.perf_counter()
        run()
        times.append((time.perf_counter() - clock) * 1000)
    return sorted(times)[len(times) // 2], percentile(times, 99)


def sqlite_latest(path: str, n: int) -> tuple[float, float]:
    """(median, p99) ms of the bare indexed latest query on the floor table."""
    conn = _sqlite(path)
    try:
        return _latency(lambda: conn.execute(LATEST.format(p="?"), (DS, DS)).fetchall(), n)
    finally:
        conn.close()


def pg_latest(url: str, schema: str, n: int) -> tuple[float, float]:
    """(median, p99) ms of the bare indexed latest query on the floor table (PostgreSQL)."""
    with _pg(url, schema) as conn:
        return _latency(lambda: conn.execute(LATEST.format(p="%s"), (DS, DS)).fetchall(), n)


START = datetime(2020, 1, 1, tzinfo=UTC)
