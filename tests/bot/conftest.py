"""Fixtures of the channel tests."""

from tests.bot.telegram_rig import bot_api, rig

__all__ = ["bot_api", "rig"]
