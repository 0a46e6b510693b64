"""A guild as the bot sees it: the guild, its channels, roles and members."""

from __future__ import annotations

from aiohttp import web

from bot.emulator.rest.answers import ApiError, json_response
from bot.emulator.rest.context import emulator_of
from bot.emulator.rest.lookup import guild_of

routes = web.RouteTableDef()

GUILD = "/guilds/{guild_id:\\d+}"


@routes.get(GUILD)
async def get_guild(request: web.Request) -> web.Response:
    """The guild, with the day the bot joined it."""
    emulator = emulator_of(request)
    guild = guild_of(emulator, request.match_info["guild_id"])
    return json_response(guild.to_json(joined_at=guild.members[emulator.bot_user.id].joined_at))


@routes.get(GUILD + "/channels")
async def get_guild_channels(request: web.Request) -> web.Response:
    """The guild's channels."""
    guild = guild_of(emulator_of(request), request.match_info["guild_id"])
    return json_response([c.to_json() for c in guild.channels.values()])


@routes.get(GUILD + "/roles")
async def get_guild_roles(request: web.Request) -> web.Response:
    """The guild's roles."""
    guild = guild_of(emulator_of(request), request.match_info["guild_id"])
    return json_response([r.to_json() for r in guild.roles.values()])


@routes.get(GUILD + "/members/{user_id:\\d+}")
async def get_guild_member(request: web.Request) -> web.Response:
    """One member of the guild."""
    guild = guild_of(emulator_of(request), request.match_info["guild_id"])
    member = guild.members.get(int(request.match_info["user_id"]))
    if member is None:
        raise ApiError(404, 10007, "Unknown Member")
    return json_response(member.to_json())
