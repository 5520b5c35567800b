"""Reads the scheme data files (the I/O that ``scheme/`` itself never does)."""

from __future__ import annotations

from pathlib import Path

from scheme.catalog import ASESOR_KOMPETENSI, SCHEME_PACKAGE
from scheme.model import Scheme, parse_scheme


def load_scheme(path: Path | None = None) -> Scheme:
    """Load and validate a scheme file; a bad file raises ``SchemeFileError`` (path:line: …)."""
    path = path or Path(SCHEME_PACKAGE) / ASESOR_KOMPETENSI
    return parse_scheme(path.read_text(encoding="utf-8"), str(path))
