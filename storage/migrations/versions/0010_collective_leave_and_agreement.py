"""Cuti bersama per year as staff set them (9.9.6 working days); the holder's 9.8 agreement.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "collective_leave",
        sa.Column("year", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("days", sa.JSON(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column(
            "set_by", sa.Integer(), sa.ForeignKey("persons.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("certificates") as batch:
        batch.add_column(sa.Column("agreement", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("certificates") as batch:
        batch.drop_column("agreement")
    op.drop_table("collective_leave")
