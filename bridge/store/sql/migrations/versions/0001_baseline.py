"""Baseline: the schema of the stores made before migrations existed (commit 41b52eb, `bridge_meta` version 1).

Revision ID: 0001
Revises:
"""

from __future__ import annotations

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to do: a store reaches the baseline by being created (fresh stores are created from
    `tables.metadata` at the newest revision and stamped, never built revision by revision)."""


def downgrade() -> None:
    """Not supported: restore the store's backup instead."""
    raise NotImplementedError("csapi-bridge store migrations are forward-only")
