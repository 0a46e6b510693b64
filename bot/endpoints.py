"""Where discord.py sends its requests: Discord itself, a REST proxy, or the emulator.

discord.py reads two class attributes: `Route.BASE` for REST and
`DiscordWebSocket.DEFAULT_GATEWAY` for the gateway. Pointing them elsewhere leaves the
library itself unmodified.
"""

from __future__ import annotations

import discord
import discord.gateway
import discord.http
import yarl

DISCORD_API_BASE = "https://discord.com/api/v10"
DISCORD_GATEWAY = "wss://gateway.discord.gg/"


def point_discord_at(api_base: str | None, gateway_url: str | None) -> None:
    """Send discord.py's REST calls to `api_base` and its gateway to `gateway_url`."""
    discord.http.Route.BASE = (api_base or DISCORD_API_BASE).rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url or DISCORD_GATEWAY)


def silence_voice_warnings() -> None:
    """The bot never joins voice: don't warn at start-up that voice libraries are missing."""
    discord.VoiceClient.warn_nacl = False
    discord.VoiceClient.warn_dave = False
