"""bot/limits.py in front of discord.py: which requests wait at the gate, and what it counts."""

from __future__ import annotations

import asyncio

import discord
import pytest

from bot import limits
from bot.client import FanBot
from bot.emulator import DemoWorld, Emulator
from bot.limits import amortize_bucket_sweep
from tests.cogs.helpers import visible_text


async def test_every_try_of_a_rest_request_passes_the_gate_and_its_answer_is_counted(
    bot: FanBot, emulator: Emulator, world: DemoWorld
) -> None:
    channel = bot.get_partial_messageable(world.general.id, guild_id=world.guild.id)
    before = bot.gate.status().sent
    emulator.faults.inject_rate_limit("POST", r"^/channels/\d+/messages$", retry_after=0.05)
    await channel.send("hello")  # discord.py retries the 429 itself: two tries
    assert bot.gate.status().sent == before + 2
    assert bot.gate.status().invalid_last_10_min == 1

    emulator.faults.inject_fault("GET", r"^/channels/\d+$", 403)
    with pytest.raises(discord.Forbidden):
        await bot.fetch_channel(world.general.id)
    assert bot.gate.status().sent == before + 3
    assert bot.gate.status().invalid_last_10_min == 2


async def test_interaction_callbacks_skip_the_gate(bot: FanBot, emulator: Emulator) -> None:
    before = bot.gate.status().sent
    reply = await emulator.slash("premiere")  # a callback, then nothing else over REST
    assert "Heartstopper" in visible_text(reply)
    assert bot.gate.status().sent == before


async def test_discord_py_sweeps_its_route_buckets_once_a_minute_not_per_new_bucket(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checks = 0
    is_inactive = discord.http.Ratelimit.is_inactive

    def counted(bucket: discord.http.Ratelimit) -> bool:
        nonlocal checks
        checks += 1
        return is_inactive(bucket)

    monkeypatch.setattr(discord.http.Ratelimit, "is_inactive", counted)
    http = discord.http.HTTPClient(asyncio.get_running_loop())
    amortize_bucket_sweep(http)
    for channel in range(1000):  # a fan-out to 1,000 channels: one bucket each
        http.get_ratelimit(f"POST /channels/{{channel_id}}/messages:{channel}")
    assert checks == 0  # discord.py alone: 745 sweeps, 467,860 checks

    monkeypatch.setattr(limits, "BUCKET_SWEEP_SECONDS", 0.0)  # a minute has passed
    idle = http.get_ratelimit("POST /channels/{channel_id}/messages:0")
    idle._last_request -= 301  # idle for longer than discord.py keeps a bucket
    http.get_ratelimit("GET /users/@me:")
    assert checks == 1001
    assert "POST /channels/{channel_id}/messages:0" not in http._buckets
    assert len(http._buckets) == 1000  # the other 999 and the new one
