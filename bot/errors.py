"""The one place app-command errors end up: logged with an id, answered ephemerally."""

from __future__ import annotations

import logging
import secrets

import discord
from discord import app_commands

log = logging.getLogger(__name__)


class UserFacingError(app_commands.AppCommandError):
    """An error whose message is meant for the person who ran the command."""


PERMISSION_NAMES = {"manage_guild": "Manage Server", "manage_events": "Manage Events"}


def _permission_names(permissions: list[str]) -> str:
    return ", ".join(PERMISSION_NAMES.get(p, p.replace("_", " ").title()) for p in permissions)


def _describe(error: app_commands.AppCommandError) -> str | None:
    """A friendly sentence for errors that are the user's or the server's doing."""
    if isinstance(error, UserFacingError):
        return str(error)
    if isinstance(error, app_commands.MissingPermissions):
        needed = _permission_names(error.missing_permissions)
        return f"You need the {needed} permission to use this command."
    if isinstance(error, app_commands.BotMissingPermissions):
        needed = _permission_names(error.missing_permissions)
        return f"I need the {needed} permission here to do that."
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command works only inside a server."
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down a little: try again in {error.retry_after:.0f} s."
    if isinstance(error, app_commands.TransformerError):
        return f"I couldn't understand {str(error.value)[:100]!r} for that option."
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use this command here."
    return None


async def reply_privately(interaction: discord.Interaction, text: str) -> None:
    """Answer ephemerally, whether or not the interaction was answered already."""
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not tell the user about an error (interaction %s)", interaction.id)


class FanTree(app_commands.CommandTree[discord.Client]):
    """A CommandTree whose error handler explains or logs every failure."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """Tell the user what went wrong; log anything unexpected with an id to quote."""
        friendly = _describe(error)
        if friendly is not None:
            await reply_privately(interaction, friendly)
            return
        error_id = secrets.token_hex(4)
        command = interaction.command.qualified_name if interaction.command else "?"
        original = getattr(error, "original", error)
        log.error(
            "error %s in /%s (guild %s)",
            error_id,
            command,
            interaction.guild_id,
            exc_info=(type(original), original, original.__traceback__),
        )
        await reply_privately(
            interaction,
            f"Something went wrong on my side, sorry! If it keeps happening, give the "
            f"server admins this error id: `{error_id}`.",
        )
