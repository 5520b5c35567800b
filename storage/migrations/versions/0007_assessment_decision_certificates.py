"""Assessment, decision and appeal of an application; certificates.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

PARTS = ("assessment", "decision", "appeal")


def upgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        for part in PARTS:
            batch.add_column(sa.Column(part, sa.JSON(), nullable=False, server_default="{}"))
    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(64), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name="fk_certificates_application_id_applications",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name="fk_certificates_person_id_persons",
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_certificates"),
        sa.UniqueConstraint("number", name="uq_certificates_number"),
    )
    op.create_index("ix_certificates_application_id", "certificates", ["application_id"])
    op.create_index("ix_certificates_person_id", "certificates", ["person_id"])
    op.create_index("ix_certificates_expires_on", "certificates", ["expires_on"])


def downgrade() -> None:
    op.drop_table("certificates")
    with op.batch_alter_table("applications") as batch:
        for part in PARTS:
            batch.drop_column(part)
