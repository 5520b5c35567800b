"""Every user-facing string exists in Bahasa Indonesia and English, with the same placeholders."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path
from typing import get_args

import pytest
from pydantic import BaseModel

from bot.channels.telegram import COMMANDS as TELEGRAM_COMMANDS
from domain.notices import NOTICE_PARAMS
from domain.schedule import APPEAL_OUTCOMES
from handlers.admin.roles import GRANTABLE
from handlers.candidate.apl01 import CHOICE_FIELDS
from handlers.candidate.application import HubStep
from handlers.common.guide import PLAIN_TOPICS, TOPICS
from handlers.common.start import CONTACT_FIELDS, MENU_ITEMS
from handlers.staff.broadcast import TEMPLATES
from handlers.staff.review import FILTERS, MARKS
from locales import LOCALES, GettextTranslator
from scheme import apl01
from scheme.deadlines import zone_label
from scheme.impartiality import Capacity
from scheme.lifecycle import ApplicationState, CertificateState
from scheme.model import Method, Scheme, Text
from scheme.zones import ZONES
from usecases.broadcasts import SEGMENTS
from usecases.certificates import CertificateAction

ROOT = Path(__file__).resolve().parents[2]
KEY = re.compile(r"^([a-z][a-z0-9_]*)(?:\.[a-z0-9_]+)+$")


@pytest.fixture(scope="module")
def translator() -> GettextTranslator:
    return GettextTranslator()


NOT_KEYS = {
    "hub.mode", "hub.verify_token", "hub.challenge", "v23.0", "cert.outcome", "appeal.outcome"
}  # fmt: skip
"""Strings of the key's shape that are not keys: Meta's webhook query names, a Graph API version,
the prefixes a notice's surveillance and appeal outcomes are worded with."""


def literal_keys() -> set[str]:
    """Every string literal in the code that has the shape of a message key."""
    keys: set[str] = set()
    for package in ("handlers", "bot", "scheme"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and KEY.match(node.value)
                    and not node.value.endswith((".yaml", ".py", ".po", ".jpg", ".pdf", ".png"))
                    and node.value not in NOT_KEYS
                ):
                    keys.add(node.value)
    return keys


def dynamic_keys() -> set[str]:
    """Keys the code builds from its own constants (f"state.{state}" and the like)."""
    keys = {f"menu.{item}" for item in MENU_ITEMS}
    keys |= {f"help.contact.{field}" for field in CONTACT_FIELDS}
    keys |= {f"hub.go.{item}" for item in HubStep.ITEMS}
    keys |= {f"apl01.{kind}.{field}" for field in apl01.FIELDS for kind in ("ask", "label")}
    keys |= {
        f"apl01.choice.{field}.{value}"
        for field, values in CHOICE_FIELDS.items()
        for value in values
    }
    keys |= {f"apl01.error.{code}" for code in validator_reasons()}
    keys |= {f"{kind}.{state}" for state in ApplicationState for kind in ("state", "next")}
    keys |= {f"guide.topic.{topic}" for topic in TOPICS}
    keys |= {f"guide.{topic}" for topic in PLAIN_TOPICS}
    keys |= {f"weekday.{day}" for day in range(7)}
    keys |= {f"zone.name.{zone_label(zone)}" for zone in ZONES}
    keys |= {f"impartiality.{capacity}.own_application" for capacity in Capacity}
    keys |= {"impartiality.panel.involved"} | {f"appeal.outcome.{o}" for o in APPEAL_OUTCOMES}
    keys |= {f"data.language.{locale}" for locale in LOCALES}
    keys |= {f"eligibility.method.{method}" for method in get_args(Method)}
    keys |= {f"telegram.command.{name}" for name in TELEGRAM_COMMANDS}
    keys |= {f"notice.{kind}" for kind in NOTICE_PARAMS}
    keys |= {f"staff.mark.{mark}" for mark in MARKS}
    keys |= {f"broadcast.segment.{s.replace(':', '_')}" for s in SEGMENTS}
    keys |= {f"cert.state.{state}" for state in CertificateState}
    keys |= {f"staff.filter.{key}" for key in FILTERS}
    keys |= {f"broadcast.{kind}.{t}" for t in TEMPLATES for kind in ("template", "template_label")}
    keys |= {f"cert.{kind}.{action}" for action in CertificateAction for kind in ("do", "ask")}
    keys |= {
        f"cert.outcome.{a}" for a in CertificateAction if a.machine_action == "record_surveillance"
    }
    keys |= {f"role.{role}" for role in GRANTABLE}
    keys |= {
        f"roles.{part}.{verb}" for verb in ("grant", "revoke")
        for part in ("pick", "who", "done", "nothing")
    }  # fmt: skip
    return keys


def call_arguments(path: Path, *names: str) -> set[str]:
    """The constant first arguments of calls such as ``Invalid("nik.length")``."""
    return {
        node.args[0].value
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call)
        and (getattr(node.func, "id", None) in names or getattr(node.func, "attr", None) in names)
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }


def validator_reasons() -> set[str]:
    """The reason codes that APL-01 validators return (``Invalid("nik.length")``)."""
    return call_arguments(ROOT / "scheme" / "apl01.py", "Invalid")


def keys_used_in_code() -> set[str]:
    """Keys in the code, the reasons a refused file gets, and the keys built from constants."""
    refusals = call_arguments(ROOT / "storage" / "documents.py", "DocumentRejected", "append")
    return (literal_keys() - validator_reasons()) | refusals | dynamic_keys()


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_code_uses_keys() -> None:
    assert len(keys_used_in_code()) > 200
    assert "apl01.error.nik.province" in keys_used_in_code()


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


OFF_VOCABULARY = {
    r"\bkandidat\b": "asesi",
    r"\bsurveilans\b": "surveilan",
    r"\b(belum )?kompeten\b(?! (?:sebagai|seperti))": "Kompeten / Belum Kompeten",
    r"\bdibanding\b": "diajukan banding",
    r"\bpraktek\b": "praktik",
    r"\bdirekomendasi\b": "direkomendasikan",
}
"""Words the Indonesian catalog must not use, and the scheme's own word for each: one vocabulary
(asesi, asesor, TUK, Kompeten / Belum Kompeten, surveilan — the scheme's own spelling) everywhere
the person reads."""


def test_the_indonesian_catalog_keeps_one_vocabulary(translator: GettextTranslator) -> None:
    found = [
        (key, word)
        for key in sorted(translator.keys("id"))
        for word in OFF_VOCABULARY
        if re.search(word, translator.translate("id", key).replace("Belum Kompeten", ""))
    ]
    assert found == []


def _texts(value: object) -> list[str]:
    """Every Indonesian text of the scheme a person reads (a ``source`` citation is quoted as
    its document words it, and is left out)."""
    if isinstance(value, Text):
        return [value.id]
    if isinstance(value, BaseModel):
        return [
            t
            for name in type(value).model_fields
            if name != "source"
            for t in _texts(getattr(value, name))
        ]
    if isinstance(value, list | tuple):
        return [t for item in value for t in _texts(item)]
    if isinstance(value, dict):
        return [t for item in value.values() for t in _texts(item)]
    return []


def test_the_schemes_texts_keep_the_same_vocabulary(scheme: Scheme) -> None:
    texts = _texts(scheme)
    assert len(texts) > 50  # the walk reaches the labels, questions and requirements
    found = [
        (text, word)
        for text in texts
        for word in OFF_VOCABULARY
        if re.search(word, text.replace("Belum Kompeten", ""))
    ]
    assert found == []
