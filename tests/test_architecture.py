"""The layers and what each may import: the scheme and the domain know nothing of ours but the
scheme, the use cases only those two, and nothing but ``storage/`` and ``bot/`` touches a
messenger, HTTP or a database."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

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
