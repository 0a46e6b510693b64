"""The optional `show` option every content command takes, and how it resolves."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.content.records import Choice, Season
from bot.errors import UserFacingError
from bot.render import no_season

if TYPE_CHECKING:
    from bot.client import FanBot

SHOW_DESCRIPTION = "Which show and season (default: the current season)"


async def season_for(
    interaction: discord.Interaction[FanBot], choice: str | None, *, upcoming_first: bool = False
) -> Season:
    """The season an interaction asks about: its `show` value, or the current season.

    `upcoming_first`: without a `show`, the season whose premiere comes next, if any.
    """
    bot = interaction.client
    content = bot.store.content
    season = None
    if choice:
        season = await content.season_by_choice(choice)
    else:
        if upcoming_first:
            season = await content.next_premiere_season(bot.clock.now())
        season = season or await content.resolve_season()
    if season is None:
        raise UserFacingError(no_season(choice))
    return season


async def season_or_default(interaction: discord.Interaction[FanBot]) -> Season | None:
    """For autocomplete: the season named in the options typed so far, or the default."""
    content = interaction.client.store.content
    choice = getattr(interaction.namespace, "show", None)
    if isinstance(choice, str) and choice:
        return await content.season_by_choice(choice)
    return await content.resolve_season()


async def choices_in_season(
    interaction: discord.Interaction[FanBot],
    current: str,
    search: Callable[[int, str], Awaitable[list[Choice]]],
) -> list[app_commands.Choice[str]]:
    """Autocomplete from `search` (a store lookup) in the season the options name so far."""
    season = await season_or_default(interaction)
    if season is None:
        return []
    return [
        app_commands.Choice(name=c.name, value=c.value) for c in await search(season.id, current)
    ]


async def show_autocomplete(
    interaction: discord.Interaction[FanBot], current: str
) -> list[app_commands.Choice[str]]:
    """Offer the loaded shows and seasons matching what the user typed."""
    choices = await interaction.client.store.content.season_choices(current)
    return [app_commands.Choice(name=c.name, value=c.value) for c in choices]
