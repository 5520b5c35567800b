"""The channel registry's account formats: what an admin types for a person (``/peran``) read as
a Telegram user id or a WhatsApp number, and the order they are tried in."""

from __future__ import annotations

import pytest

from bot.channels import ACCOUNTS, TELEGRAM, WHATSAPP, telegram_account, whatsapp_account


@pytest.mark.parametrize(
    ("typed", "telegram", "whatsapp"),
    [
        ("555001", "555001", "555001"),
        (" 555 001 ", "555001", "555001"),
        ("+62 812-3456-7890", None, "6281234567890"),
        ("0812 3456 7890", None, "6281234567890"),
        ("siti", None, None),
        ("1" * 21, None, None),
    ],
)
def test_a_typed_account_reads_in_each_format(
    typed: str, telegram: str | None, whatsapp: str | None
) -> None:
    assert (telegram_account(typed), whatsapp_account(typed)) == (telegram, whatsapp)


def test_a_telegram_id_is_tried_before_a_whatsapp_number() -> None:
    assert [account.channel for account in ACCOUNTS] == [TELEGRAM, WHATSAPP]
