"""The answers a new candidate gives on the way to a submitted application, shared by the
journeys over every channel."""

from __future__ import annotations

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
    "photo": 2,
    "diploma": 1,
    "practice_records": 2,
    "training_certificate": 2,
    "technical_competence": 1,
}
"""How many files each evidence item of the new-candidate route takes (9.1.2.1)."""

RENEWAL_NEEDS = {
    "ktp": 1,
    "photo": 2,
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
