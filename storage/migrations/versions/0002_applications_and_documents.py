"""Applications (APL-01, APL-02, state) and their uploaded documents.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("scheme_code", sa.String(64), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("route", sa.String(32), nullable=True),
        sa.Column("method", sa.String(32), nullable=True),
        sa.Column("reference", sa.String(32), nullable=True),
        sa.Column("eligibility", sa.JSON(), nullable=False),
        sa.Column("apl01", sa.JSON(), nullable=False),
        sa.Column("apl02", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["persons.id"],
            name=op.f("fk_applications_person_id_persons"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
        sa.UniqueConstraint("reference", name=op.f("uq_applications_reference")),
    )
    op.create_index(op.f("ix_applications_person_id"), "applications", ["person_id"])
    op.create_index(op.f("ix_applications_state"), "applications", ["state"])
    op.create_index(op.f("ix_applications_updated_at"), "applications", ["updated_at"])
    op.create_table(
        "documents",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.String(64), nullable=False),
        sa.Column("object_key", sa.String(128), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("mime_type", sa.String(64), nullable=False),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_documents_application_id_applications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("application_id", "sha256", name=op.f("uq_documents_application_id")),
        sa.UniqueConstraint("object_key", name=op.f("uq_documents_object_key")),
    )
    op.create_index(op.f("ix_documents_application_id"), "documents", ["application_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_documents_application_id"), table_name="documents")
    op.drop_table("documents")
    op.drop_index(op.f("ix_applications_updated_at"), table_name="applications")
    op.drop_index(op.f("ix_applications_state"), table_name="applications")
    op.drop_index(op.f("ix_applications_person_id"), table_name="applications")
    op.drop_table("applications")
