"""Freezing, revoking and surveillance of certificates; the certificate a renewal renews.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("certificates") as batch:
        batch.add_column(sa.Column("reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("surveillance", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("renews", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.drop_column("renews")
    with op.batch_alter_table("certificates") as batch:
        batch.drop_column("surveillance")
        batch.drop_column("reason")
