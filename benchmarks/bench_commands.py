"""Command overhead: /character and its autocomplete, fanbot against a bare discord.py bot.

All bots run in this process, each against a fresh in-process emulator, with the same
discord.py, one after the other in rounds (bare, bare with an embed, fanbot, fanbot with its
content cache off), every other round in reverse, so that drift of a noisy machine hits
all of them alike.

- bare: an AutoShardedBot with the same intents whose /character answers a constant string
  and whose autocomplete offers one constant choice. The issue's target is against it.
- bare_embed: the same bot answering with the very embed fanbot sends for "Nick", built
  once before the run. The gap between bare and bare_embed is what sending, checking and
  parsing an embed costs in discord.py and the emulator; the gap between bare_embed and
  fanbot is what fanbot's own work (options, lookups, the card) adds.

A round trip is the emulator sending INTERACTION_CREATE until it has the bot's answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from benchmarks.common import REPO, ratio_interval, summary_ms, until_ready
from bot import render
from bot.client import FanBot, minimal_intents
from bot.config import Settings
from bot.emulator import Emulator, populate_demo_world
from bot.endpoints import point_discord_at, silence_voice_warnings
from bot.store import Store


class BareBot(commands.AutoShardedBot):
    """discord.py and nothing else: /character answers a constant string, or `embed`."""

    def __init__(self, embed: discord.Embed | None = None) -> None:
        self.embed = embed
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=minimal_intents(),
            help_command=None,
            guild_ready_timeout=0.05,
        )

    async def setup_hook(self) -> None:
        @app_commands.command(name="character", description="A character")
        async def character(interaction: discord.Interaction, name: str) -> None:
            if self.embed is not None:
                await interaction.response.send_message(embed=self.embed)
            else:
                await interaction.response.send_message("Nick Nelson is played by Kit Connor.")

        @character.autocomplete("name")
        async def names(interaction: discord.Interaction, current: str) -> list[Any]:
            return [app_commands.Choice(name="Nick Nelson — Kit Connor", value="nick-nelson")]

        self.tree.add_command(character)
        await self.tree.sync()


@contextlib.asynccontextmanager
async def running(bot: commands.AutoShardedBot, emulator: Emulator) -> AsyncIterator[None]:
    point_discord_at(emulator.api_base, emulator.gateway_url)
    silence_voice_warnings()
    runner = asyncio.create_task(bot.start(emulator.token))
    try:
        await until_ready(bot, runner, 60)
        for _ in range(600):  # commands synced
            if emulator.commands.listing(None):
                break
            await asyncio.sleep(0.05)
        yield
    finally:
        await bot.close()
        with contextlib.suppress(asyncio.CancelledError):
            await runner


async def measure(emulator: Emulator, n: int) -> tuple[list[float], list[float]]:
    slash: list[float] = []
    complete: list[float] = []
    for i in range(n + 5):
        start = time.perf_counter()
        await emulator.slash("character", name="Nick")
        middle = time.perf_counter()
        await emulator.autocomplete("character", "name", "ni")
        end = time.perf_counter()
        if i >= 5:  # warm-up
            slash.append(middle - start)
            complete.append(end - middle)
    return slash, complete


async def fanbot_answer(settings: Settings) -> discord.Embed:
    """The embed fanbot answers /character name:Nick with, from the bundled pack."""
    async with await Store.open(settings.db_path) as store:
        await store.import_dir(settings.content_dir)
        season = await store.content.resolve_season()
        assert season is not None
        profile = await store.content.character(season.id, "Nick")
        assert profile is not None
        return render.character(season, profile)


async def run(n: int = 300, rounds: int = 2) -> dict[str, Any]:
    logging.getLogger("discord").setLevel(logging.ERROR)
    variants = ("bare", "bare_embed", "fanbot", "fanbot_uncached")
    results: dict[str, dict[str, list[float]]] = {
        name: {"slash": [], "autocomplete": []} for name in variants
    }
    with tempfile.TemporaryDirectory() as tmp:
        settings = dataclasses.replace(
            Settings(),
            db_path=Path(tmp) / "fanbot.sqlite3",
            content_dir=REPO / "data" / "content",
        )
        embed = await fanbot_answer(settings)
        for round_number in range(rounds):
            # Every other round in reverse (A B C D, D C B A, ...) so that a drift of the
            # machine over a round weighs on every variant alike.
            order = variants if round_number % 2 == 0 else variants[::-1]
            for name in order:
                bot: commands.AutoShardedBot
                if name.startswith("bare"):
                    bot = BareBot(embed if name == "bare_embed" else None)
                else:
                    bot = FanBot(settings, guild_ready_timeout=0.05)
                # A fresh emulator each time: none inherits the messages another one left.
                async with Emulator() as emulator:
                    populate_demo_world(emulator)
                    async with running(bot, emulator):
                        if isinstance(bot, FanBot) and name == "fanbot_uncached":
                            bot.store.content.cache_size = 0  # every answer from SQLite
                        slash, complete = await measure(emulator, n)
                results[name]["slash"] += slash
                results[name]["autocomplete"] += complete
    out: dict[str, Any] = {"iterations": n * rounds}
    for what in ("slash", "autocomplete"):
        samples = {name: results[name][what] for name in variants}
        f = {name: summary_ms(samples[name]) for name in variants}
        out[what] = {
            **f,
            "median_ratio": round(f["fanbot"]["median_ms"] / f["bare"]["median_ms"], 3),
            "median_ratio_95": ratio_interval(samples["fanbot"], samples["bare"]),
            "p99_ratio": round(f["fanbot"]["p99_ms"] / f["bare"]["p99_ms"], 3),
            "uncached_median_ratio": round(
                f["fanbot_uncached"]["median_ms"] / f["bare"]["median_ms"], 3
            ),
        }
        if what == "slash":  # the autocomplete answer is the same whatever the message
            out[what]["embed_cost_ratio"] = round(
                f["bare_embed"]["median_ms"] / f["bare"]["median_ms"], 3
            )
            out[what]["embed_cost_ratio_95"] = ratio_interval(
                samples["bare_embed"], samples["bare"]
            )
            out[what]["over_bare_embed_ratio"] = round(
                f["fanbot"]["median_ms"] / f["bare_embed"]["median_ms"], 3
            )
            out[what]["over_bare_embed_ratio_95"] = ratio_interval(
                samples["fanbot"], samples["bare_embed"]
            )
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(asyncio.run(run(50, 1)), indent=2))
