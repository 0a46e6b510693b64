"""The demo world the playground and the stand-alone emulator start with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from discord import Permissions

from bot.emulator.server import Emulator
from bot.emulator.state import EVENT_VOICE, Channel, Guild, Role, ScheduledEvent, User

WATCH_PARTY_HOUR = 19


@dataclass(frozen=True, slots=True)
class DemoWorld:
    """One fan server: its owner (an admin), fans, channels, roles and an upcoming event."""

    guild: Guild
    admin: User
    fan: User
    general: Channel
    announcements: Channel
    moderators: Role
    premiere_pings: Role
    watch_party_channel: Channel
    watch_party: ScheduledEvent


def _add_watch_party(
    emulator: Emulator, guild: Guild, channel: Channel, interested: tuple[User, ...]
) -> ScheduledEvent:
    """The server's own event a week ahead at 19:00 UTC, straight into the world.

    The bot is not connected yet, so no gateway event: it arrives in GUILD_CREATE.
    """
    day = emulator.clock() + timedelta(weeks=1)
    starts_at = day.replace(hour=WATCH_PARTY_HOUR, minute=0, second=0, microsecond=0)
    event = ScheduledEvent(
        id=emulator.ids.next(),
        guild_id=guild.id,
        name="Watch party",
        scheduled_start_time=starts_at,
        entity_type=EVENT_VOICE,
        creator=emulator.users[guild.owner_id],
        description="We watch the new episode together in voice: bring snacks.",
        channel_id=channel.id,
        interested={u.id for u in interested},
    )
    guild.scheduled_events[event.id] = event
    return event


def populate_demo_world(emulator: Emulator) -> DemoWorld:
    """Add the "Heartstopper Fans" server to `emulator`."""
    admin = emulator.add_user("charlie")
    fan = emulator.add_user("nick")
    elle = emulator.add_user("elle")
    guild = emulator.add_guild("Heartstopper Fans", owner=admin)
    moderators = emulator.add_role(
        guild, "Moderators", permissions=Permissions(manage_guild=True).value
    )
    pings = emulator.add_role(guild, "Premiere Pings", mentionable=True)
    emulator.add_member(guild, fan, pings)
    emulator.add_member(guild, elle)
    watch_party_channel = emulator.add_voice_channel(guild, "watch-party")
    return DemoWorld(
        guild=guild,
        admin=admin,
        fan=fan,
        general=emulator.channel(guild, "general"),
        announcements=emulator.channel(guild, "announcements"),
        moderators=moderators,
        premiere_pings=pings,
        watch_party_channel=watch_party_channel,
        watch_party=_add_watch_party(emulator, guild, watch_party_channel, (admin, fan, elle)),
    )
