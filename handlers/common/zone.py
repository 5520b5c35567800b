"""``/zona``: the person's own time zone (WIB, WITA, WIT), seen and changed from the menu and
``/data``, and proposed once from what they gave in APL-01 (postcode, NIK province).

Every date a person sees — replies, notices, reminders at 09:00, quiet hours — is in this zone
and names it.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from handlers.conversation import MENU, Context, StepData, StepName, choice
from handlers.messages import CommandIn, Option, OptionIn, Outbound, Text
from scheme.deadlines import zone_label
from scheme.zones import ZONES, proposed_zone

ZONE = StepName("time_zone")


class Proposing(StepData):
    """The zone the person's APL-01 points to, proposed to them; none when they opened
    the list themselves."""

    proposed: str | None = None


def zone_name(ctx: Context, zone: str) -> str:
    return ctx.t(f"zone.name.{zone_label(zone)}")


async def open_zone(ctx: Context, command: CommandIn) -> None:
    ctx.call(ZONE, then=MENU)


def propose(
    ctx: Context,
    apl01: dict[str, object],
    then: StepName,
    then_data: StepData | None = None,
) -> bool:
    """After APL-01: when the person never chose a zone and their data points to another one,
    go and ask them to confirm it (one press)."""
    proposed = proposed_zone(apl01)
    if ctx.person.timezone_chosen or proposed is None or proposed == ctx.person.timezone:
        return False
    ctx.call(ZONE, Proposing(proposed=proposed), then=then, then_data=then_data)
    return True


class ZoneStep:
    """The person's zone and the local time in it; a proposed zone first when there is one."""

    name = ZONE

    def _proposed(self, ctx: Context) -> str | None:
        proposed = ctx.read(Proposing).proposed
        return proposed if proposed in ZONES else None

    async def options(self, ctx: Context) -> Sequence[Option]:
        """Short labels (WIB, WITA, WIT) that fit every platform's buttons, named in full below."""
        proposed = self._proposed(ctx)
        current = ctx.person.timezone
        if proposed is not None:
            return [
                Option(f"zone:{proposed}", ctx.t("zone.use", zone=zone_label(proposed))),
                Option(f"zone:{current}", ctx.t("zone.keep", zone=zone_label(current))),
            ]
        return [
            *(
                Option(
                    f"zone:{zone}",
                    ("✅ " if zone == current else "") + zone_label(zone),
                    zone_name(ctx, zone),
                )
                for zone in ZONES
            ),
            Option("back", ctx.t("common.back")),
        ]

    async def prompt(self, ctx: Context) -> Sequence[Outbound]:
        proposed = self._proposed(ctx)
        if proposed is not None:
            text = ctx.t("zone.proposed", zone=zone_name(ctx, proposed))
        else:
            local = ctx.now().astimezone(ZoneInfo(ctx.person.timezone))
            text = ctx.t(
                "zone.current",
                zone=zone_name(ctx, ctx.person.timezone),
                time=f"{local:%H:%M}",
            )
        return [choice(text, await self.options(ctx))]

    async def on_option(self, ctx: Context, event: OptionIn) -> None:
        zone = event.option_id.removeprefix("zone:")
        if event.option_id.startswith("zone:") and zone in ZONES:
            await ctx.set_timezone(zone)
            ctx.say(Text(ctx.t("zone.set", zone=zone_name(ctx, zone))))
        ctx.back()
