"""Channels and their messages: read a channel, post, list, read, edit and delete messages."""

from __future__ import annotations

import time

from aiohttp import web

from bot.emulator.rest.answers import ApiError, json_response
from bot.emulator.rest.context import emulator_of
from bot.emulator.rest.lookup import channel_of, require
from bot.emulator.rest.messages import apply_edit, check_body, store_message
from bot.emulator.rest.recording import request_body
from bot.emulator.state import Channel, Guild, Json, Message, snowflake_time

routes = web.RouteTableDef()

CHANNEL = "/channels/{channel_id:\\d+}"
MESSAGES = CHANNEL + "/messages"
MESSAGE = MESSAGES + "/{message_id:\\d+}"


def _message_in(request: web.Request) -> tuple[Guild, Channel, Message]:
    """The message the path names, in the channel it names (else 404 Unknown Message)."""
    emulator = emulator_of(request)
    guild, channel = channel_of(emulator, request.match_info["channel_id"])
    message = emulator.messages.get(int(request.match_info["message_id"]))
    if message is None or message.channel_id != channel.id or message.deleted:
        raise ApiError(404, 10008, "Unknown Message")
    return guild, channel, message


@routes.get(CHANNEL)
async def get_channel(request: web.Request) -> web.Response:
    """The channel, if the bot can see it."""
    emulator = emulator_of(request)
    guild, channel = channel_of(emulator, request.match_info["channel_id"])
    require(emulator, guild, channel)
    return json_response(channel.to_json())


@routes.post(MESSAGES)
async def create_message(request: web.Request) -> web.Response:
    """Post a message; under `enforce_nonce` a repeated nonce returns the message it made."""
    emulator = emulator_of(request)
    guild, channel = channel_of(emulator, request.match_info["channel_id"])
    require(emulator, guild, channel, "send_messages")
    body: Json = request_body() or {}
    check_body(emulator, f"message in #{channel.name}", body, creating=True)
    if body.get("embeds"):
        require(emulator, guild, channel, "send_messages", "embed_links")
    nonce = body.get("nonce")
    if nonce is not None and body.get("enforce_nonce"):
        for existing in reversed(list(emulator.messages.values())):
            if (
                existing.channel_id == channel.id
                and existing.nonce == nonce
                and existing.author.id == emulator.bot_user.id
                and time.time() - snowflake_time(existing.id) < emulator.nonce_window
            ):
                return json_response(existing.to_json())
    message = store_message(emulator, channel.id, body, flags=0, nonce=nonce)
    await emulator.message_posted(message)
    return json_response(message.to_json())


@routes.get(MESSAGES)
async def get_channel_messages(request: web.Request) -> web.Response:
    """The newest messages (`limit`, 50 by default), `before` or `after` a message id."""
    emulator = emulator_of(request)
    guild, channel = channel_of(emulator, request.match_info["channel_id"])
    require(emulator, guild, channel, "read_message_history")
    try:
        limit = min(max(int(request.query.get("limit", "50")), 1), 100)
        before = int(request.query.get("before", "0")) or None
        after = int(request.query.get("after", "0"))
    except ValueError:
        raise ApiError(400, 50035, "Invalid Form Body") from None
    found = [
        m
        for m in reversed(emulator.channel_messages(channel))
        if (before is None or m.id < before) and m.id > after
    ]
    return json_response([m.to_json() for m in found[:limit]])


@routes.get(MESSAGE)
async def get_channel_message(request: web.Request) -> web.Response:
    """One message."""
    guild, channel, message = _message_in(request)
    require(emulator_of(request), guild, channel, "read_message_history")
    return json_response(message.to_json())


@routes.patch(MESSAGE)
async def edit_message(request: web.Request) -> web.Response:
    """Edit one of the bot's own messages."""
    emulator = emulator_of(request)
    _, channel, message = _message_in(request)
    if message.author.id != emulator.bot_user.id:
        raise ApiError(403, 50005, "Cannot edit a message authored by another user")
    body: Json = request_body() or {}
    check_body(emulator, f"edit in #{channel.name}", body, creating=False)
    apply_edit(message, body)
    return json_response(message.to_json())


@routes.delete(MESSAGE)
async def delete_message(request: web.Request) -> web.Response:
    """Delete a message."""
    _, _, message = _message_in(request)
    message.deleted = True
    return web.Response(status=204)
