"""Staff's queue read in index order: the longest waiting applications of each state without
sorting every waiting one (issue 15: ``/antrian`` at 200,000 applications).

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-03
"""

from __future__ import annotations

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_applications_state_submitted", "applications", ["state", "submitted_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_applications_state_submitted", table_name="applications")
