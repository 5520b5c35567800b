"""Structured logs: one JSON object a line.  Only whitelisted context fields are written, so a
message body, a document or a secret never reaches the log."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path

CONTEXT_FIELDS = (
    "channel", "event", "step", "update", "status", "attempt", "revision",
    "error", "code", "count", "waiting", "seconds", "retry_after",
    "store", "key", "chat", "appeal_windows_closed", "certificates_expired",
)  # fmt: skip
"""``error`` is an exception's type or a store's or platform's own error text; ``key`` an object
key (random hex, never a name a person gave); ``chat`` the platform's chat id, so that a
reply that could not be sent can be traced to whom."""


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info and record.exc_info[0] is not None:
            entry.setdefault("error", record.exc_info[0].__name__)
            entry["trace"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(level: str, fmt: str, *, file: Path | None = None) -> None:
    """Log to stderr, or to ``file`` (the terminal chat keeps the screen for the conversation)."""
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(file, encoding="utf-8")
    else:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter()
        if fmt == "json"
        else logging.Formatter("%(levelname)s %(name)s: %(message)s")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("botocore", "boto3", "urllib3", "aiosqlite", "alembic"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
