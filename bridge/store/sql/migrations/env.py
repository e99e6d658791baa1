"""Alembic environment for developers: `alembic -c <ini> revision --autogenerate` against a scratch store.

The bridge itself never runs this file: `bridge.store.sql.migrations.upgrade` drives the revisions on the
store's own connection. Here the store URL comes from `-x url=sqlite:///scratch.db` (a store at the head
revision minus the change being written).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from bridge.store.sql.tables import metadata

url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///./csapi-bridge.db")
engine = create_engine(url)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
