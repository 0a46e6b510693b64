"""Interaction endpoints: the callback that acknowledges an interaction, and its webhook.

The webhook sends, reads, edits and deletes the interaction's messages for 15 minutes.

They need no Authorization header and are outside the global rate limit (`routes` here is
how the application tells them apart).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from aiohttp import web

from bot.emulator import rules
from bot.emulator.rest.answers import ApiError, json_response
from bot.emulator.rest.context import emulator_of
from bot.emulator.rest.lookup import check_application
from bot.emulator.rest.messages import apply_edit, check_body, store_message
from bot.emulator.rest.recording import request_body
from bot.emulator.state import (
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    INTERACTION_AUTOCOMPLETE,
    Interaction,
    Json,
    Message,
)

if TYPE_CHECKING:
    from bot.emulator.server import Emulator

CALLBACK_MESSAGE = 4
CALLBACK_DEFERRED_MESSAGE = 5
CALLBACK_DEFERRED_UPDATE = 6
CALLBACK_UPDATE = 7
CALLBACK_AUTOCOMPLETE = 8

FOLLOWUP_WINDOW_SECONDS = 15 * 60

routes = web.RouteTableDef()

WEBHOOK = "/webhooks/{webhook_id:\\d+}/{webhook_token}"
ORIGINAL = WEBHOOK + "/messages/@original"
FOLLOWUP = WEBHOOK + "/messages/{message_id:\\d+}"


def _interaction_by_token(request: web.Request) -> Interaction:
    """The interaction whose webhook the path names, within its 15 minutes."""
    emulator = emulator_of(request)
    check_application(emulator, request.match_info["webhook_id"])
    token = request.match_info["webhook_token"]
    for interaction in emulator.interactions.values():
        if interaction.token == token:
            if time.monotonic() - interaction.created > FOLLOWUP_WINDOW_SECONDS:
                emulator.breach(f"{interaction.label}: follow-up after 15 minutes")
                raise ApiError(401, 50027, "Invalid Webhook Token")
            return interaction
    raise ApiError(404, 10015, "Unknown Webhook")


def _webhook_message(request: web.Request, interaction: Interaction) -> Message:
    """The original response or a follow-up of `interaction`, as the path names it."""
    message_id = request.match_info.get("message_id")
    if message_id is None:  # @original
        if interaction.response is None:
            raise ApiError(404, 10008, "Unknown Message")
        return interaction.response
    message = emulator_of(request).messages.get(int(message_id))
    if message is None or message not in [interaction.response, *interaction.followups]:
        raise ApiError(404, 10008, "Unknown Message")
    return message


@routes.post("/interactions/{interaction_id:\\d+}/{interaction_token}/callback")
async def create_interaction_response(request: web.Request) -> web.Response:
    """Acknowledge an interaction once, within the deadline, with one of the callback types."""
    emulator = emulator_of(request)
    interaction = emulator.interactions.get(int(request.match_info["interaction_id"]))
    if interaction is None or interaction.token != request.match_info["interaction_token"]:
        raise ApiError(404, 10062, "Unknown interaction")
    if interaction.acknowledged:
        emulator.breach(f"{interaction.label}: acknowledged twice")
        raise ApiError(400, 40060, "Interaction has already been acknowledged.")
    if time.monotonic() - interaction.created > emulator.ack_deadline:
        emulator.breach(f"{interaction.label}: acknowledged after the 3 s deadline")
        raise ApiError(404, 10062, "Unknown interaction")
    body = request_body()
    if not isinstance(body, dict) or not isinstance(body.get("type"), int):
        raise ApiError(400, 50035, "Invalid Form Body")
    kind: int = body["type"]
    data: Json = body.get("data") or {}
    reply: Json = {"id": str(interaction.id), "type": interaction.type}
    result: Json = {"interaction": reply}
    if kind == CALLBACK_AUTOCOMPLETE:
        _answer_autocomplete(emulator, interaction, data)
    elif kind in (CALLBACK_MESSAGE, CALLBACK_DEFERRED_MESSAGE):
        message = _reply(emulator, interaction, kind, data)
        reply.update(
            response_message_id=str(message.id),
            response_message_loading=message.loading,
            response_message_ephemeral=message.ephemeral,
        )
        result["resource"] = {"type": kind}
        if kind == CALLBACK_MESSAGE:
            result["resource"]["message"] = message.to_json()
    elif kind in (CALLBACK_UPDATE, CALLBACK_DEFERRED_UPDATE):
        message = _update(emulator, interaction, kind, data)
        reply["response_message_id"] = str(message.id)
        result["resource"] = {"type": kind}
        if kind == CALLBACK_UPDATE:
            result["resource"]["message"] = message.to_json()
    else:
        raise ApiError(400, 50035, f"Invalid interaction response type {kind}")
    interaction.acknowledged = True
    interaction.callback_type = kind
    return json_response(result)


def _answer_autocomplete(emulator: Emulator, interaction: Interaction, data: Json) -> None:
    """Type 8: the choices, within Discord's limits."""
    if interaction.type != INTERACTION_AUTOCOMPLETE:
        raise ApiError(400, 50035, "Invalid Form Body")
    problems = rules.choice_problems(data.get("choices") or [])
    if problems:
        for problem in problems:
            emulator.breach(f"{interaction.label}: {problem}")
        raise ApiError(400, 50035, "Invalid Form Body", {"_errors": problems})
    interaction.choices = list(data.get("choices") or [])
    interaction.done.set()


def _reply(emulator: Emulator, interaction: Interaction, kind: int, data: Json) -> Message:
    """Types 4 and 5: a reply in the channel, or a loading one to edit later."""
    if kind == CALLBACK_MESSAGE:
        check_body(emulator, interaction.label, data, creating=True)
    flags = int(data.get("flags") or 0) & FLAG_EPHEMERAL
    if kind == CALLBACK_DEFERRED_MESSAGE:
        flags |= FLAG_LOADING
    content = data if kind == CALLBACK_MESSAGE else {}
    message = store_message(
        emulator, interaction.channel_id, content, flags=flags, interaction=interaction
    )
    interaction.response = message
    if kind == CALLBACK_MESSAGE:
        interaction.done.set()
    return message


def _update(emulator: Emulator, interaction: Interaction, kind: int, data: Json) -> Message:
    """Types 6 and 7: the message whose button was pressed, edited now or later."""
    if interaction.source_message is None:
        raise ApiError(400, 50035, "Invalid Form Body")
    message = emulator.messages[interaction.source_message.id]
    if kind == CALLBACK_UPDATE:
        check_body(emulator, interaction.label, data, creating=False)
        apply_edit(message, data)
        interaction.done.set()
    interaction.response = message
    return message


@routes.post(WEBHOOK)
async def create_followup_message(request: web.Request) -> web.Response:
    """A follow-up; the first one after a deferred reply edits the loading message instead."""
    emulator = emulator_of(request)
    interaction = _interaction_by_token(request)
    if not interaction.acknowledged:
        raise ApiError(404, 10015, "Unknown Webhook")
    body: Json = request_body() or {}
    check_body(emulator, interaction.label, body, creating=True)
    original = interaction.response
    if original is not None and original.loading:
        apply_edit(original, body)
        original.flags &= ~FLAG_LOADING
        interaction.done.set()
        return json_response(original.to_json())
    flags = int(body.get("flags") or 0) & FLAG_EPHEMERAL
    message = store_message(
        emulator, interaction.channel_id, body, flags=flags, interaction=interaction
    )
    interaction.followups.append(message)
    return json_response(message.to_json())


@routes.get(ORIGINAL)
@routes.get(FOLLOWUP)
async def get_webhook_message(request: web.Request) -> web.Response:
    """The original response or a follow-up."""
    message = _webhook_message(request, _interaction_by_token(request))
    return json_response(message.to_json())


@routes.patch(ORIGINAL)
@routes.patch(FOLLOWUP)
async def edit_webhook_message(request: web.Request) -> web.Response:
    """Edit the original response (ending its loading state) or a follow-up."""
    interaction = _interaction_by_token(request)
    message = _webhook_message(request, interaction)
    body: Json = request_body() or {}
    check_body(emulator_of(request), interaction.label, body, creating=False)
    apply_edit(message, body)
    if message.loading:
        message.flags &= ~FLAG_LOADING
    interaction.done.set()
    return json_response(message.to_json())


@routes.delete(ORIGINAL)
@routes.delete(FOLLOWUP)
async def delete_webhook_message(request: web.Request) -> web.Response:
    """Delete the original response or a follow-up."""
    message = _webhook_message(request, _interaction_by_token(request))
    message.deleted = True
    return web.Response(status=204)
