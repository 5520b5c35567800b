"""How many messages a new candidate sends for a whole application, on each channel, against
issue 16's target of 40 — beside the baseline of the same application made by hand (each part
from the hub, each evidence item from the checklist, APL-02 element by element with a document
each, as it went before).

The journeys are the tests' own (``tests/journey.py``) over the same spec-checking fake
Telegram and WhatsApp servers and the terminal chat: this script runs those tests, on SQLite,
asking them to make the baseline application too, and prints what they counted.
Usage: ``python -m bench.journey_messages``.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import pytest

from tests.journey import MESSAGES_AT_MOST, REPORT

TESTS = [
    "tests/bot/test_telegram.py::test_a_clean_application_takes_at_most_40_messages",
    "tests/bot/test_whatsapp.py::test_a_clean_application_takes_at_most_40_messages",
    "tests/bot/test_terminal.py::test_a_clean_application_on_the_terminal",
]


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "journeys.jsonl"
        os.environ[REPORT] = str(report)
        code = pytest.main(["-q", "-p", "no:cacheprovider", "-k", "sqlite", *TESTS])
        lines = report.read_text().splitlines() if report.exists() else []
    print(f"\nmessages from the candidate for a clean application (target ≤ {MESSAGES_AT_MOST})")
    print(f"{'channel':<10} {'guided':>7} {'by hand':>8} {'ratio':>6}  verdict")
    for row in map(json.loads, lines):
        guided, by_hand = row["guided"], row["by_hand"]
        verdict = "ok" if guided <= MESSAGES_AT_MOST else "OVER"
        print(f"{row['channel']:<10} {guided:>7} {by_hand:>8} {guided / by_hand:>6.2f}  {verdict}")
    return int(code) or (0 if len(lines) == len(TESTS) else 1)


if __name__ == "__main__":
    sys.exit(main())
