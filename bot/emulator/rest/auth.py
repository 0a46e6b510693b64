"""The bot's token on every request, as Discord checks it."""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.emulator.rest.answers import error_response
from bot.emulator.rest.context import emulator_of, is_interaction_endpoint


@web.middleware
async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse a request without `Authorization: Bot <token>` with Discord's 401.

    Interaction endpoints are authorised by the interaction's token in their path instead.
    """
    expected = f"Bot {emulator_of(request).token}"
    if is_interaction_endpoint(request) or request.headers.get("Authorization") == expected:
        return await handler(request)
    return error_response(401, 0, "401: Unauthorized")
