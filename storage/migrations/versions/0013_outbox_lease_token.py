"""The outbox's lease as a token, and how many parts of a long message went out.

A worker's claim writes a fresh ``lease_token``; renewing a lease moves only ``lease_until``, so
a worker recording its results after a database outage still finds its rows (issue 14).
``parts_sent``: a message split in parts that was interrupted resumes after the last part sent,
never sending one twice.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("lease_token", sa.String(32)))
        batch.add_column(
            sa.Column("parts_sent", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("parts_sent")
        batch.drop_column("lease_token")
