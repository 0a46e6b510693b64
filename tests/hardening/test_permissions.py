"""Every admin command refuses a member without Manage Server, whatever the server overrode."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from discord import Permissions

from bot.clock import Clock
from bot.config import Settings
from bot.emulator import DemoWorld, Emulator
from bot.emulator.commands import (
    BOOLEAN,
    CHANNEL,
    INTEGER,
    NUMBER,
    ROLE,
    STRING,
    runnable_paths,
)
from bot.local import running_bot
from tests.cogs.countdown_helpers import PREMIERE, PREMIERE_REF

MANAGE_GUILD = Permissions(manage_guild=True).value


def required_values(options: list[dict[str, Any]], world: DemoWorld) -> dict[str, Any]:
    """A valid value for every required option."""
    by_type: dict[int, Any] = {
        STRING: "18:00",
        INTEGER: 1,
        NUMBER: 1.0,
        BOOLEAN: True,
        CHANNEL: world.announcements,
        ROLE: world.premiere_pings,
    }
    values = {}
    for option in options:
        if option.get("required"):
            choices = option.get("choices")
            values[option["name"]] = choices[0]["value"] if choices else by_type[option["type"]]
    return values


async def test_every_admin_command_refuses_a_fan_without_manage_server(
    emulator: Emulator, world: DemoWorld, settings: Settings
) -> None:
    clock = Clock(PREMIERE - timedelta(days=10))
    async with running_bot(emulator, settings, clock=clock) as bot:
        # An admin sets a countdown up, so refusals are not just "no countdown yet".
        await emulator.slash("countdown setup", channel=world.announcements)
        registered = emulator.commands.listing(None)
        admin = [c for c in registered if c.get("default_member_permissions") is not None]
        assert admin, "no command is marked as an admin command"
        for command in admin:
            assert int(command["default_member_permissions"]) & MANAGE_GUILD
        tried = []
        for command in admin:
            for path, options in runnable_paths(command):
                # The emulator ignores default_member_permissions, exactly as a server that
                # overrode the command's permissions for everyone: the fan can run it.
                reply = await emulator.slash(path, by=world.fan, **required_values(options, world))
                assert reply.ephemeral, path
                assert "Manage Server" in reply.content, (path, reply.content)
                tried.append(path)
        subscription = await bot.store.guilds.get(world.guild.id, PREMIERE_REF)
    assert set(tried) >= {
        "countdown setup",
        "countdown daily",
        "countdown status",
        "countdown preview",
        "countdown stop",
    }
    assert subscription is not None
    assert subscription.status == "active"  # the fan's /countdown stop did nothing
    assert subscription.daily_time is None  # nor did the fan's /countdown daily
