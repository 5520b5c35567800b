"""Granting and revoking roles: one verb for an admin in the chat and the operator on the server,
with the same checks, audit row and notice."""

from __future__ import annotations

from tests.usecases.world import World, refusal
from usecases.access import Caller, Refusal, Role
from usecases.roles import RoleChange, change_role


async def test_an_admin_grants_a_role_and_the_person_is_told_once(world: World) -> None:
    boss, rina = await world.person("boss", "admin"), await world.person("rina")
    grant = {"grant": True, "account": "telegram:rina"}

    assert await world.call(change_role, boss, rina.person_id, Role.ASSESSOR, **grant) == (
        RoleChange(changed=True)
    )
    assert await world.call(change_role, boss, rina.person_id, Role.ASSESSOR, **grant) == (
        RoleChange(changed=False)
    )

    assert [(r, by) for _, r, by in await world.tables.roles() if r == "assessor"] == [
        ("assessor", f"person:{boss.person_id}")
    ]
    notices = await world.outbox_rows("person_id", "kind", "params")
    assert [(p, k) for p, k, _ in notices] == [(rina.person_id, "role_granted")]
    audit = await world.audit_rows("person_id", "action", "target", "allowed")
    assert [(p, a, t, bool(ok)) for p, a, t, ok in audit] == [
        (boss.person_id, "grant_role_assessor", "telegram:rina", True)
    ] * 2


async def test_refusals_change_nothing_and_the_operator_may_what_an_admin_may_not(
    world: World,
) -> None:
    """Only an admin, never on an unknown account, and no admin takes away their own admin role
    (so an LSP is never left without one by a slip) — the operator on the server can."""
    boss, budi = await world.person("boss", "admin"), await world.person("budi", "staff")
    revoke = {"grant": False, "account": "telegram:boss"}

    refused = await world.call(
        change_role, budi, budi.person_id, Role.ADMIN, grant=True, account="me"
    )
    assert refusal(refused) is Refusal.NOT_ALLOWED
    unknown = await world.call(change_role, boss, None, Role.STAFF, grant=True, account="0812")
    assert refusal(unknown) is Refusal.UNKNOWN_ACCOUNT
    own = await world.call(change_role, boss, boss.person_id, Role.ADMIN, **revoke)
    assert refusal(own) is Refusal.NOT_YOURSELF
    assert sorted(r for _, r, _ in await world.tables.roles()) == ["admin", "staff"]
    assert await world.outbox_rows("id") == []

    operator = Caller.operator("cli:root")
    done = await world.call(change_role, operator, boss.person_id, Role.ADMIN, **revoke)

    assert done == RoleChange(changed=True)
    assert [r for _, r, _ in await world.tables.roles()] == ["staff"]
    audit = await world.audit_rows("person_id", "channel", "action", "allowed", "details")
    assert [(p, c, a, bool(ok)) for p, c, a, ok, _ in audit] == [
        (budi.person_id, "telegram", "grant_role_admin", False),
        (None, "cli", "revoke_role_admin", True),
    ]
    assert "cli:root" in str(audit[-1][4])
