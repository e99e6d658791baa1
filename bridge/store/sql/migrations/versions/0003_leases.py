"""Leases of the jobs that must run once in a fleet (scheduled harvests, a command's submission and polling).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create `leases` (holder, fencing token, expiry, next due time per job name)."""
    if sa.inspect(op.get_bind()).has_table("leases"):
        return
    op.create_table(
        "leases",
        sa.Column("name", sa.String(300), primary_key=True),
        sa.Column("holder", sa.String(200)),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.Column("expires", sa.BigInteger(), nullable=False),
        sa.Column("due", sa.BigInteger()),
    )


def downgrade() -> None:
    """Not supported: restore the store's backup instead."""
    raise NotImplementedError("csapi-bridge store migrations are forward-only")
