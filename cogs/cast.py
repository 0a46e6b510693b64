"""/cast, /character and /actor: who is in the season and who they play."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot import render
from bot.client import FanBot
from bot.content.records import CastFilter, Casting, Season
from bot.errors import UserFacingError
from bot.seasons import SHOW_DESCRIPTION, choices_in_season, season_for, show_autocomplete


class CastPageButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"cast:(?P<season>\d+):(?P<status>all|returning|new):(?P<page>\d+)",
):
    """A page-turning button whose state lives in its custom_id, so it survives restarts."""

    def __init__(self, season_id: int, status: CastFilter, page: int, label: str) -> None:
        super().__init__(
            discord.ui.Button(
                label=label,
                style=discord.ButtonStyle.secondary,
                custom_id=f"cast:{season_id}:{status}:{page}",
            )
        )
        self.season_id, self.status, self.page = season_id, status, page

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> CastPageButton:
        """Rebuild the button from a click."""
        status: CastFilter = match["status"]  # type: ignore[assignment]
        label = item.label if isinstance(item, discord.ui.Button) else None
        return cls(int(match["season"]), status, int(match["page"]), label or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        """Show the page this button points to, in place."""
        bot = interaction.client  # discord.py types an item's click for any client
        assert isinstance(bot, FanBot)  # and only FanBot adds this item
        seasons = {s.id: s for s in await bot.store.content.seasons()}
        season = seasons.get(self.season_id)
        if season is None:
            await interaction.response.send_message(
                "That cast list is out of date: run /cast again.", ephemeral=True
            )
            return
        castings = await bot.store.content.cast(season.id, self.status)
        embed, view = cast_reply(season, castings, self.status, self.page)
        await interaction.response.edit_message(embed=embed, view=view)


def cast_reply(
    season: Season, castings: Sequence[Casting], status: CastFilter, page: int
) -> tuple[discord.Embed, discord.ui.View]:
    """The embed for one page and the buttons to reach its neighbours.

    The two buttons never share a custom_id: on the first page "previous" points at page 0
    and "next" at page 1; on the last, "previous" at the one before and "next" at itself.
    """
    season_id = season.id
    pages = render.cast_page_count(castings)
    page = min(max(page, 0), pages - 1)
    view = discord.ui.View(timeout=None)
    if pages > 1:
        previous = CastPageButton(season_id, status, max(page - 1, 0), "◀ Previous")
        following = CastPageButton(season_id, status, min(page + 1, pages - 1), "Next ▶")
        previous.item.disabled = page == 0
        following.item.disabled = page == pages - 1
        view.add_item(previous)
        view.add_item(following)
    return render.cast_page(season, castings, status, page), view


class Cast(commands.Cog):
    """The season's cast, its characters and its actors."""

    def __init__(self, bot: FanBot) -> None:
        self.bot = bot

    @app_commands.command(name="cast")
    @app_commands.describe(
        filter="Everyone, only the returning cast, or only new faces", show=SHOW_DESCRIPTION
    )
    @app_commands.autocomplete(show=show_autocomplete)
    async def cast(
        self,
        interaction: discord.Interaction[FanBot],
        filter: Literal["all", "returning", "new"] = "all",  # noqa: A002 - the option's name
        show: str | None = None,
    ) -> None:
        """The season's cast: who is back and who is new."""
        season = await season_for(interaction, show)
        castings = await self.bot.store.content.cast(season.id, filter)
        embed, view = cast_reply(season, castings, filter, 0)
        await interaction.response.send_message(embed=embed, view=view)

    @app_commands.command(name="character")
    @app_commands.describe(name="The character's name (start typing)", show=SHOW_DESCRIPTION)
    @app_commands.autocomplete(show=show_autocomplete)
    async def character(
        self,
        interaction: discord.Interaction[FanBot],
        name: app_commands.Range[str, 1, 100],
        show: str | None = None,
    ) -> None:
        """Who plays a character, what we know of them, and their storylines."""
        season = await season_for(interaction, show)
        content = self.bot.store.content
        profile = await content.character(season.id, name)
        if profile is None:
            suggestions = await content.suggest_characters(season.id, name)
            if not suggestions and (actor := await content.person(season.id, name)):
                raise UserFacingError(render.actor_not_character(actor.name, season))
            raise UserFacingError(render.not_found("character", name, season, suggestions))
        await interaction.response.send_message(embed=render.character(season, profile))

    @character.autocomplete("name")
    async def character_name(
        self, interaction: discord.Interaction[FanBot], current: str
    ) -> list[app_commands.Choice[str]]:
        """Characters whose name (or actor) matches what the user typed."""
        return await choices_in_season(
            interaction, current, self.bot.store.content.character_choices
        )

    @app_commands.command(name="actor")
    @app_commands.describe(name="The actor's name (start typing)", show=SHOW_DESCRIPTION)
    @app_commands.autocomplete(show=show_autocomplete)
    async def actor(
        self,
        interaction: discord.Interaction[FanBot],
        name: app_commands.Range[str, 1, 100],
        show: str | None = None,
    ) -> None:
        """An actor's roles and what the sources say about them."""
        season = await season_for(interaction, show)
        content = self.bot.store.content
        profile = await content.person(season.id, name)
        if profile is None:
            suggestions = await content.suggest_people(season.id, name)
            raise UserFacingError(render.not_found("cast member", name, season, suggestions))
        await interaction.response.send_message(embed=render.person(profile))

    @actor.autocomplete("name")
    async def actor_name(
        self, interaction: discord.Interaction[FanBot], current: str
    ) -> list[app_commands.Choice[str]]:
        """Actors whose name (or character) matches what the user typed."""
        return await choices_in_season(interaction, current, self.bot.store.content.person_choices)


async def setup(bot: FanBot) -> None:
    """Load the extension."""
    bot.add_dynamic_items(CastPageButton)
    await bot.add_cog(Cast(bot))
