"""Fixtures of the channel tests."""

from tests.bot.telegram_rig import bot_api, rig
from tests.bot.whatsapp_rig import graph_api, later, whatsapp_rig

__all__ = ["bot_api", "graph_api", "later", "rig", "whatsapp_rig"]
