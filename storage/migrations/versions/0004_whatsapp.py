"""WhatsApp: message statuses, and verified phone numbers that link a person's channels.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("persons") as batch:
        batch.add_column(
            sa.Column("phone_verified", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.create_index("ix_persons_phone", ["phone"])
    op.create_table(
        "outbound_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("platform_id", sa.String(128), nullable=False),
        sa.Column("external_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_at", UTCDateTime(), nullable=False),
        sa.Column("error", sa.String(300), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outbound_messages"),
        sa.UniqueConstraint("channel", "platform_id", name="uq_outbound_messages_channel"),
    )


def downgrade() -> None:
    op.drop_table("outbound_messages")
    with op.batch_alter_table("persons") as batch:
        batch.drop_index("ix_persons_phone")
        batch.drop_column("phone_verified")
