"""The bot's application commands, global and per guild, as it overwrites and lists them."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.emulator.commands import CommandRegistry, EmulatorError
from bot.emulator.rest.answers import ApiError, json_response
from bot.emulator.rest.context import emulator_of
from bot.emulator.rest.lookup import check_application, guild_of
from bot.emulator.rest.recording import request_body
from bot.emulator.state import Json

routes = web.RouteTableDef()

GLOBAL = "/applications/{application_id:\\d+}/commands"
GUILD = "/applications/{application_id:\\d+}/guilds/{guild_id:\\d+}/commands"


def _command_list(body: Any) -> list[Json]:
    """The body of a bulk overwrite, if Discord would accept it (else 400)."""
    if not isinstance(body, list):
        raise ApiError(400, 50035, "Invalid Form Body")
    try:
        CommandRegistry.validate(body)
    except EmulatorError as exc:
        raise ApiError(400, 50035, "Invalid Form Body", {"_errors": str(exc)}) from None
    return body


@routes.put(GLOBAL)
async def overwrite_global_commands(request: web.Request) -> web.Response:
    """Replace the global commands."""
    emulator = emulator_of(request)
    check_application(emulator, request.match_info["application_id"])
    return json_response(emulator.commands.replace(None, _command_list(request_body())))


@routes.get(GLOBAL)
async def get_global_commands(request: web.Request) -> web.Response:
    """The global commands."""
    emulator = emulator_of(request)
    check_application(emulator, request.match_info["application_id"])
    return json_response(emulator.commands.listing(None))


@routes.put(GUILD)
async def overwrite_guild_commands(request: web.Request) -> web.Response:
    """Replace the commands of one guild."""
    emulator = emulator_of(request)
    check_application(emulator, request.match_info["application_id"])
    guild = guild_of(emulator, request.match_info["guild_id"])
    return json_response(emulator.commands.replace(guild.id, _command_list(request_body())))


@routes.get(GUILD)
async def get_guild_commands(request: web.Request) -> web.Response:
    """The commands of one guild."""
    emulator = emulator_of(request)
    check_application(emulator, request.match_info["application_id"])
    return json_response(emulator.commands.listing(int(request.match_info["guild_id"])))
