"""``asesorbot``: run the bot, or manage its database."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from bot.config import ConfigError, Settings, load_settings
from bot.logs import setup_logging

log = logging.getLogger("asesorbot")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="asesorbot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="start every configured channel (else the terminal chat)")
    run.add_argument("--user", default="local", help="terminal chat: who you are (default: local)")
    db = commands.add_parser("db", help="database schema (Alembic migrations)")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="bring the schema to the newest revision")
    down = db_commands.add_parser("downgrade", help="go back to a revision")
    down.add_argument("revision")
    db_commands.add_parser("current", help="print the schema's revision")
    args = parser.parse_args(argv)

    try:
        settings = load_settings()
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    if args.command == "run":
        return asyncio.run(_run(settings, args.user))
    return asyncio.run(_db(settings, args.db_command, getattr(args, "revision", None)))


async def _run(settings: Settings, user: str) -> int:
    from bot.channels.terminal import TerminalChat, stdin_lines, write_stdout
    from bot.factory import SchemaNotCurrent, build_app
    from scheme.model import SchemeFileError

    unavailable = [
        name
        for name, configured in (
            ("BOT_TOKEN (Telegram)", settings.telegram.bot_token is not None),
            ("WHATSAPP_TOKEN (WhatsApp)", settings.whatsapp.enabled),
        )
        if configured
    ]
    if unavailable:
        print(
            f"configuration: {', '.join(unavailable)}: this version has only the terminal chat",
            file=sys.stderr,
        )
        return 2
    setup_logging(settings.app.log_level, settings.app.log_format, file=Path("var/asesorbot.log"))
    try:
        app = await build_app(settings)
    except (SchemaNotCurrent, SchemeFileError, OSError) as error:
        print(error, file=sys.stderr)
        return 2
    try:
        chat = TerminalChat(app.conversation, app.translator, write_stdout, user_id=user)
        await chat.run(stdin_lines())
    finally:
        await app.aclose()
    return 0


async def _db(settings: Settings, action: str, revision: str | None) -> int:
    from storage import migrate
    from storage.db import make_engine

    setup_logging(settings.app.log_level, settings.app.log_format)
    engine = make_engine(settings.database.url)
    try:
        if action == "upgrade":
            await migrate.upgrade(engine)
        elif action == "downgrade":
            assert revision is not None
            await migrate.downgrade(engine, revision)
        print(await migrate.current(engine) or "(empty)")
    finally:
        await engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
