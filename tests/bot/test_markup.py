"""The catalogs' ``*bold*`` on every channel (issue 16: "*Asesor Kompetensi*" showed its
asterisks): a Telegram entity, WhatsApp's own markup, plain on the terminal."""

from __future__ import annotations

import pytest

from bot.channels.common import bold_spans, unmarked


@pytest.mark.parametrize(
    ("marked", "plain", "spans"),
    [
        ("BNSP *Asesor Kompetensi*: dari", "BNSP Asesor Kompetensi: dari", [(5, 17)]),
        ("*V*alid, *A*sli", "Valid, Asli", [(0, 1), (7, 1)]),
        ("🇮🇩 *Ya*", "🇮🇩 Ya", [(5, 2)]),  # a flag is four UTF-16 units, as Telegram counts
        ("2*3 and * not * and *x", "2*3 and * not * and *x", []),
    ],
)
def test_bold_marks_become_spans(marked: str, plain: str, spans: list[tuple[int, int]]) -> None:
    assert bold_spans(marked) == (plain, spans)
    assert unmarked(marked) == plain
