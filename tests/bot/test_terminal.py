"""`asesorbot run` with no configuration: the terminal chat on embedded defaults, as a person
would use it — and a killed process resumes where the person was."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from pathlib import Path

import pytest

from bot.channels.terminal import TerminalChat
from bot.config import environment_names
from scheme.catalog import ASESOR_KOMPETENSI, SCHEME_PACKAGE
from tests.bot.terminal_user import TerminalUser
from tests.journey import MESSAGES_AT_MOST, by_hand_application, clean_application, report


def load_scheme_text() -> str:
    return (Path(SCHEME_PACKAGE) / ASESOR_KOMPETENSI).read_text()


ASESORBOT = Path(sys.executable).with_name("asesorbot")


class Session:
    """One running ``asesorbot run`` process, spoken to through its stdin and stdout."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.seen = ""

    async def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line.encode() + b"\n")
        await self.process.stdin.drain()

    async def expect(self, text: str) -> str:
        assert self.process.stdout is not None
        async with asyncio.timeout(20):
            while text not in self.seen:
                chunk = await self.process.stdout.read(4096)
                if not chunk:
                    pytest.fail(f"process ended before {text!r}; output:\n{self.seen}")
                self.seen += chunk.decode()
        before, _, after = self.seen.partition(text)
        self.seen = after
        return before + text


async def start(workdir: Path, **settings: str) -> Session:
    """``asesorbot run`` with none of the machine's settings, only ``settings``."""
    env = {k: v for k, v in os.environ.items() if k not in environment_names()}
    env.update(settings)
    process = await asyncio.create_subprocess_exec(
        str(ASESORBOT),
        "run",
        cwd=workdir,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    return Session(process)


async def test_terminal_chat_switches_language_and_resumes_after_a_kill(tmp_path: Path) -> None:
    chat = await start(tmp_path)
    await chat.expect("Selamat datang di asesorbot")
    await chat.expect("2. 🇬🇧 English")
    await chat.send("2")
    await chat.expect("Language set to English.")
    await chat.expect("5. 🌐 Bahasa / Language")
    await chat.send("/bahasa")
    await chat.send("1")
    await chat.expect("Bahasa diganti ke Bahasa Indonesia.")
    await chat.expect("Menu utama")
    await chat.send("/language")
    await chat.expect("Pilih bahasa / Choose your language:")
    chat.process.kill()  # no goodbye: the process dies in the middle of the step
    await chat.process.wait()

    again = await start(tmp_path)
    screen = await again.expect("2. 🇬🇧 English")
    assert "Selamat datang" not in screen  # not a new person: the same step, shown again
    await again.send("2")
    await again.expect("Main menu")
    assert again.process.stdin is not None
    again.process.stdin.close()
    await again.expect("Goodbye! Your conversation is saved.")
    assert await again.process.wait() == 0
    assert (tmp_path / "var" / "asesorbot.db").is_file()


async def test_a_deletion_left_waiting_is_done_when_the_terminal_chat_starts(
    tmp_path: Path,
) -> None:
    """No worker runs beside the terminal chat: a deletion the store refused earlier is
    retried as it starts."""
    first = await start(tmp_path)
    await first.expect("2. 🇬🇧 English")
    first.process.kill()
    await first.process.wait()
    key = "documents/" + "ab" * 16
    left = tmp_path / "var" / "objects" / key
    left.parent.mkdir(parents=True)
    left.write_bytes(b"%PDF-1.4 a KTP the person asked to delete")
    with sqlite3.connect(tmp_path / "var" / "asesorbot.db") as db:
        db.execute(
            "INSERT INTO object_deletions (object_key, requested_at, due_at, attempts)"
            " VALUES (?, '2026-11-25 00:00:00', '2026-11-25 00:00:00', 1)",
            (key,),
        )
    again = await start(tmp_path)
    await again.expect("2. 🇬🇧 English")
    assert not left.exists()
    with sqlite3.connect(tmp_path / "var" / "asesorbot.db") as db:
        assert db.execute("SELECT count(*) FROM object_deletions").fetchone() == (0,)
    again.process.kill()
    await again.process.wait()


async def test_upload_of_a_missing_file_is_explained(tmp_path: Path) -> None:
    chat = await start(tmp_path)
    await chat.expect("2. 🇬🇧 English")
    await chat.send("/upload /nonexistent/ktp.pdf")
    await chat.expect("Berkas tidak ditemukan atau tidak bisa dibaca: /nonexistent/ktp.pdf")
    (tmp_path / "ktp.pdf").write_bytes(b"%PDF-1.4")
    await chat.send(f"/upload {tmp_path / 'ktp.pdf'}")
    await chat.expect("Berkas Anda tidak disimpan.")  # nothing asks for a file yet
    chat.process.kill()
    await chat.process.wait()


async def test_bad_setting_stops_start_up_with_one_line(tmp_path: Path) -> None:
    process = (await start(tmp_path, DATABASE_URL="mysql://nope")).process
    _, err = await process.communicate()
    assert process.returncode == 2
    assert err.decode().strip().splitlines() == [
        "configuration: DATABASE_URL: Value error, use a sqlite or postgresql URL"
    ]


async def test_bad_scheme_file_stops_start_up_with_its_line(tmp_path: Path) -> None:
    scheme_file = tmp_path / "skema.yaml"
    scheme_file.write_text(load_scheme_text().replace("min: 6, max: 6", "min: 6, max: 4"))
    process = (await start(tmp_path, SCHEME_FILE=str(scheme_file))).process
    _, err = await process.communicate()
    assert process.returncode == 2
    [line] = err.decode().strip().splitlines()
    assert line.startswith(f"{scheme_file}:")
    assert line.endswith("max is below min")


async def test_terminal_renders_options_numbered(make_app) -> None:
    app = await make_app()
    written: list[str] = []

    async def lines():  # type: ignore[no-untyped-def]
        for line in ("2", "/upload /nonexistent.pdf"):
            yield line

    await TerminalChat(app.conversation, app.translator, written.append).run(lines())
    screen = "".join(written)
    assert "  1. 🇮🇩 Bahasa Indonesia\n  2. 🇬🇧 English\n" in screen
    assert "BNSP Asesor Kompetensi:" in screen  # plain text: no "*" marks (issue 16)
    assert "  1. 📋 Requirements\n" in screen
    assert "File not found or not readable: /nonexistent.pdf" in screen
    assert screen.rstrip().endswith("Goodbye! Your conversation is saved.")


async def test_a_clean_application_on_the_terminal(make_app, tmp_path: Path) -> None:
    """Issue 16, on the terminal chat, in at most 40 messages: the greeting comes unasked,
    options are typed by number, files sent with /upload."""
    app = await make_app()
    siti = TerminalUser(app, tmp_path, user_id="siti")
    await siti.start()
    sent = await clean_application(siti, lambda: siti.contact("081234567890"), None)
    await siti.stop()
    assert sent <= MESSAGES_AT_MOST, sent

    async def baseline() -> int:
        budi = TerminalUser(app, tmp_path, user_id="budi")
        await budi.start()
        try:
            return await by_hand_application(budi, lambda: budi.contact("081234567891"), None)
        finally:
            await budi.stop()

    await report("terminal", sent, baseline)
