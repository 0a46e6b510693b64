"""Who the bot is and where its gateway is: the first requests discord.py sends."""

from __future__ import annotations

from aiohttp import web

from bot.emulator.rest.answers import json_response
from bot.emulator.rest.context import emulator_of

routes = web.RouteTableDef()


@routes.get("/users/@me")
async def get_current_user(request: web.Request) -> web.Response:
    """The bot user."""
    data = emulator_of(request).bot_user.to_json()
    data.update({"verified": True, "mfa_enabled": False, "flags": 0, "email": None})
    return json_response(data)


@routes.get("/applications/@me")
@routes.get("/oauth2/applications/@me")
async def get_current_application(request: web.Request) -> web.Response:
    """The bot's application; its owner is the first guild's owner."""
    emulator = emulator_of(request)
    guilds = emulator.guilds
    owner = emulator.users.get(next(iter(guilds.values())).owner_id) if guilds else None
    return json_response(
        {
            "id": str(emulator.application_id),
            "name": emulator.bot_user.username,
            "icon": None,
            "description": "fanbot on the local Discord emulator",
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": 0,
            "owner": (owner or emulator.bot_user).to_json(),
            "team": None,
            "summary": "",
            "rpc_origins": [],
            "tags": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "approximate_guild_count": len(guilds),
        }
    )


@routes.get("/gateway")
async def get_gateway(request: web.Request) -> web.Response:
    """The gateway's address."""
    return json_response({"url": emulator_of(request).gateway_url})


@routes.get("/gateway/bot")
async def get_gateway_bot(request: web.Request) -> web.Response:
    """The gateway's address, the shard count and the session start limit."""
    emulator = emulator_of(request)
    return json_response(
        {
            "url": emulator.gateway_url,
            "shards": emulator.shard_count,
            "session_start_limit": {
                "total": 1000,
                "remaining": 1000,
                "reset_after": 86_400_000,
                "max_concurrency": 1,
            },
        }
    )
