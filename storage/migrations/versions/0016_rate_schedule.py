"""One rate budget per bot and per WhatsApp number, shared by every process: the next free
send slot of each account (issue 14, item 3).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_schedule",
        sa.Column("account", sa.String(100), primary_key=True),
        sa.Column("next_slot", sa.Double(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rate_schedule")
