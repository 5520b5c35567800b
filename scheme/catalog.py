"""The schemes shipped with the bot.  Names only: reading a file is the caller's I/O."""

from __future__ import annotations

from pathlib import PurePath

ASESOR_KOMPETENSI = "asesor_kompetensi.yaml"
SCHEME_PACKAGE = PurePath(__file__).parent
"""Where the shipped scheme files lie (next to this module)."""
