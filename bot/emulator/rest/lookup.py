"""What a request names, found in the emulator's world, or Discord's error if it is not there.

Also the errors for what the bot may not see or do: a missing permission, another app.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord import Permissions

from bot.emulator.rest.answers import ApiError
from bot.emulator.state import Channel, Guild

if TYPE_CHECKING:
    from bot.emulator.server import Emulator


def check_application(emulator: Emulator, application_id: str) -> None:
    """The path names the bot's own application (else 403 Missing Access)."""
    if int(application_id) != emulator.application_id:
        raise ApiError(403, 50001, "Missing Access")


def guild_of(emulator: Emulator, guild_id: str) -> Guild:
    """The guild, if the bot is in it (else 404 Unknown Guild)."""
    guild = emulator.guilds.get(int(guild_id))
    if guild is None or emulator.bot_user.id not in guild.members:
        raise ApiError(404, 10004, "Unknown Guild")
    return guild


def channel_of(emulator: Emulator, channel_id: str) -> tuple[Guild, Channel]:
    """The channel and its guild (404 Unknown Channel; 403 when the bot left the guild)."""
    for guild in emulator.guilds.values():
        channel = guild.channels.get(int(channel_id))
        if channel is not None:
            if emulator.bot_user.id not in guild.members:
                raise ApiError(403, 50001, "Missing Access")
            return guild, channel
    raise ApiError(404, 10003, "Unknown Channel")


def require(emulator: Emulator, guild: Guild, channel: Channel, *needed: str) -> None:
    """The bot sees the channel and has the `needed` permissions there (else 403)."""
    have = Permissions(guild.channel_permissions(emulator.bot_user.id, channel.id))
    if not have.view_channel:
        raise ApiError(403, 50001, "Missing Access")
    if not all(getattr(have, name) for name in needed):
        raise ApiError(403, 50013, "Missing Permissions")
