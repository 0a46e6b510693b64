"""The REST API as one aiohttp application: Discord's routes behind one middleware per job.

In order, each request is recorded, authenticated, given any fault a test injected, held to
the rate limits, and answered by its route; `ApiError`s and unknown routes become Discord's
JSON errors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from bot.emulator.rest import (
    application_commands,
    channels,
    guilds,
    identity,
    interactions,
    scheduled_events,
)
from bot.emulator.rest.answers import discord_errors
from bot.emulator.rest.auth import authenticate
from bot.emulator.rest.context import EMULATOR, INTERACTION_ROUTES

if TYPE_CHECKING:
    from bot.emulator.server import Emulator


def rest_application(emulator: Emulator) -> web.Application:
    """The REST API of `emulator`, to mount at `API_PREFIX`."""
    app = web.Application(
        middlewares=[
            emulator.recorder.middleware,
            authenticate,
            emulator.faults.middleware,
            emulator.limits.middleware,
            discord_errors,
        ],
    )
    app[EMULATOR] = emulator
    for module in (identity, application_commands, channels, guilds, scheduled_events):
        app.router.add_routes(module.routes)
    app[INTERACTION_ROUTES] = frozenset(app.router.add_routes(interactions.routes))
    return app
