"""`asesorbot db …` and the structured logs."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.config import environment_names
from bot.logs import JsonFormatter
from storage import migrate

ASESORBOT = Path(sys.executable).with_name("asesorbot")


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in environment_names()}
    env["DATABASE_URL"] = f"sqlite:///{cwd / 'cli.db'}"
    return subprocess.run(
        [str(ASESORBOT), *args],
        check=False,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_db_upgrade_downgrade_and_current(tmp_path: Path) -> None:
    head = migrate.revisions()[-1]
    assert run_cli("db", "current", cwd=tmp_path).stdout.strip() == "(empty)"
    upgraded = run_cli("db", "upgrade", cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    assert upgraded.stdout.strip() == head
    assert run_cli("db", "downgrade", "base", cwd=tmp_path).stdout.strip() == "(empty)"


def test_json_logs_keep_only_whitelisted_context() -> None:
    record = logging.LogRecord("asesorbot", logging.INFO, __file__, 1, "update handled", (), None)
    record.channel = "telegram"
    record.text = "NIK 3171234567890001"  # a field not on the whitelist never reaches the log
    entry = json.loads(JsonFormatter().format(record))
    assert entry["msg"] == "update handled"
    assert entry["channel"] == "telegram"
    assert entry["level"] == "info"
    assert "3171234567890001" not in json.dumps(entry)


def test_outbox_shows_counts_and_the_dead_with_their_errors(tmp_path: Path) -> None:
    assert run_cli("db", "upgrade", cwd=tmp_path).returncode == 0
    with sqlite3.connect(tmp_path / "cli.db") as db:
        db.execute(
            "INSERT INTO persons (id, locale, locale_chosen, timezone, phone_verified, created_at,"
            " updated_at) VALUES (1, 'id', 1, 'Asia/Jakarta', 0, '2026-11-25', '2026-11-25')"
        )
        for n, status in enumerate(("sent", "sent", "dead", "pending")):
            db.execute(
                "INSERT INTO outbox (person_id, kind, params, urgent, due_at, dedupe_key, status,"
                " attempts, last_error, created_at) VALUES (1, 'announcement', '{}', 0,"
                " '2026-11-25', ?, ?, 6, ?, '2026-11-25')",
                (f"k{n}", status, "502 Bad Gateway" if status == "dead" else None),
            )
    shown = run_cli("outbox", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[:3] == ["dead       1", "pending    1", "sent       2"]
    assert lines[3] == "dead #3 announcement person 1: 502 Bad Gateway"


def test_worker_without_a_channel_says_so(tmp_path: Path) -> None:
    assert run_cli("db", "upgrade", cwd=tmp_path).returncode == 0
    refused = run_cli("worker", "--until-idle", cwd=tmp_path)
    assert refused.returncode == 2
    assert "no channel to send on" in refused.stderr


def test_roles_are_granted_listed_revoked_and_audited(tmp_path: Path) -> None:
    granted = run_cli("roles", "grant", "--telegram-id", "888001", "--role", "staff", cwd=tmp_path)
    assert granted.returncode == 0, granted.stderr
    assert granted.stdout.strip() == "telegram:888001 is now staff"
    run_cli("roles", "grant", "--whatsapp", "6281234567890", "--role", "assessor", cwd=tmp_path)
    listed = run_cli("roles", "list", cwd=tmp_path).stdout.splitlines()
    assert [line.split()[:2] for line in listed] == [
        ["assessor", "whatsapp:6281234567890"],
        ["staff", "telegram:888001"],
    ]
    revoked = run_cli("roles", "revoke", "--telegram-id", "888001", "--role", "staff", cwd=tmp_path)
    assert revoked.returncode == 0
    again = run_cli("roles", "revoke", "--telegram-id", "888001", "--role", "staff", cwd=tmp_path)
    assert again.returncode == 1
    log = run_cli("audit", cwd=tmp_path).stdout.splitlines()
    assert [line.split(": ", 1)[1] for line in log] == [
        "grant_role_staff telegram:888001 allowed",
        "grant_role_assessor whatsapp:6281234567890 allowed",
        "revoke_role_staff telegram:888001 allowed",
        "revoke_role_staff telegram:888001 allowed",
    ]


def test_export_applications_as_csv_and_xlsx(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    assert run_cli("db", "upgrade", cwd=tmp_path).returncode == 0
    with sqlite3.connect(tmp_path / "cli.db") as db:
        db.execute(
            "INSERT INTO persons (id, locale, locale_chosen, timezone, phone_verified, created_at,"
            " updated_at) VALUES (1, 'id', 1, 'Asia/Jakarta', 0, '2026-11-25', '2026-11-25')"
        )
        db.execute(
            "INSERT INTO applications (id, person_id, scheme_code, state, reference, eligibility,"
            " apl01, apl02, review, assessment, decision, appeal, created_at, updated_at)"
            " VALUES (1, 1, 'AK', 'submitted', 'AK-2026-00001', '{}',"
            ' \'{"full_name": "Siti Nurhaliza", "id_number": "3273015708850002"}\','
            " '{}', '{}', '{}', '{}', '{}', '2026-11-25 03:00:00', '2026-11-25 03:00:00')"
        )
    exported = run_cli("export", "applications", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    lines = exported.stdout.splitlines()
    assert lines[0].startswith("reference,state,route,method,full_name,id_number")
    assert lines[1].startswith("AK-2026-00001,submitted,,,Siti Nurhaliza,3273015708850002")
    book = tmp_path / "out.xlsx"
    written = run_cli(
        "export", "applications", "--format", "xlsx", "--output", str(book), cwd=tmp_path
    )
    assert written.returncode == 0, written.stderr
    sheet = load_workbook(book).active
    assert sheet is not None
    assert [c.value for c in sheet[2]][:5] == [
        "AK-2026-00001",
        "submitted",
        None,
        None,
        "Siti Nurhaliza",
    ]
    log = run_cli("audit", cwd=tmp_path).stdout
    assert log.count("export_applications") == 2


def test_objects_status_verify_and_erase(tmp_path: Path) -> None:
    assert run_cli("db", "upgrade", cwd=tmp_path).returncode == 0
    with sqlite3.connect(tmp_path / "cli.db") as db:
        db.execute(
            "INSERT INTO object_deletions (object_key, requested_at, due_at, attempts)"
            " VALUES ('documents/0123456789abcdef0123456789abcdef', '2026-11-25', '2099-01-01', 3)"
        )
    status = run_cli("objects", "status", cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert status.stdout.strip() == "deletions waiting: 1"
    verified = run_cli("objects", "verify", cwd=tmp_path)
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.strip() == "documents checked: 0, newly found missing: 0"
    erased = run_cli("objects", "erase", cwd=tmp_path)  # not due for years: erased all the same
    assert erased.stdout.splitlines() == ["deleted: 1, still waiting: 0", "deletions waiting: 0"]
