"""Fixtures and helpers for countdown tests: many fan servers and a virtual clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.client import FanBot
from bot.emulator import Emulator, Guild, Message, Role
from bot.store.countdown_models import Delivery, PackEventRef

PREMIERE = datetime(2023, 8, 3, 7, 0, tzinfo=UTC)
PREMIERE_REF = PackEventRef("heartstopper", 2, "premiere")


def add_fan_server(emulator: Emulator, name: str) -> tuple[Guild, Role]:
    """A server with #general, #announcements and a mentionable "Premiere Pings" role."""
    guild = emulator.add_guild(name)
    role = emulator.add_role(guild, "Premiere Pings", mentionable=True)
    return guild, role


async def set_up_countdown(emulator: Emulator, guild: Guild, milestones: str = "0") -> Message:
    """An admin's `/countdown setup` posting to #announcements; the bot's reply."""
    return await emulator.slash(
        "countdown setup",
        in_guild=guild,
        channel=emulator.channel(guild, "announcements"),
        milestones=milestones,
    )


def posts(emulator: Emulator, guild: Guild, channel: str = "announcements") -> list[Message]:
    """The bot's channel posts (not interaction replies) in one channel, oldest first."""
    target = emulator.channel(guild, channel)
    return [m for m in emulator.channel_messages(target) if m.interaction_id is None]


def headlines(messages: list[Message]) -> list[str]:
    """The embed title of each post."""
    return [m.embeds[0]["title"] for m in messages]


async def wait_for(condition: object, within: float = 30.0, what: str = "condition") -> None:
    """Poll `condition()` until true."""
    assert callable(condition)
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def settled_history(
    bot: FanBot, guild: Guild, count: int, within: float = 30.0
) -> list[Delivery]:
    """The guild's settled reminders once `count` of them are recorded.

    A post lands in the channel a moment before the bot records it as sent.
    """
    deadline = asyncio.get_running_loop().time() + within
    while True:
        history = await bot.store.deliveries.history(guild.id, PREMIERE_REF, 50)
        if len(history) >= count:
            return history
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"only {len(history)} of {count} reminders were recorded")
        await asyncio.sleep(0.05)
