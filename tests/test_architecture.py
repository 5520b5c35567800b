"""The layers and what each may import: the scheme and the domain know nothing of ours but the
scheme, the use cases only those two, and nothing but ``storage/`` and ``bot/`` touches a
messenger, HTTP or a database."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from domain.schedule import Topic
from handlers.staff.common import PREFIX

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "aiogram",
    "pywa",
    "pywa_async",
    "telegram",
    "sqlalchemy",
    "alembic",
    "asyncpg",
    "aiosqlite",
    "boto3",
    "botocore",
    "aiohttp",
    "httpx",
    "requests",
    "urllib3",
    "bot",
    "storage",
    "locales",
}


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", ["domain", "usecases", "handlers", "scheme"])
def test_package_imports_no_transport_or_database(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_roots(path) & FORBIDDEN) for path in files
    }
    assert {f: bad for f, bad in offenders.items() if bad} == {}


OURS = {"scheme", "domain", "usecases", "handlers", "storage", "bot", "locales", "tests", "bench"}
MAY_IMPORT = {
    "scheme": {"scheme"},
    "domain": {"scheme", "domain"},
    "usecases": {"scheme", "domain", "usecases"},
}


@pytest.mark.parametrize("package", sorted(MAY_IMPORT))
def test_inner_layers_import_only_what_is_inside_them(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files
    offenders = {
        str(path.relative_to(ROOT)): sorted((imported_roots(path) & OURS) - MAY_IMPORT[package])
        for path in files
    }
    assert {f: bad for f, bad in offenders.items() if bad} == {}


ENGINE = {"conversation.py", "messages.py", "flow.py", "__init__.py"}
"""The generic engine at the top of ``handlers/``, which keeps the person's language and zone
itself; the chat features are in a package per audience."""
AUDIENCES = {"common", "candidate", "holder", "staff", "assessor", "admin"}
PRIVILEGED = {"staff", "assessor", "admin"}
READS = {
    "get", "current", "documents", "of", "of_person", "assigned_to", "applicant_name",
    "people_with", "years", "reach", "in_states", "queue", "count_by_state", "appeal_counts",
    "with_verified_phone", "identities", "by_identity", "expiring",
}  # fmt: skip
"""What a feature may read through the unit of work to render a screen; everything it changes
goes through a use case, which checks access and audits (a new read is added here)."""


def uow_calls(path: Path) -> list[str]:
    """``<anything>.uow.<repository>.<method>(...)`` calls in a module, as ``repository.method``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        repository = node.func.value
        if (
            isinstance(repository, ast.Attribute)
            and isinstance(repository.value, ast.Attribute)
            and repository.value.attr == "uow"
        ):
            found.append(f"{repository.attr}.{node.func.attr}")
    return found


def test_chat_features_change_nothing_but_through_a_use_case() -> None:
    features = sorted(p for a in AUDIENCES for p in (ROOT / "handlers" / a).rglob("*.py"))
    assert len(features) > 20
    writes = {
        str(path.relative_to(ROOT)): [c for c in uow_calls(path) if c.split(".")[1] not in READS]
        for path in features
    }
    assert {f: calls for f, calls in writes.items() if calls} == {}
    assert any(uow_calls(path) for path in features)  # the scan sees the reads it allows


def test_the_scan_sees_a_write() -> None:
    sample = ROOT / "handlers" / "conversation.py"  # the engine writes the person's language
    assert "people.set_locale" in uow_calls(sample)


def test_handlers_hold_the_engine_and_a_package_per_audience() -> None:
    top = ROOT / "handlers"
    assert {p.name for p in top.glob("*.py")} == ENGINE
    assert {p.name for p in top.iterdir() if p.is_dir() and p.name != "__pycache__"} == AUDIENCES


@pytest.mark.parametrize("audience", sorted(AUDIENCES - PRIVILEGED))
def test_what_candidates_and_holders_see_imports_no_privileged_feature(audience: str) -> None:
    """Staff's, assessors' and admins' steps may show what a candidate gave; never the other way
    round."""
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name for name in imported_modules(path) if name.split(".")[1] in PRIVILEGED
        )
        for path in sorted((ROOT / "handlers" / audience).rglob("*.py"))
    }
    assert {f: bad for f, bad in offenders.items() if bad} == {}


def imported_modules(path: Path) -> set[str]:
    """The ``handlers.…`` modules a file imports."""
    return {
        node.module
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("handlers.")
    }


TOPIC_PREFIXES = tuple(f"{topic}:" for topic in Topic)


def outbox_names_made(path: Path) -> list[str]:
    """Where ``path`` makes a dedupe key or a subject itself: a ``DedupeKey(…)`` or
    ``Subject(…)`` call, or a string that starts like a subject (``"renewal:"``,
    ``f"appeal:{…}"``), outside the functions that name a thing for the audit log
    (``target``)."""
    found = []
    tree = ast.parse(path.read_text(), str(path))
    audit_names = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name == "target"
        for inner in ast.walk(node)
    }
    for node in ast.walk(tree):
        if id(node) in audit_names:
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id in {"DedupeKey", "Subject"}:
                found.append(f"{path.name}:{node.lineno} {node.func.id}(…)")
        elif isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            if isinstance(first, ast.Constant) and str(first.value).startswith(TOPIC_PREFIXES):
                found.append(f"{path.name}:{node.lineno} {first.value!r}")
        elif isinstance(node, ast.Constant) and str(node.value).startswith(TOPIC_PREFIXES):
            found.append(f"{path.name}:{node.lineno} {node.value!r}")
    return found


def test_dedupe_keys_and_subjects_are_made_in_one_place() -> None:
    """Issue 15: the outbox's keys and subjects are built in ``domain/schedule.py`` only (the
    port takes only its types, so mypy sees a hand-made one as well)."""
    home = ROOT / "domain" / "schedule.py"
    files = [
        path
        for package in ("domain", "usecases", "handlers", "storage", "bot")
        for path in sorted((ROOT / package).rglob("*.py"))
        if path != home and "migrations" not in path.parts
    ]
    assert [made for path in files for made in outbox_names_made(path)] == []
    assert outbox_names_made(home), "the scan sees them where they are made"


def privileged_ids_made(path: Path) -> list[str]:
    """Where ``path`` writes a privileged option id itself: an f-string with ``PREFIX`` in it,
    or a string that starts with the mark."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.JoinedStr) and any(
            isinstance(part, ast.FormattedValue)
            and isinstance(part.value, ast.Name)
            and part.value.id == "PREFIX"
            for part in node.values
        ):
            found.append(f"{path.name}:{node.lineno} f-string with PREFIX")
        elif isinstance(node, ast.Constant) and str(node.value).startswith(PREFIX):
            found.append(f"{path.name}:{node.lineno} {node.value!r}")
    return found


def test_privileged_option_ids_are_made_in_one_place() -> None:
    """Issue 15: a staff or assessor option id is a ``StaffOption`` or made by a ``Privileged``
    codec, both in ``handlers/staff/common.py``; no step writes ``s:…`` by hand."""
    home = ROOT / "handlers" / "staff" / "common.py"
    files = [path for path in sorted((ROOT / "handlers").rglob("*.py")) if path != home]
    assert [made for path in files for made in privileged_ids_made(path)] == []
    assert privileged_ids_made(home), "the scan sees them where they are made"


def saved_data_reads(path: Path) -> list[str]:
    """Where ``path`` touches a context's saved step data (``ctx.saved``) itself."""
    return [
        f"{path.name}:{node.lineno}"
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Attribute) and node.attr in {"saved", "data"}
        and isinstance(node.value, ast.Name) and node.value.id == "ctx"
    ]  # fmt: skip


def test_steps_read_their_data_typed(tmp_path: Path) -> None:
    """Issue 15: a step's data is a :class:`StepData` of its own, read through
    ``Context.read`` — no step picks keys out of the saved JSON (the engine alone keeps it)."""
    features = sorted(p for a in AUDIENCES for p in (ROOT / "handlers" / a).rglob("*.py"))
    assert [found for path in features for found in saved_data_reads(path)] == []
    sample = tmp_path / "sample.py"
    sample.write_text("app = ctx.saved.get('app')\nitem = ctx.data['item']\n")
    assert sorted(saved_data_reads(sample)) == ["sample.py:1", "sample.py:2"]
