"""/plot, /premiere and /trailer, end to end through the emulator."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.client import FanBot
from bot.clock import Clock
from bot.config import Settings
from bot.emulator import DemoWorld, Emulator
from bot.local import running_bot
from tests.cogs.helpers import visible_text

PREMIERE_UNIX = 1_691_046_000  # Thursday 3 August 2023, 07:00 UTC (00:00 in Los Angeles)


async def test_plot_synopsis_lists_the_storylines(emulator: Emulator, bot: FanBot) -> None:
    text = visible_text(await emulator.slash("plot"))
    assert "Paris" in text
    assert "Tara" in text and "Darcy" in text
    assert "Rotten Tomatoes" in text


async def test_storyline_autocomplete_and_spoiler_tags(emulator: Emulator, bot: FanBot) -> None:
    choices = await emulator.autocomplete("plot", "storyline", "mental health")
    assert choices
    reply = await emulator.slash("plot", storyline=choices[0]["value"])
    description = reply.embeds[0]["description"]
    assert description.startswith("||") and description.endswith("||")


async def test_unknown_storyline_is_private(emulator: Emulator, bot: FanBot) -> None:
    reply = await emulator.slash("plot", storyline="dragons")
    assert reply.ephemeral
    assert "dragons" in reply.content


async def test_premiere_uses_discord_timestamps(emulator: Emulator, bot: FanBot) -> None:
    reply = await emulator.slash("premiere")
    text = visible_text(reply)
    assert f"<t:{PREMIERE_UNIX}:F>" in text
    assert f"<t:{PREMIERE_UNIX}:R>" in text
    assert "Netflix" in text
    assert "premiered" in text  # seen from today, it is long past


async def test_premiere_counts_down_on_the_bots_clock(
    emulator: Emulator, world: DemoWorld, settings: Settings
) -> None:
    clock = Clock(datetime(2023, 7, 10, 7, 0, tzinfo=UTC))
    async with running_bot(emulator, settings, clock=clock):
        text = visible_text(await emulator.slash("premiere"))
    assert "24 days to go" in text


async def test_trailer_lists_first_look_and_scene_with_links(
    emulator: Emulator, bot: FanBot
) -> None:
    text = visible_text(await emulator.slash("trailer"))
    assert "First look" in text
    assert "First scene" in text
    assert "Trailer" in text
    assert "Tudum" in text
    assert "https://" in text
