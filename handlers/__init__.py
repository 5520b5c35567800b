"""The conversations (use cases) of asesorbot.

Nothing here knows which messenger, database or object store is in use: the world is reached
through the small ports in :mod:`domain.ports`, and every channel adapter in ``bot/`` speaks
the message types of :mod:`handlers.messages`.
"""
