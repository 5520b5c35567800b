"""Every user-facing string exists in Bahasa Indonesia and English, with the same placeholders."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from handlers.start import MENU_ITEMS
from locales import LOCALES, GettextTranslator

ROOT = Path(__file__).resolve().parents[2]
KEY = re.compile(r"^([a-z0-9_]+)\.[a-z0-9_.]+$")


@pytest.fixture(scope="module")
def translator() -> GettextTranslator:
    return GettextTranslator()


def keys_used_in_code() -> set[str]:
    """Every string literal in the code that has the shape of a message key of a known group."""
    groups = {key.split(".")[0] for key in GettextTranslator().keys("id")}
    keys: set[str] = set()
    for package in ("handlers", "bot", "scheme", "storage"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    match = KEY.match(node.value)
                    if match and match.group(1) in groups:
                        keys.add(node.value)
    keys.update(f"menu.{item}" for item in MENU_ITEMS)  # built as f"menu.{item}"
    return keys


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_code_uses_keys() -> None:
    assert len(keys_used_in_code()) > 20


@pytest.mark.parametrize("locale", LOCALES)
def test_every_key_used_is_translated(translator: GettextTranslator, locale: str) -> None:
    missing = sorted(keys_used_in_code() - translator.keys(locale))
    assert missing == []


def test_catalogs_have_the_same_keys_and_placeholders(translator: GettextTranslator) -> None:
    indonesian, english = translator.keys("id"), translator.keys("en")
    assert indonesian == english
    for key in indonesian:
        id_text, en_text = translator.translate("id", key), translator.translate("en", key)
        assert id_text.strip(), key
        assert en_text.strip(), key
        assert placeholders(id_text) == placeholders(en_text), key


def test_catalogs_hold_no_unused_keys(translator: GettextTranslator) -> None:
    assert sorted(translator.keys("id") - keys_used_in_code()) == []
