"""/plot, /premiere and /trailer: what the season is about and when it arrives."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.client import FanBot
from bot.content.records import EventKind
from bot.errors import UserFacingError
from bot.seasons import SHOW_DESCRIPTION, choices_in_season, season_for, show_autocomplete

SHOWCASE_KINDS: tuple[EventKind, ...] = ("trailer", "first_look", "first_scene")


class Plot(commands.Cog):
    """The season's story and its dates."""

    def __init__(self, bot: FanBot) -> None:
        self.bot = bot

    @app_commands.command(name="plot")
    @app_commands.describe(
        storyline="One storyline to read about (start typing); leave empty for the synopsis",
        show=SHOW_DESCRIPTION,
    )
    @app_commands.autocomplete(show=show_autocomplete)
    async def plot(
        self,
        interaction: discord.Interaction[FanBot],
        storyline: app_commands.Range[str, 1, 100] | None = None,
        show: str | None = None,
    ) -> None:
        """The season's synopsis, or one storyline (spoilers stay hidden until clicked)."""
        season = await season_for(interaction, show)
        content = self.bot.store.content
        if storyline is None:
            embed = render.synopsis(
                season, await content.storylines(season.id), await content.notes(season.id)
            )
            await interaction.response.send_message(embed=embed)
            return
        item = await content.storyline(season.id, storyline)
        if item is None:
            suggestions = await content.suggest_storylines(season.id, storyline)
            raise UserFacingError(render.not_found("storyline", storyline, season, suggestions))
        await interaction.response.send_message(embed=render.storyline(season, item))

    @plot.autocomplete("storyline")
    async def storyline_name(
        self, interaction: discord.Interaction[FanBot], current: str
    ) -> list[app_commands.Choice[str]]:
        """Storylines whose title matches what the user typed."""
        return await choices_in_season(
            interaction, current, self.bot.store.content.storyline_choices
        )

    @app_commands.command(name="premiere")
    @app_commands.describe(show=SHOW_DESCRIPTION)
    @app_commands.autocomplete(show=show_autocomplete)
    async def premiere(
        self, interaction: discord.Interaction[FanBot], show: str | None = None
    ) -> None:
        """When the season arrives, in your own time zone, and how long to go."""
        season = await season_for(interaction, show, upcoming_first=True)
        event = await self.bot.store.content.premiere(season.id)
        embed = render.premiere(season, event, self.bot.clock.now())
        await interaction.response.send_message(embed=embed)

    @app_commands.command(name="trailer")
    @app_commands.describe(show=SHOW_DESCRIPTION)
    @app_commands.autocomplete(show=show_autocomplete)
    async def trailer(
        self, interaction: discord.Interaction[FanBot], show: str | None = None
    ) -> None:
        """The trailer, the first look and the first scene, with links."""
        season = await season_for(interaction, show)
        events = await self.bot.store.content.events(season.id, SHOWCASE_KINDS)
        await interaction.response.send_message(embed=render.trailers(season, events))


async def setup(bot: FanBot) -> None:
    """Load the extension."""
    await bot.add_cog(Plot(bot))
