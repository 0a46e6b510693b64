"""What every part of the REST application reads from a request.

The emulator it serves, the path below the API prefix (as Discord's route templates and the
tests' fault patterns name it) and whether the route is an interaction endpoint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from aiohttp.web_urldispatcher import AbstractRoute

    from bot.emulator.server import Emulator

API_PREFIX = "/api/v10"

EMULATOR: web.AppKey[Emulator] = web.AppKey("emulator")
# Interaction endpoints need no Authorization and are outside the global rate limit.
INTERACTION_ROUTES: web.AppKey[frozenset[AbstractRoute]] = web.AppKey("interaction_routes")


def emulator_of(request: web.Request) -> Emulator:
    """The emulator whose REST API answers `request`."""
    return request.app[EMULATOR]


def api_path(request: web.Request) -> str:
    """The request's path below the API prefix: `/channels/1/messages`."""
    return request.path.removeprefix(API_PREFIX)


def route_template(request: web.Request) -> str | None:
    """The path template of the request's route below the API prefix; None if unknown."""
    resource = request.match_info.route.resource
    return None if resource is None else resource.canonical.removeprefix(API_PREFIX)


def is_interaction_endpoint(request: web.Request) -> bool:
    """Whether the request answers an interaction (a callback or its webhook)."""
    return request.match_info.route in request.app[INTERACTION_ROUTES]
