"""``asesorbot``: run the bot, or manage its database."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import ConfigError, Settings, load_settings
from bot.logs import setup_logging

if TYPE_CHECKING:
    from bot.dispatcher import Dispatcher
    from bot.factory import App

log = logging.getLogger("asesorbot")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="asesorbot", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="start every configured channel (else the terminal chat)")
    run.add_argument("--user", default="local", help="terminal chat: who you are (default: local)")
    worker = commands.add_parser("worker", help="send the outbox's due messages (proactive ones)")
    worker.add_argument(
        "--until-idle", action="store_true", help="stop once nothing is due (tests, cron)"
    )
    commands.add_parser("outbox", help="how many messages are in each state; the dead ones")
    objects = commands.add_parser("objects", help="the object store: deletions waiting, lost files")
    objects.add_argument(
        "action", choices=("status", "verify", "erase"),
        help="status: deletions waiting; verify: ask the store for every document and mark "
        "those it lost; erase: retry the waiting deletions now",
    )  # fmt: skip
    roles = commands.add_parser("roles", help="grant, revoke or list staff and assessor roles")
    roles_commands = roles.add_subparsers(dest="roles_command", required=True)
    for verb in ("grant", "revoke"):
        change = roles_commands.add_parser(verb)
        who = change.add_mutually_exclusive_group(required=True)
        who.add_argument("--telegram-id", help="the person's Telegram user id")
        who.add_argument("--whatsapp", help="the person's WhatsApp number, e.g. 6281234567890")
        change.add_argument("--role", required=True, choices=("assessor", "staff", "admin"))
    roles_commands.add_parser("list")
    export = commands.add_parser("export", help="the LSP's records, as CSV or an Excel workbook")
    export.add_argument("what", choices=("applications",))
    export.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    export.add_argument("--output", type=Path, help="file to write (default: standard output)")
    audit = commands.add_parser("audit", help="print the audit log (newest last)")
    audit.add_argument("--limit", type=int, default=100)
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
        if settings.telegram.bot_token is not None or settings.whatsapp.enabled:
            import uvloop  # a faster event loop for the servers (measured in bench/)

            return uvloop.run(_run(settings, args.user))
        return asyncio.run(_run(settings, args.user))
    if args.command == "worker":
        import uvloop

        return uvloop.run(_worker(settings, until_idle=args.until_idle))
    if args.command == "outbox":
        return asyncio.run(_outbox(settings))
    if args.command == "objects":
        return asyncio.run(_objects(settings, args.action))
    if args.command == "export":
        return asyncio.run(_export(settings, args.format, args.output))
    if args.command in {"roles", "audit"}:
        return asyncio.run(_admin(settings, args))
    return asyncio.run(_db(settings, args.db_command, getattr(args, "revision", None)))


async def _run(settings: Settings, user: str) -> int:
    from bot.factory import SchemaNotCurrent, build_app
    from scheme.model import SchemeFileError

    terminal = settings.telegram.bot_token is None and not settings.whatsapp.enabled
    setup_logging(
        settings.app.log_level,
        settings.app.log_format,
        file=Path("var/asesorbot.log") if terminal else None,
    )
    try:
        app = await build_app(settings)
    except (SchemaNotCurrent, SchemeFileError, OSError) as error:
        print(error, file=sys.stderr)
        return 2
    try:
        if terminal:
            from bot.channels.terminal import TerminalChat, stdin_lines, write_stdout

            await app.eraser.retry_due()  # no worker runs here: deletions left waiting go now

            chat = TerminalChat(app.conversation, app.translator, write_stdout, user_id=user)
            await chat.run(stdin_lines())
        else:
            return await _run_channels(app, settings)
    finally:
        await app.aclose()
    return 0


async def _run_channels(app: App, settings: Settings) -> int:
    """Telegram (long polling, or its webhook when ``WEBHOOK_BASE_URL`` is set) and WhatsApp
    (always a webhook) in one process, until SIGINT or SIGTERM; 1 when the dispatcher in it
    ended by itself (so that the process supervisor restarts it)."""
    from aiohttp import web

    from bot.channels import configured_channels
    from bot.dispatcher import build_dispatcher
    from bot.server import build_web_app

    channels = configured_channels(app)
    dispatcher = build_dispatcher(app, channels) if settings.outbox.in_run else None
    # Everything built so far lives as long as the process: keep the collector off it
    # (p99 at 100 updates/s went from ~250 ms to ~24 ms in bench/telegram_webhook.py).
    gc.freeze()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    runner: web.AppRunner | None = None
    sending = _Sending(dispatcher, stop) if dispatcher is not None else None
    # Kept replies: leases renewed while they wait, and those of a process that died sent.
    keepers = [asyncio.create_task(channel.replies.keep_alive(stop)) for channel in channels]
    try:
        if any(channel.routes() for channel in channels):
            runner = web.AppRunner(
                build_web_app(
                    app,
                    channels,
                    sending.alive if sending is not None else None,
                    sending.heartbeat if sending is not None else None,
                ),
                access_log=None,
            )
            await runner.setup()
            await web.TCPSite(runner, settings.webhook.host, settings.webhook.port).start()
            log.info("webhook server listening")
        await asyncio.gather(*(channel.serve(stop) for channel in channels))
    finally:
        stop.set()
        failed = await sending.finish() if sending is not None else False
        await asyncio.gather(*keepers)
        if runner is not None:
            await runner.cleanup()
        for channel in channels:
            await channel.close()
    return 1 if failed else 0


class _Sending:
    """The dispatcher inside `run`, supervised: if it ends by itself it says so and takes the
    process down (its supervisor restarts it) rather than answer webhooks with nobody sending;
    ``/healthz`` asks :meth:`alive`."""

    def __init__(self, dispatcher: Dispatcher, stop: asyncio.Event) -> None:
        self._dispatcher = dispatcher
        self._stop = stop
        self._task = asyncio.create_task(dispatcher.run(stop))
        self._task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        if task.cancelled() or self._stop.is_set():
            return
        error = task.exception()
        log.critical(
            "outbox dispatcher stopped; the process stops too",
            extra={"error": type(error).__name__ if error else None},
        )
        self._stop.set()

    def alive(self) -> bool:
        return not self._task.done() and self._dispatcher.alive()

    def heartbeat(self) -> float:
        return self._dispatcher.heartbeat

    async def finish(self) -> bool:
        """Wait for the dispatcher to end; True when it failed."""
        try:
            await self._task
        except Exception:  # logged by _ended
            return True
        finally:
            await self._dispatcher.close()
        return False


async def _built(settings: Settings) -> App | None:
    """The app for a command that needs the current schema (None: it is not, and it said so)."""
    from bot.factory import SchemaNotCurrent, build_app

    setup_logging(settings.app.log_level, settings.app.log_format)
    try:
        return await build_app(settings)
    except SchemaNotCurrent as error:
        print(error, file=sys.stderr)
        return None


async def _worker(settings: Settings, *, until_idle: bool) -> int:
    """The outbox dispatcher on its own (as many as you like, on PostgreSQL)."""
    from bot.dispatcher import build_dispatcher

    app = await _built(settings)
    if app is None:
        return 2
    try:
        dispatcher = build_dispatcher(app)
        if dispatcher is None:
            print(
                "configuration: BOT_TOKEN or WHATSAPP_TOKEN: no channel to send on", file=sys.stderr
            )
            return 2
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        gc.freeze()
        try:
            await dispatcher.run(stop, until_idle=until_idle)
        finally:
            await dispatcher.close()
    finally:
        await app.aclose()
    return 0


async def _outbox(settings: Settings) -> int:
    """Staff's view of the outbox: counts by state, and every dead message with its error."""
    from sqlalchemy import func, select

    from storage.db import make_engine
    from storage.models import OutboxRow

    engine = make_engine(settings.database.url, search_path=settings.database.schema_name)
    try:
        async with engine.connect() as connection:
            counts = await connection.execute(
                select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
            )
            for status, count in sorted(counts):
                print(f"{status:10} {count}")
            dead = await connection.execute(
                select(OutboxRow.id, OutboxRow.kind, OutboxRow.person_id, OutboxRow.last_error)
                .where(OutboxRow.status == "dead")
                .order_by(OutboxRow.id)
            )
            for row in dead:
                print(f"dead #{row.id} {row.kind} person {row.person_id}: {row.last_error}")
    finally:
        await engine.dispose()
    return 0


async def _objects(settings: Settings, action: str) -> int:
    """``objects status|verify|erase``: what an operator needs after a store outage or loss."""
    from datetime import UTC, datetime

    from domain.ports import ObjectStoreError
    from storage.erasure import verify_documents

    app = await _built(settings)
    if app is None:
        return 2
    try:
        if action == "verify":
            try:
                checked, lost = await verify_documents(app.engine, app.objects, datetime.now(UTC))
            except ObjectStoreError as error:
                print(f"the object store did not answer: {error}", file=sys.stderr)
                return 1
            print(f"documents checked: {checked}, newly found missing: {len(lost)}")
            for key in lost:
                print(f"missing {key}")
            return 1 if lost else 0
        if action == "erase":
            erased, waiting = await app.eraser.retry_due(limit=10_000, every=True)
            print(f"deleted: {erased}, still waiting: {waiting}")
        print(f"deletions waiting: {await app.eraser.waiting()}")
    finally:
        await app.aclose()
    return 0


async def _admin(settings: Settings, args: argparse.Namespace) -> int:
    """``roles list`` and ``audit``; ``roles grant|revoke`` go through the use case."""
    from storage import admin, migrate
    from storage.db import make_engine

    engine = make_engine(settings.database.url, search_path=settings.database.schema_name)
    try:
        if engine.dialect.name == "sqlite":
            await migrate.upgrade(engine)
        if args.command == "audit":
            for row in await admin.audit(engine, args.limit):
                verdict = "allowed" if row.allowed else "REFUSED"
                who = "operator" if row.person_id is None else f"person {row.person_id}"
                print(
                    f"{row.at:%Y-%m-%d %H:%M:%S}Z {who} via {row.channel}: "
                    f"{row.action} {row.target or ''} {verdict}".rstrip()
                )
            return 0
        if args.roles_command == "list":
            for row in await admin.roles(engine):
                print(f"{row.role:9} {row.channel}:{row.external_id} (granted by {row.granted_by})")
            return 0
    finally:
        await engine.dispose()
    return await _change_role(settings, args)


async def _change_role(settings: Settings, args: argparse.Namespace) -> int:
    """``roles grant|revoke``, as the operator (:mod:`bot.operator`)."""
    import getpass

    from bot.channels import TELEGRAM, WHATSAPP
    from bot.operator import change_role
    from usecases.access import Refused, Role

    channel, external_id = (
        (TELEGRAM, args.telegram_id) if args.telegram_id else (WHATSAPP, args.whatsapp)
    )
    grant = args.roles_command == "grant"
    app = await _built(settings)
    if app is None:
        return 2
    try:
        done = await change_role(
            app, channel, external_id, Role(args.role), grant=grant,
            by=f"cli:{getpass.getuser()}",
        )  # fmt: skip
    finally:
        await app.aclose()
    account = f"{channel}:{external_id}"
    if isinstance(done, Refused) or not (done.changed or grant):
        print(f"{account} was not {args.role}", file=sys.stderr)
        return 1
    print(f"{account} is now {args.role}" if grant else f"{account} is no longer {args.role}")
    return 0


async def _export(settings: Settings, fmt: str, output: Path | None) -> int:
    """Every application with its applicant, decision and certificate; written to the audit log."""
    import getpass

    from storage import export
    from storage.db import make_engine

    if fmt == "xlsx" and output is None:
        print("export: --output FILE is needed for xlsx", file=sys.stderr)
        return 2
    engine = make_engine(settings.database.url, search_path=settings.database.schema_name)
    try:
        rows = await export.application_rows(engine)
        if fmt == "xlsx":
            assert output is not None
            export.as_xlsx(rows, output)
        elif output is None:
            for chunk in export.as_csv(rows):
                sys.stdout.write(chunk)
        else:
            with output.open("w", encoding="utf-8", newline="") as stream:
                stream.writelines(export.as_csv(rows))
        await export.record_export(engine, f"cli:{getpass.getuser()}", len(rows), fmt)
    finally:
        await engine.dispose()
    return 0


async def _db(settings: Settings, action: str, revision: str | None) -> int:
    from storage import migrate
    from storage.db import make_engine

    setup_logging(settings.app.log_level, settings.app.log_format)
    engine = make_engine(settings.database.url, search_path=settings.database.schema_name)
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
