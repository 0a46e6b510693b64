"""bot/limits.py in front of discord.py: which requests wait at the gate, and what it counts."""

from __future__ import annotations

import discord
import pytest

from bot.client import FanBot
from bot.emulator import DemoWorld, Emulator
from tests.cogs.helpers import visible_text


async def test_every_try_of_a_rest_request_passes_the_gate_and_its_answer_is_counted(
    bot: FanBot, emulator: Emulator, world: DemoWorld
) -> None:
    channel = bot.get_partial_messageable(world.general.id, guild_id=world.guild.id)
    before = bot.gate.status().sent
    emulator.limits.inject_rate_limit("POST", r"^/channels/\d+/messages$", retry_after=0.05)
    await channel.send("hello")  # discord.py retries the 429 itself: two tries
    assert bot.gate.status().sent == before + 2
    assert bot.gate.status().invalid_last_10_min == 1

    emulator.limits.inject_fault("GET", r"^/channels/\d+$", 403)
    with pytest.raises(discord.Forbidden):
        await bot.fetch_channel(world.general.id)
    assert bot.gate.status().sent == before + 3
    assert bot.gate.status().invalid_last_10_min == 2


async def test_interaction_callbacks_skip_the_gate(bot: FanBot, emulator: Emulator) -> None:
    before = bot.gate.status().sent
    reply = await emulator.slash("premiere")  # a callback, then nothing else over REST
    assert "Heartstopper" in visible_text(reply)
    assert bot.gate.status().sent == before
