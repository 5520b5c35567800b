"""APL-02 answers per element (FR.APL.02) instead of per KUK.

An element is K when every KUK of it that was answered is K, else BK; the evidence of its KUK
goes together. A draft (or an application sent back for fixes) that had answers per KUK is
marked ``_from_kuk``: the bot tells the candidate and asks the elements that are new. The
conversion is self-contained (it does not import the bot's code, which may change later).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

applications = sa.table(
    "applications", sa.column("id", sa.Integer), sa.column("state", sa.String),
    sa.column("apl02", sa.JSON),
)  # fmt: skip
OPEN_STATES = ("draft", "needs_fix")


def _element(ref: str) -> str | None:
    unit, _, number = ref.rpartition("/")
    element, dot, _ = number.partition(".")
    return f"{unit}/{element}" if unit and dot and element.isdigit() else None


def per_element(answers: dict[str, Any]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for ref, value in answers.items():
        element = _element(ref)
        if element is None:
            merged[ref] = value
            continue
        if not isinstance(value, dict) or value.get("verdict") not in ("K", "BK"):
            continue
        entry = merged.setdefault(element, {"verdict": "K", "evidence": []})
        if value["verdict"] != "K":
            entry["verdict"] = "BK"
        for document in value.get("evidence") or []:
            if document not in entry["evidence"]:
                entry["evidence"].append(document)
    return merged


def upgrade() -> None:
    connection = op.get_bind()
    for row in connection.execute(sa.select(applications)).mappings():
        answers = dict(row["apl02"] or {})
        if not any(_element(ref) for ref in answers):
            continue
        converted = per_element(answers)
        if row["state"] in OPEN_STATES:
            converted["_from_kuk"] = True
        connection.execute(
            applications.update().where(applications.c.id == row["id"]).values(apl02=converted)
        )


def downgrade() -> None:
    """Per-KUK answers cannot be recovered from per-element ones: the element answers stay
    (the older bot asks the KUK again)."""
