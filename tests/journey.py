"""The answers a new candidate gives on the way to a submitted application, shared by the
journeys over every channel."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Protocol

from tests import documents as files
from tests.handlers.candidate import Candidate

ELIGIBILITY = ["apply", "0", "s1", "2", "1", "1"]
"""From the menu: apply, then the eligibility answers (option ids, "2" typed as a number)."""
APL01 = [
    "Siti Nurhaliza", "@WNI", "Bandung", "17-08-1985", "@P", "3273015708850002",
    "Jl. Merdeka No. 10, Bandung", "40111", "CONTACT", "siti@contoh.co.id", "@s1",
    "LSP Teknologi Digital", "Manajer Sertifikasi", "Jl. Sudirman No. 1, Jakarta", "10220",
    "021 5790 1234", "siti@lsp.co.id", "@sertifikasi",
]  # fmt: skip
"""APL-01 in order: "@x" presses option x, "CONTACT" shares the number, anything else is typed."""
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
    await candidate.option("apl01")
    for value in APL01[: APL01.index("CONTACT")]:
        if value.startswith("@"):
            await candidate.option(value[1:])
        else:
            await candidate.type(value)
    assert "Langkah 9 dari 18" in candidate.screen


class Messenger(Protocol):
    """A test user on a messenger (Telegram's or WhatsApp's), as the journeys drive it."""

    @property
    def screen(self) -> str: ...

    @property
    def buttons(self) -> list[str]: ...

    async def press(self, data: str) -> None: ...

    async def document(self, data: bytes, name: str) -> object: ...

    async def photo(self, data: bytes) -> None: ...

    async def text(self, text: str) -> None: ...


async def give_apl01(siti: Messenger, share_contact: Callable[[], Awaitable[object]]) -> None:
    """Every APL-01 answer in order, the mobile number shared the messenger's own way."""
    for value in APL01:
        if value == "CONTACT":
            await share_contact()
        elif value.startswith("@"):
            await siti.press(value[1:])
        else:
            await siti.text(value)


async def upload_answer_and_submit(
    siti: Messenger, needs: Mapping[str, int] = EVIDENCE_NEEDS
) -> None:
    """From the hub with APL-01 done: every piece of evidence uploaded (photos compressed,
    the rest as PDF documents), APL-02 answered K with a document each, submitted."""
    await siti.press("evidence")
    for item, count in needs.items():
        await siti.press(item)
        for n in range(count):
            if item == "photo":
                await siti.photo(files.photo(background=(190 + n, 20, 30)))
                assert "dikompres" in siti.screen  # told that a document keeps full quality
            else:
                await siti.document(files.pdf(f"{item}-{n}"), f"{item}-{n}.pdf")
            assert "Diterima" in siti.screen, siti.screen
        await siti.press("back")
    await siti.press("back")
    await siti.press("apl02")
    for _ in range(APL02_ELEMENTS):
        await siti.press(next(b for b in siti.buttons if b.startswith("K:")))
        await siti.press(next(b for b in siti.buttons if b.startswith("doc:")))
        await siti.press("done")
    await siti.press("submit")
    await siti.press("agree")
    assert "Permohonan terkirim!" in siti.screen
