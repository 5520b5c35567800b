"""Replies kept with the change they report until their channel has sent them, so a process
killed while a reply waits loses nothing (issue 14, item 4).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "kept_replies",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("external_id", sa.String(64), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("holder", sa.String(32), nullable=False),
        sa.Column("held_until", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_kept_replies_held_until", "kept_replies", ["held_until"])


def downgrade() -> None:
    op.drop_index("ix_kept_replies_held_until", table_name="kept_replies")
    op.drop_table("kept_replies")
