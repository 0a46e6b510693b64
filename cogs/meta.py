"""/about: what the bot is and where its answers come from."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot import __version__, render
from bot.client import FanBot


class Meta(commands.Cog):
    """The bot itself."""

    def __init__(self, bot: FanBot) -> None:
        self.bot = bot

    @app_commands.command(name="about")
    async def about(self, interaction: discord.Interaction[FanBot]) -> None:
        """What this bot is, the shows it knows and its sources."""
        content = self.bot.store.content
        embed = render.about(__version__, await content.packs(), await content.seasons())
        await interaction.response.send_message(embed=embed)


async def setup(bot: FanBot) -> None:
    """Load the extension."""
    await bot.add_cog(Meta(bot))
