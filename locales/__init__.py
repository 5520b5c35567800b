"""Message catalogs (gettext, compiled with Babel) and the translator that reads them.

Message ids are keys (``menu.prompt``); each language has a complete catalog, Bahasa Indonesia
first.  ``make catalogs`` compiles the ``.po`` files; a missing ``.mo`` is compiled on load.
"""

from __future__ import annotations

import gettext
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

CATALOG_DIR = Path(__file__).parent
DOMAIN = "messages"
LOCALES = ("id", "en")
DEFAULT_LOCALE = "id"


def compile_catalog(locale: str) -> Path:
    """Compile ``<locale>/LC_MESSAGES/messages.po`` to its ``.mo`` when that is stale."""
    po = CATALOG_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
        with po.open("rb") as source:
            catalog = read_po(source, locale=locale)
        tmp = mo.with_suffix(".mo.tmp")
        with tmp.open("wb") as target:
            write_mo(target, catalog)
        tmp.replace(mo)
    return mo


class GettextTranslator:
    """Looks a key up in the person's language, then Indonesian; never shows a bare key."""

    def __init__(self, locales: tuple[str, ...] = LOCALES) -> None:
        self._catalogs: dict[str, gettext.GNUTranslations] = {}
        for locale in locales:
            with compile_catalog(locale).open("rb") as mo:
                self._catalogs[locale] = gettext.GNUTranslations(mo)
        self._locales = locales

    @property
    def locales(self) -> tuple[str, ...]:
        return self._locales

    def translate(self, locale: str, key: str, /, **params: object) -> str:
        catalog = self._catalogs.get(locale) or self._catalogs[DEFAULT_LOCALE]
        text = catalog.gettext(key)
        if text == key and locale != DEFAULT_LOCALE:
            text = self._catalogs[DEFAULT_LOCALE].gettext(key)
        return text.format(**params) if params else text

    def keys(self, locale: str) -> set[str]:
        """Every message id of one catalog (for the completeness test)."""
        return {k for k in self._catalogs[locale]._catalog if isinstance(k, str) and k}  # type: ignore[attr-defined]
