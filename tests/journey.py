"""The answers a new candidate gives on the way to a submitted application, shared by the
journeys over every channel."""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Protocol

from tests import documents as files
from tests.handlers.candidate import Candidate

ELIGIBILITY = ["apply", "0", "s1", "2", "1", "1"]
"""From the menu: apply, then the eligibility answers (option ids, "2" typed as a number)."""
APL01 = [
    "Siti Nurhaliza", "@WNI", "3273015708850002", "Bandung", "Jl. Merdeka No. 10, Bandung",
    "40111", "CONTACT", "siti@contoh.co.id", "LSP Teknologi Digital", "Manajer Sertifikasi",
    "Jl. Sudirman No. 1, Jakarta", "10220", "021 5790 1234", "siti@lsp.co.id",
]  # fmt: skip
"""What APL-01 asks after the eligibility check, in order: "@x" presses option x, "CONTACT"
shares the number, anything else is typed. The NIK tells the date of birth and sex, the check
the education, the route the purpose: none of them is asked."""
EVIDENCE_NEEDS = {
    "ktp": 1,
    "photo": 1,
    "diploma": 1,
    "practice_planning": 2,
    "practice_conducting": 2,
    "practice_validating": 2,
    "training_certificate": 2,
    "technical_competence": 1,
}
"""How many files each evidence item of the new-candidate route takes (9.1.2.1)."""
EVIDENCE_FILES = sum(EVIDENCE_NEEDS.values())
APL02_ELEMENTS = 13
"""FR.APL.02 asks per element: 4 + 6 + 3 of the three units."""
APL02_UNITS = 3

RENEWAL_NEEDS = {
    "ktp": 1,
    "photo": 1,
    "assessor_certificate": 1,
    "planning_spt": 2,
    "validation_spt": 2,
    "conducting_spt": 6,
    "refreshment_certificate": 1,
    "technical_competence": 1,
}
"""The same for the re-certification route (9.1.2.2)."""


async def to_mobile_step(candidate: Candidate) -> None:
    """Greeted, Indonesian chosen, eligible, APL-01 answered up to the mobile number."""
    await candidate.command("start")
    await candidate.option("id")
    for value in ELIGIBILITY:
        if value in candidate.options:
            await candidate.option(value)
        else:
            await candidate.type(value)
    for value in APL01[: APL01.index("CONTACT")]:  # eligible: APL-01 follows at once
        if value.startswith("@"):
            await candidate.option(value[1:])
        else:
            await candidate.type(value)
    assert "APL-01 — sisa 8 pertanyaan" in candidate.screen
    assert "Nomor HP" in candidate.screen


class Messenger(Protocol):
    """A test user on a messenger (Telegram's, WhatsApp's or the terminal), as the journeys
    drive it."""

    compresses_photos: bool
    """A photo sent as a photo is compressed by the messenger (not on the terminal)."""

    @property
    def screen(self) -> str: ...

    @property
    def buttons(self) -> list[str]: ...

    async def press(self, data: str) -> None: ...

    async def document(self, data: bytes, name: str) -> object: ...

    async def photo(self, data: bytes) -> None: ...

    async def text(self, text: str) -> None: ...


async def give_apl01(siti: Messenger, share_contact: Callable[[], Awaitable[object]]) -> None:
    """Every APL-01 answer in order, the mobile number shared the messenger's own way; the
    education where the route's eligibility check did not ask it (re-certification)."""
    for value in APL01:
        if "s1" in siti.buttons:
            await siti.press("s1")
        if value == "CONTACT":
            await share_contact()
        elif value.startswith("@"):
            await siti.press(value[1:])
        else:
            await siti.text(value)


async def upload_answer_and_submit(
    siti: Messenger, needs: Mapping[str, int] = EVIDENCE_NEEDS, *, declare: bool = True
) -> None:
    """From APL-01 confirmed (or the hub): every piece of evidence sent as it is asked for,
    one after the other (photos compressed, the rest as PDF documents), APL-02 answered K for
    each whole unit with its relevant uploads, the declaration agreed (unless not to
    ``declare``: left on screen)."""
    if "continue" in siti.buttons:  # the hub: on to what is missing
        await siti.press("continue")
    for item, count in needs.items():
        for n in range(count):
            if item == "photo":
                await siti.photo(files.photo(background=(190 + n, 20, 30)))
                if siti.compresses_photos:  # told that a document keeps full quality
                    assert "dikompres" in siti.screen
            else:
                await siti.document(files.pdf(f"{item}-{n}"), f"{item}-{n}.pdf")
            assert "Diterima" in siti.screen, siti.screen
    for _ in range(APL02_UNITS):
        await siti.press(next(b for b in siti.buttons if b.startswith("unitK:")))
    assert "Ringkasan APL-02" in siti.screen
    if declare:
        await siti.press("agree")
        assert "Permohonan terkirim!" in siti.screen


MESSAGES_AT_MOST = 40
"""Issue 16: a clean application (new candidate, every document, every APL-02 element) in at
most 40 messages from the candidate, on every channel."""


class Counted:
    """A messenger user whose every message to the bot is counted: a text, a press, a file, a
    shared contact."""

    def __init__(self, user: Messenger, share_contact: Callable[[], Awaitable[object]]) -> None:
        self.user = user
        self.sent = 0
        self._share = share_contact
        self.compresses_photos = user.compresses_photos

    @property
    def screen(self) -> str:
        return self.user.screen

    @property
    def buttons(self) -> list[str]:
        return self.user.buttons

    async def press(self, data: str) -> None:
        self.sent += 1
        await self.user.press(data)

    async def document(self, data: bytes, name: str) -> object:
        self.sent += 1
        return await self.user.document(data, name)

    async def photo(self, data: bytes) -> None:
        self.sent += 1
        await self.user.photo(data)

    async def text(self, text: str) -> None:
        self.sent += 1
        await self.user.text(text)

    async def share_contact(self) -> None:
        self.sent += 1
        await self._share()


async def clean_application(
    user: Messenger, share_contact: Callable[[], Awaitable[object]], first: str | None
) -> int:
    """A new candidate's whole application the way the bot leads it, from the first message
    (``first``; None where the channel greets by itself) to "Permohonan terkirim!"; returns
    how many messages the candidate sent."""
    siti = await _apl01_confirmed(user, share_contact, first)
    await upload_answer_and_submit(siti)
    return siti.sent


async def by_hand_application(
    user: Messenger, share_contact: Callable[[], Awaitable[object]], first: str | None
) -> int:
    """The same application the way it went before issue 16, and still can: each part from
    the hub, each evidence item from the checklist, APL-02 element by element with a
    document each (the baseline of ``bench/journey_messages.py``)."""
    siti = await _apl01_confirmed(user, share_contact, first)
    await siti.press("back")  # the checklist
    for item, count in EVIDENCE_NEEDS.items():
        await siti.press(item)
        for n in range(count):
            if item == "photo":
                await siti.photo(files.photo(background=(190 + n, 20, 30)))
            else:
                await siti.document(files.pdf(f"{item}-{n}"), f"{item}-{n}.pdf")
        await siti.press("back")
    await siti.press("back")  # the hub
    await siti.press("apl02")
    for _ in range(APL02_ELEMENTS):
        each = next((b for b in siti.buttons if b.startswith("each:")), None)
        if each is not None:
            await siti.press(each)
        await siti.press(next(b for b in siti.buttons if b.startswith("K:")))
        await siti.press(next(b for b in siti.buttons if b.startswith("doc:")))
        await siti.press("done")
    await siti.press("agree")
    assert "Permohonan terkirim!" in siti.screen
    return siti.sent


async def _apl01_confirmed(
    user: Messenger, share_contact: Callable[[], Awaitable[object]], first: str | None
) -> Counted:
    """From the first message to APL-01 confirmed (the first evidence item asked), counted."""
    siti = Counted(user, share_contact)
    if first is not None:
        await siti.text(first)
    await siti.press("id")
    await _eligibility(siti)
    await give_apl01(siti, siti.share_contact)
    await siti.press("confirm")
    return siti


async def _eligibility(siti: Messenger) -> None:
    for value in ELIGIBILITY:
        if value in siti.buttons:
            await siti.press(value)
        else:
            await siti.text(value)
    assert "Anda memenuhi persyaratan dasar" in siti.screen


REPORT = "ASESORBOT_JOURNEY_REPORT"
"""Where ``bench/journey_messages.py`` asks the journey tests to write their counts."""


async def report(channel: str, guided: int, baseline: Callable[[], Awaitable[int]]) -> None:
    """For the bench: the guided count beside the by-hand one (run only when asked)."""
    path = os.environ.get(REPORT)
    if path:
        line = {"channel": channel, "guided": guided, "by_hand": await baseline()}
        _append(Path(path), json.dumps(line))


def _append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as out:
        out.write(line + "\n")
