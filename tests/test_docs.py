"""The clause map (``docs/clauses.md``) names where each rule lives: every file it names exists
and holds every function or class named beside it, so a move that forgets the map fails here."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLACE = re.compile(r"`([a-z_/]+\.py)`((?:,? `[A-Za-z_]+(?:\(\))?`)*)")


def named_places(text: str) -> list[tuple[str, str]]:
    """(file, name) for every ``path.py`` ``name()`` pair; (file, "") for a file alone."""
    places = []
    for match in PLACE.finditer(text):
        names = re.findall(r"`([A-Za-z_]+)(?:\(\))?`", match.group(2))
        places += [(match.group(1), name) for name in names] or [(match.group(1), "")]
    return places


def test_every_place_the_clause_map_names_exists() -> None:
    places = named_places((ROOT / "docs" / "clauses.md").read_text())
    assert len(places) > 40
    missing = []
    for file, name in places:
        path = ROOT / file
        if not path.exists():
            missing.append(file)
        elif name and not re.search(
            rf"^\s*(async def|def|class) {name}\b|^{name} =", path.read_text(), re.M
        ):
            missing.append(f"{file}: {name}")
    assert missing == []


def test_the_scan_reads_names_beside_a_file() -> None:
    assert named_places("`usecases/decisions.py` `decide()`, `handlers/x.py`") == [
        ("usecases/decisions.py", "decide"), ("handlers/x.py", ""),
    ]  # fmt: skip
