"""Durable deletions: an object whose bytes must leave the store is queued in the transaction
that stops using it and retried until the store has deleted it (issue 14, item 5).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "object_deletions",
        sa.Column("object_key", sa.String(128), primary_key=True),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text()),
    )
    op.create_index("ix_object_deletions_due_at", "object_deletions", ["due_at"])


def downgrade() -> None:
    op.drop_index("ix_object_deletions_due_at", table_name="object_deletions")
    op.drop_table("object_deletions")
