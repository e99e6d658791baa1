"""The outbox of committed changes that the MQTT publisher drains (`[mqtt] enabled`).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create `live_outbox` (keys never reused on SQLite: the publisher's stored position stays valid)."""
    if sa.inspect(op.get_bind()).has_table("live_outbox"):
        return
    op.create_table(
        "live_outbox",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("ref", sa.String(80), nullable=False),
        sa.Column("lo", sa.BigInteger()),
        sa.Column("hi", sa.BigInteger()),
        sa.Column("doc", sa.Text()),
        sa.Column("created", sa.BigInteger(), nullable=False),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    """Not supported: restore the store's backup instead."""
    raise NotImplementedError("csapi-bridge store migrations are forward-only")
