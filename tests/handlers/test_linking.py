"""One person on two messengers: a number the messenger vouches for links them once the person
agrees; a typed number never does; two applications are never merged."""

from __future__ import annotations

from sqlalchemy import text

from handlers.messages import CommandIn, OptionIn, TextIn, Update
from tests.handlers.candidate import Candidate
from tests.journey import to_mobile_step

PHONE = "+6281234567890"


async def whatsapp(app, event, delivery: str):  # type: ignore[no-untyped-def]
    return await app.conversation.handle(
        Update("whatsapp", PHONE[1:], event, delivery_id=delivery, verified_phone=PHONE)
    )


async def people(engine) -> int:  # type: ignore[no-untyped-def]
    async with engine.connect() as connection:
        return (await connection.execute(text("SELECT count(*) FROM persons"))).scalar_one()


async def test_sharing_the_number_on_telegram_links_an_earlier_whatsapp_chat(
    make_app, engine
) -> None:
    app = await make_app()
    first = await whatsapp(app, TextIn("halo"), "w1")
    assert "juga terdaftar" not in " ".join(getattr(m, "body", "") for m in first.messages)
    on_telegram = Candidate(app, who="777001", channel="telegram")
    await to_mobile_step(on_telegram)
    await on_telegram.contact(PHONE)
    assert "juga terdaftar" in on_telegram.screen
    await on_telegram.option("link")
    assert "Tergabung" in on_telegram.screen
    assert "APL-01 — sisa 7 pertanyaan" in on_telegram.screen  # APL-01 goes on where it was
    assert await people(engine) == 1
    status = await whatsapp(app, CommandIn("status"), "w2")
    shown = " ".join(getattr(m, "body", "") for m in status.messages)
    assert "Draf" in shown  # the application started on Telegram, seen from WhatsApp


async def test_saying_no_keeps_them_apart(make_app, engine) -> None:
    app = await make_app()
    await whatsapp(app, TextIn("halo"), "w1")
    on_telegram = Candidate(app, who="777001", channel="telegram")
    await to_mobile_step(on_telegram)
    await on_telegram.contact(PHONE)
    await on_telegram.option("separate")
    assert "tetap terpisah" in on_telegram.screen
    assert "APL-01 — sisa 7 pertanyaan" in on_telegram.screen
    assert await people(engine) == 2


async def test_two_applications_are_not_merged(make_app, engine) -> None:
    app = await make_app()
    await whatsapp(app, TextIn("halo"), "w1")
    await whatsapp(app, OptionIn("id"), "w2")
    await whatsapp(app, CommandIn("daftar"), "w3")  # an application on WhatsApp too
    on_telegram = Candidate(app, who="777001", channel="telegram")
    await to_mobile_step(on_telegram)
    await on_telegram.contact(PHONE)
    await on_telegram.option("link")
    assert "tidak bisa digabung" in on_telegram.screen
    assert await people(engine) == 2


async def test_a_typed_number_is_not_vouched_for(make_app, engine) -> None:
    app = await make_app()
    await whatsapp(app, TextIn("halo"), "w1")
    on_telegram = Candidate(app, who="777001", channel="telegram")
    await to_mobile_step(on_telegram)
    await on_telegram.type("081234567890")
    assert "juga terdaftar" not in on_telegram.screen
    assert "APL-01 — sisa 7 pertanyaan" in on_telegram.screen
    assert await people(engine) == 2
