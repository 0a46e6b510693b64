"""A guild's scheduled events: list, read, create, modify and delete them.

Each change reaches the bot as a gateway event if it identified with the
GUILD_SCHEDULED_EVENTS intent.
"""

from __future__ import annotations

from aiohttp import web
from discord import Permissions

from bot.emulator.rest.answers import ApiError, json_response
from bot.emulator.rest.context import emulator_of
from bot.emulator.rest.lookup import guild_of
from bot.emulator.rest.recording import request_body
from bot.emulator.scheduling import ScheduledEventError, create_event, modify_event
from bot.emulator.state import Guild, Json, ScheduledEvent

routes = web.RouteTableDef()

EVENTS = "/guilds/{guild_id:\\d+}/scheduled-events"
EVENT = EVENTS + "/{guild_scheduled_event_id:\\d+}"


def _event_in(request: web.Request, guild: Guild) -> ScheduledEvent:
    """The event the path names (else 404 Unknown Guild Scheduled Event)."""
    event = guild.scheduled_events.get(int(request.match_info["guild_scheduled_event_id"]))
    if event is None:
        raise ApiError(404, 10070, "Unknown Guild Scheduled Event")
    return event


def _managed_guild(request: web.Request) -> Guild:
    """The guild, if the bot may manage its events (else 403 Missing Permissions)."""
    emulator = emulator_of(request)
    guild = guild_of(emulator, request.match_info["guild_id"])
    if not Permissions(guild.base_permissions(emulator.bot_user.id)).manage_events:
        raise ApiError(403, 50013, "Missing Permissions")
    return guild


def _json_body() -> Json:
    body = request_body()
    if not isinstance(body, dict):
        raise ApiError(400, 50035, "Invalid Form Body")
    return body


def _with_user_count(request: web.Request) -> bool:
    """Discord's boolean query string `with_user_count` ("true" or "1")."""
    return request.query.get("with_user_count", "").lower() in ("true", "1")


@routes.get(EVENTS)
async def list_scheduled_events(request: web.Request) -> web.Response:
    """The guild's events, with their user counts when asked."""
    guild = guild_of(emulator_of(request), request.match_info["guild_id"])
    counted = _with_user_count(request)
    return json_response(
        [e.to_json(with_user_count=counted) for e in guild.scheduled_events.values()]
    )


@routes.get(EVENT)
async def get_scheduled_event(request: web.Request) -> web.Response:
    """One event, with its user count when asked."""
    event = _event_in(request, guild_of(emulator_of(request), request.match_info["guild_id"]))
    return json_response(event.to_json(with_user_count=_with_user_count(request)))


@routes.post(EVENTS)
async def create_scheduled_event(request: web.Request) -> web.Response:
    """A new event, if the body follows Discord's rules for its entity type."""
    emulator = emulator_of(request)
    guild = _managed_guild(request)
    body = _json_body()
    try:
        event = create_event(
            guild,
            body,
            event_id=emulator.ids.next(),
            creator=emulator.bot_user,
            now=emulator.clock(),
        )
    except ScheduledEventError as exc:
        raise ApiError(400, exc.code, exc.message, exc.errors()) from None
    guild.scheduled_events[event.id] = event
    await emulator.scheduled_event_changed(event, "GUILD_SCHEDULED_EVENT_CREATE")
    return json_response(event.to_json(with_user_count=False))


@routes.patch(EVENT)
async def modify_scheduled_event(request: web.Request) -> web.Response:
    """Change an event, through the status transitions Discord allows."""
    emulator = emulator_of(request)
    guild = _managed_guild(request)
    event = _event_in(request, guild)
    body = _json_body()
    try:
        event = modify_event(guild, event, body, now=emulator.clock())
    except ScheduledEventError as exc:
        raise ApiError(400, exc.code, exc.message, exc.errors()) from None
    guild.scheduled_events[event.id] = event
    await emulator.scheduled_event_changed(event, "GUILD_SCHEDULED_EVENT_UPDATE")
    return json_response(event.to_json(with_user_count=False))


@routes.delete(EVENT)
async def delete_scheduled_event(request: web.Request) -> web.Response:
    """Delete an event."""
    emulator = emulator_of(request)
    guild = _managed_guild(request)
    event = guild.scheduled_events.pop(_event_in(request, guild).id)
    await emulator.scheduled_event_changed(event, "GUILD_SCHEDULED_EVENT_DELETE")
    return web.Response(status=204)
