"""Privileges over the Telegram adapter: every staff and assessor action, tried by a candidate
and by an assessor not assigned to the case, is refused with "not available", changes nothing
and is in the audit log; roles granted and revoked by an admin in the chat."""

from __future__ import annotations

from bot import operator
from tests.bot.telegram_rig import Rig
from tests.bot.telegram_user import TelegramUser
from tests.bot.test_certificates import NUMBER
from tests.bot.test_staff import (
    STAFF_ID,
    accept_all,
    assessor,
    certify,
    deliver_notices,
    person_of,
    rows,
    sent_to,
    staff_member,
    submitted_application,
)
from usecases.access import Role

STAFF_COMMANDS = ("/antrian", "/queue", "/siaran", "/broadcast", "/stats", "/peran", "/roles")
ASSESSOR_COMMANDS = ("/tugas", "/assignments")


def staff_presses(app_id: int, person: int, document: str) -> list[str]:
    """Every option id a staff or assessor step offers, aimed at a real application."""
    return [
        f"s:app:{app_id}", "s:accept", "s:send_back", "s:reject", "s:item:ktp", "s:mark:ok",
        "s:mark:not_ok", "s:mark:missing", "s:assign", f"s:assessor:{person}", "s:panel",
        f"s:member:{person}", "s:do:decide_competent", "s:do:decide_not_yet",
        "s:do:issue_certificate", "s:do:appeal_granted", "s:do:appeal_dismissed",
        "s:no_conflict", "s:conflict", "s:unit:P.85ASM00.001.2", "s:K", "s:BK", "s:recommend",
        f"s:{document}", "s:seg:all", "s:send", "s:cert:freeze", "s:cert:revoke",
        "s:cert:unfreeze", "s:cert:maintained", "s:roles:grant", "s:role:admin",
        f"s:person:{person}", "s:queue", "s:back", "s:menu", "s:filter:appeals", "s:tpl:renewal",
    ]  # fmt: skip


async def snapshot(rig: Rig) -> list[object]:
    """Everything a refused action must leave as it was."""
    return [
        *await rows(
            rig, "SELECT id, state, review, assessment, decision, appeal FROM applications"
        ),
        *await rows(rig, "SELECT number, state, reason, surveillance FROM certificates"),
        *await rows(rig, "SELECT person_id, role FROM roles ORDER BY person_id, role"),
        *await rows(rig, "SELECT count(*) FROM outbox"),
        *await rows(rig, "SELECT count(*) FROM broadcasts"),
    ]


async def try_everything(rig: Rig, user: TelegramUser, presses: list[str]) -> None:
    before = await snapshot(rig)
    uploads = len(rig.api.uploads)
    audit_before = (await rows(rig, "SELECT count(*) FROM audit_log WHERE NOT allowed"))[0][0]
    for command in STAFF_COMMANDS:
        await user.text(command)
        assert "tidak tersedia" in user.screen, command
        assert not [b for b in user.buttons if b.startswith("s:")], command
    for press in presses:
        await user.press(press)
        assert "tidak tersedia" in user.screen, press
    assert await snapshot(rig) == before
    assert len(rig.api.uploads) == uploads  # no document left the store
    refused = (await rows(rig, "SELECT count(*) FROM audit_log WHERE NOT allowed"))[0][0]
    assert refused - audit_before == len(STAFF_COMMANDS) + len(presses)


async def test_every_privileged_action_is_refused_and_logged(rig: Rig) -> None:
    siti = await submitted_application(rig)
    budi = await staff_member(rig)
    await accept_all(budi)
    await certify(
        rig, budi, await assessor(rig), NUMBER
    )  # the application has gone through every staff and assessor step
    [(app_id,)] = await rows(rig, "SELECT id FROM applications")
    [(document,)] = await rows(rig, "SELECT id FROM documents LIMIT 1")
    presses = staff_presses(app_id, await person_of(rig, STAFF_ID), f"doc:{document}")

    await try_everything(rig, siti, presses)  # the candidate whose case it is
    for command in ASSESSOR_COMMANDS:
        await siti.text(command)
        assert "tidak tersedia" in siti.screen

    other = rig.user(user_id=888010, first_name="Dedi")
    await other.text("/start")
    await operator.change_role(rig.app, "telegram", "888010", Role.ASSESSOR, grant=True, by="test")
    await other.text("/tugas")  # an assessor, but not of this case
    assert "Penugasan Anda (0)" in other.screen
    await try_everything(rig, other, presses)

    stranger = rig.user(user_id=888011, first_name="Lain")
    await stranger.text("/start")
    await stranger.text("/sertifikat")  # someone else's certificate: only their own is shown
    assert NUMBER not in stranger.screen
    await stranger.text(NUMBER)
    assert NUMBER not in stranger.screen
    await stranger.text(document)  # a document id typed is just text
    assert rig.api.uploads == []  # no document of the case ever left the store


async def test_an_admin_grants_and_revokes_roles_in_the_chat(rig: Rig) -> None:
    await operator.change_role(rig.app, "telegram", "888020", Role.ADMIN, grant=True, by="test")
    boss = rig.user(user_id=888020, first_name="Boss")
    rina = rig.user(user_id=888021, first_name="Rina")
    await rina.text("/start")
    await rina.press("id")
    await rina.text("/tugas")
    assert "tidak tersedia" in rina.screen

    await boss.text("/peran")
    assert "Peran di asesorbot" in boss.screen
    assert "Admin: Boss" in boss.screen
    await boss.press("s:roles:grant")
    await boss.press("s:role:assessor")
    await boss.text("123456")  # nobody
    assert "belum pernah menulis ke bot" in boss.screen
    await boss.text("888021")
    assert "Peran Asesor diberikan" in boss.screen
    assert "Asesor: Rina" in boss.screen
    await rina.text("/tugas")
    assert "Penugasan Anda (0)" in rina.screen
    await deliver_notices(rig)
    assert any("peran Asesor" in t for t in sent_to(rig, rina))

    await boss.press("s:roles:grant")  # a second time: nothing changes, and it says so
    await boss.press("s:role:assessor")
    await boss.text("888021")
    assert "sudah memiliki peran Asesor" in boss.screen

    await boss.press("s:roles:revoke")
    await boss.press("s:role:admin")
    await boss.press(f"s:person:{await person_of(rig, 888020)}")
    assert "tidak dapat mencabut peran admin Anda sendiri" in boss.screen
    await boss.press("s:back")
    await boss.press("s:role:assessor")
    await boss.press(f"s:person:{await person_of(rig, 888021)}")
    assert "Peran Asesor dicabut" in boss.screen
    await rina.text("/tugas")
    assert "tidak tersedia" in rina.screen

    budi = await staff_member(rig)  # staff, not admin
    await budi.text("/peran")
    assert "tidak tersedia" in budi.screen
    await budi.press("s:role:admin")
    assert "tidak tersedia" in budi.screen
    roles = await rows(rig, "SELECT role FROM roles ORDER BY role")
    assert [r for (r,) in roles] == ["admin", "staff"]
    audit = await rows(rig, "SELECT action, allowed FROM audit_log WHERE channel = 'telegram'")
    assert ("grant_role_assessor", True) in [(a, bool(ok)) for a, ok in audit]
    assert ("revoke_role_assessor", True) in [(a, bool(ok)) for a, ok in audit]
    assert ("view_roles", False) in [(a, bool(ok)) for a, ok in audit]
