"""A kept reply comes back as it was saved (issue 14, item 4): every kind of message."""

from __future__ import annotations

import json

from handlers.messages import (
    Choice,
    Option,
    Reply,
    RequestContact,
    RequestFile,
    SendFile,
    Text,
    reply_document,
    reply_from_document,
)


def test_every_kind_of_message_survives_being_kept() -> None:
    reply = Reply(
        "en",
        (
            Text("Hello"),
            Choice("Pick", (Option("a", "A"), Option("b", "B", "the second"))),
            RequestFile("Send it", ("pdf", "jpg"), 20 * 1024 * 1024),
            RequestContact("Your number?", "Share"),
            SendFile("documents/x1", "ktp.pdf", "application/pdf", "Your KTP"),
        ),
    )
    stored = json.loads(json.dumps(reply_document(reply)))  # as the database gives it back
    assert reply_from_document(stored, kept=7) == Reply(reply.locale, reply.messages, kept=7)
    assert stored["messages"][0] == {"kind": "text", "body": "Hello"}
