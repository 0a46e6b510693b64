"""The demo world the playground and the stand-alone emulator start with."""

from __future__ import annotations

from dataclasses import dataclass

from discord import Permissions

from bot.emulator.server import Emulator
from bot.emulator.state import Channel, Guild, Role, User


@dataclass(frozen=True, slots=True)
class DemoWorld:
    """One fan server: its owner (an admin), a fan, two channels and two roles."""

    guild: Guild
    admin: User
    fan: User
    general: Channel
    announcements: Channel
    moderators: Role
    premiere_pings: Role


def populate_demo_world(emulator: Emulator) -> DemoWorld:
    """Add the "Heartstopper Fans" server to `emulator`."""
    admin = emulator.add_user("charlie")
    fan = emulator.add_user("nick")
    guild = emulator.add_guild("Heartstopper Fans", owner=admin)
    moderators = emulator.add_role(
        guild, "Moderators", permissions=Permissions(manage_guild=True).value
    )
    pings = emulator.add_role(guild, "Premiere Pings", mentionable=True)
    emulator.add_member(guild, fan, pings)
    return DemoWorld(
        guild=guild,
        admin=admin,
        fan=fan,
        general=emulator.channel(guild, "general"),
        announcements=emulator.channel(guild, "announcements"),
        moderators=moderators,
        premiere_pings=pings,
    )
