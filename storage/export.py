"""``asesorbot export applications``: the LSP's own records, as CSV or an Excel workbook."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import ApplicationRow, AuditRow, CertificateRow, utcnow

COLUMNS = (
    "reference", "state", "route", "method", "full_name", "id_number", "email", "mobile",
    "created_at", "submitted_at", "decision", "decision_record", "certificate", "expires_on",
)  # fmt: skip


async def application_rows(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    async with engine.connect() as connection:
        certificates = {
            row.application_id: row
            for row in await connection.execute(
                select(
                    CertificateRow.application_id, CertificateRow.number, CertificateRow.expires_on
                )
            )
        }
        applications = await connection.execute(
            select(ApplicationRow.__table__).order_by(ApplicationRow.id)
        )
        rows = []
        for a in applications:
            apl01, decision = a.apl01 or {}, a.decision or {}
            certificate = certificates.get(a.id)
            rows.append(
                (
                    a.reference or "", a.state, a.route or "", a.method or "",
                    apl01.get("full_name", ""), apl01.get("id_number", ""),
                    apl01.get("email", ""), apl01.get("mobile", ""),
                    a.created_at.isoformat(), a.submitted_at.isoformat() if a.submitted_at else "",
                    decision.get("result", ""), decision.get("record", ""),
                    certificate.number if certificate else "",
                    certificate.expires_on.isoformat() if certificate else "",
                )
            )  # fmt: skip
        return rows


def as_csv(rows: Sequence[tuple[Any, ...]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(row)
    yield buffer.getvalue()


def as_xlsx(rows: Sequence[tuple[Any, ...]], path: Path) -> None:
    from openpyxl import Workbook  # type: ignore[import-untyped]

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("applications")
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)


async def record_export(engine: AsyncEngine, by: str, count: int, fmt: str) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            insert(AuditRow).values(
                at=utcnow(), person_id=None, channel="cli", action="export_applications",
                target=fmt, allowed=True, details={"by": by, "rows": count},
            )
        )  # fmt: skip
