"""Discord's REST endpoints over the emulator's world, mixed into `Emulator`.

Identity, command sync, interaction callbacks and webhook follow-ups, channels and
messages, guilds and their scheduled events. Each answers as Discord does, errors included
(`ApiError`), and enforces the rules Discord enforces on the bodies it receives.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from aiohttp import web
from discord import Permissions

from bot.emulator import rules
from bot.emulator.commands import CommandRegistry, EmulatorError
from bot.emulator.gateway import INTENT_GUILD_SCHEDULED_EVENTS
from bot.emulator.scheduling import ScheduledEventError, create_event, modify_event
from bot.emulator.state import (
    FLAG_EPHEMERAL,
    FLAG_LOADING,
    Channel,
    Guild,
    Json,
    Message,
    ScheduledEvent,
    Snowflakes,
    User,
    iso_now,
)

INTERACTION_PING = 1
INTERACTION_COMMAND = 2
INTERACTION_COMPONENT = 3
INTERACTION_AUTOCOMPLETE = 4

CALLBACK_MESSAGE = 4
CALLBACK_DEFERRED_MESSAGE = 5
CALLBACK_DEFERRED_UPDATE = 6
CALLBACK_UPDATE = 7
CALLBACK_AUTOCOMPLETE = 8

ACK_DEADLINE_SECONDS = 3.0
FOLLOWUP_WINDOW_SECONDS = 15 * 60
NONCE_WINDOW_SECONDS = 300


@dataclass(slots=True)
class Interaction:
    """An interaction the emulator sent the bot, and everything the bot answered."""

    id: int
    token: str
    type: int
    guild_id: int
    channel_id: int
    user: User
    created: float
    label: str
    source_message: Message | None = None
    acknowledged: bool = False
    callback_type: int | None = None
    response: Message | None = None
    followups: list[Message] = field(default_factory=list)
    choices: list[Json] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)


class ApiError(Exception):
    """An error answer, shaped as Discord shapes them."""

    def __init__(self, status: int, code: int, message: str, errors: Json | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors


def json_response(data: Any, status: int = 200) -> web.Response:
    """A JSON answer, with the exact Content-Type discord.py expects."""
    return web.Response(status=status, body=orjson.dumps(data), content_type="application/json")


class RestHandlers:
    """The REST handlers. `Emulator` provides the world they read and change."""

    bot_user: User
    users: dict[int, User]
    guilds: dict[int, Guild]
    messages: dict[int, Message]
    commands: CommandRegistry
    interactions: dict[int, Interaction]
    ids: Snowflakes
    application_id: int
    shard_count: int
    ack_deadline: float
    nonce_window: float
    clock: Callable[[], datetime]
    _message_listeners: list[Callable[[Message], Awaitable[None] | None]]

    def channel_messages(self, channel: Channel) -> list[Message]:
        """Messages in a channel, oldest first (the emulator's)."""
        raise NotImplementedError

    @property
    def gateway_url(self) -> str:
        """The gateway address (the emulator's)."""
        raise NotImplementedError

    def _breach(self, rule: str) -> None:
        """Record that the bot broke one of Discord's rules (the emulator's)."""
        raise NotImplementedError

    async def notify_guild(self, guild_id: int, event: str, data: Json, *, intent: int = 0) -> None:
        """Send a gateway event if the bot is there to hear it (the emulator's)."""
        raise NotImplementedError

    def _error(
        self, status: int, code: int, message: str, errors: Json | None = None
    ) -> web.Response:
        body: Json = {"message": message, "code": code}
        if errors:
            body["errors"] = errors
        return json_response(body, status)

    # --- identity

    async def _get_me(self, request: web.Request, body: Any) -> web.Response:
        data = self.bot_user.to_json()
        data.update({"verified": True, "mfa_enabled": False, "flags": 0, "email": None})
        return json_response(data)

    async def _get_application(self, request: web.Request, body: Any) -> web.Response:
        owner = self.users.get(next(iter(self.guilds.values())).owner_id) if self.guilds else None
        return json_response(
            {
                "id": str(self.application_id),
                "name": self.bot_user.username,
                "icon": None,
                "description": "fanbot on the local Discord emulator",
                "bot_public": True,
                "bot_require_code_grant": False,
                "verify_key": "0" * 64,
                "flags": 0,
                "owner": (owner or self.bot_user).to_json(),
                "team": None,
                "summary": "",
                "rpc_origins": [],
                "tags": [],
                "redirect_uris": [],
                "interactions_endpoint_url": None,
                "approximate_guild_count": len(self.guilds),
            }
        )

    async def _get_gateway(self, request: web.Request, body: Any) -> web.Response:
        return json_response({"url": self.gateway_url})

    async def _get_gateway_bot(self, request: web.Request, body: Any) -> web.Response:
        return json_response(
            {
                "url": self.gateway_url,
                "shards": self.shard_count,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000,
                    "reset_after": 86_400_000,
                    "max_concurrency": 1,
                },
            }
        )

    # --- commands

    def _check_app(self, app_id: str) -> None:
        if int(app_id) != self.application_id:
            raise ApiError(403, 50001, "Missing Access")

    async def _put_global_commands(self, request: web.Request, body: Any, app: str) -> web.Response:
        self._check_app(app)
        return json_response(self.commands.replace(None, self._command_list(body)))

    async def _get_global_commands(self, request: web.Request, body: Any, app: str) -> web.Response:
        self._check_app(app)
        return json_response(self.commands.listing(None))

    async def _put_guild_commands(
        self, request: web.Request, body: Any, app: str, guild_id: str
    ) -> web.Response:
        self._check_app(app)
        self._guild(guild_id)
        return json_response(self.commands.replace(int(guild_id), self._command_list(body)))

    async def _get_guild_commands(
        self, request: web.Request, body: Any, app: str, guild_id: str
    ) -> web.Response:
        self._check_app(app)
        return json_response(self.commands.listing(int(guild_id)))

    @staticmethod
    def _command_list(body: Any) -> list[Json]:
        if not isinstance(body, list):
            raise ApiError(400, 50035, "Invalid Form Body")
        try:
            CommandRegistry.validate(body)
        except EmulatorError as exc:
            raise ApiError(400, 50035, "Invalid Form Body", {"_errors": str(exc)}) from None
        return body

    # --- interactions

    def _interaction(self, interaction_id: str, token: str) -> Interaction:
        interaction = self.interactions.get(int(interaction_id))
        if interaction is None or interaction.token != token:
            raise ApiError(404, 10062, "Unknown interaction")
        return interaction

    def _interaction_by_token(self, app: str, token: str) -> Interaction:
        self._check_app(app)
        for interaction in self.interactions.values():
            if interaction.token == token:
                if time.monotonic() - interaction.created > FOLLOWUP_WINDOW_SECONDS:
                    self._breach(f"{interaction.label}: follow-up after 15 minutes")
                    raise ApiError(401, 50027, "Invalid Webhook Token")
                return interaction
        raise ApiError(404, 10015, "Unknown Webhook")

    def _check_body(self, label: str, body: Json, *, creating: bool) -> None:
        problems = rules.message_problems(body, creating=creating)
        if problems:
            for problem in problems:
                self._breach(f"{label}: {problem}")
            code = 50006 if problems == ["Cannot send an empty message"] else 50035
            message = problems[0] if code == 50006 else "Invalid Form Body"
            raise ApiError(400, code, message, {"_errors": problems})

    async def _interaction_callback(
        self, request: web.Request, body: Any, interaction_id: str, token: str
    ) -> web.Response:
        interaction = self._interaction(interaction_id, token)
        if interaction.acknowledged:
            self._breach(f"{interaction.label}: acknowledged twice")
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        if time.monotonic() - interaction.created > self.ack_deadline:
            self._breach(f"{interaction.label}: acknowledged after the 3 s deadline")
            raise ApiError(404, 10062, "Unknown interaction")
        if not isinstance(body, dict) or not isinstance(body.get("type"), int):
            raise ApiError(400, 50035, "Invalid Form Body")
        kind = body["type"]
        data: Json = body.get("data") or {}
        reply: Json = {"id": str(interaction.id), "type": interaction.type}
        result: Json = {"interaction": reply}
        if kind == CALLBACK_AUTOCOMPLETE:
            if interaction.type != INTERACTION_AUTOCOMPLETE:
                raise ApiError(400, 50035, "Invalid Form Body")
            problems = rules.choice_problems(data.get("choices") or [])
            if problems:
                for problem in problems:
                    self._breach(f"{interaction.label}: {problem}")
                raise ApiError(400, 50035, "Invalid Form Body", {"_errors": problems})
            interaction.choices = list(data.get("choices") or [])
            interaction.done.set()
        elif kind in (CALLBACK_MESSAGE, CALLBACK_DEFERRED_MESSAGE):
            if kind == CALLBACK_MESSAGE:
                self._check_body(interaction.label, data, creating=True)
            flags = int(data.get("flags") or 0) & FLAG_EPHEMERAL
            if kind == CALLBACK_DEFERRED_MESSAGE:
                flags |= FLAG_LOADING
            message = self._store_message(
                interaction.channel_id,
                data if kind == CALLBACK_MESSAGE else {},
                flags=flags,
                interaction=interaction,
            )
            interaction.response = message
            reply.update(
                response_message_id=str(message.id),
                response_message_loading=message.loading,
                response_message_ephemeral=message.ephemeral,
            )
            result["resource"] = {"type": kind}
            if kind == CALLBACK_MESSAGE:
                result["resource"]["message"] = message.to_json()
                interaction.done.set()
        elif kind in (CALLBACK_UPDATE, CALLBACK_DEFERRED_UPDATE):
            target = interaction.source_message
            if target is None:
                raise ApiError(400, 50035, "Invalid Form Body")
            message = self.messages[target.id]
            if kind == CALLBACK_UPDATE:
                self._check_body(interaction.label, data, creating=False)
                self._apply_edit(message, data)
                interaction.done.set()
            interaction.response = message
            reply["response_message_id"] = str(message.id)
            result["resource"] = {"type": kind}
            if kind == CALLBACK_UPDATE:
                result["resource"]["message"] = message.to_json()
        else:
            raise ApiError(400, 50035, f"Invalid interaction response type {kind}")
        interaction.acknowledged = True
        interaction.callback_type = kind
        return json_response(result)

    def _webhook_message(self, interaction: Interaction, which: str) -> Message:
        if which == "@original":
            if interaction.response is None:
                raise ApiError(404, 10008, "Unknown Message")
            return interaction.response
        message = self.messages.get(int(which))
        if message is None or message not in [interaction.response, *interaction.followups]:
            raise ApiError(404, 10008, "Unknown Message")
        return message

    async def _followup(
        self, request: web.Request, body: Any, app: str, token: str
    ) -> web.Response:
        interaction = self._interaction_by_token(app, token)
        if not interaction.acknowledged:
            raise ApiError(404, 10015, "Unknown Webhook")
        body = body or {}
        original = interaction.response
        if original is not None and original.loading:
            self._check_body(interaction.label, body, creating=True)
            self._apply_edit(original, body)
            original.flags &= ~FLAG_LOADING
            interaction.done.set()
            return json_response(original.to_json())
        self._check_body(interaction.label, body, creating=True)
        flags = int(body.get("flags") or 0) & FLAG_EPHEMERAL
        message = self._store_message(
            interaction.channel_id, body, flags=flags, interaction=interaction
        )
        interaction.followups.append(message)
        return json_response(message.to_json())

    async def _get_webhook_msg(
        self, request: web.Request, body: Any, app: str, token: str, which: str
    ) -> web.Response:
        message = self._webhook_message(self._interaction_by_token(app, token), which)
        return json_response(message.to_json())

    async def _edit_webhook_msg(
        self, request: web.Request, body: Any, app: str, token: str, which: str
    ) -> web.Response:
        interaction = self._interaction_by_token(app, token)
        message = self._webhook_message(interaction, which)
        self._check_body(interaction.label, body or {}, creating=False)
        self._apply_edit(message, body or {})
        if message.loading:
            message.flags &= ~FLAG_LOADING
        interaction.done.set()
        return json_response(message.to_json())

    async def _del_webhook_msg(
        self, request: web.Request, body: Any, app: str, token: str, which: str
    ) -> web.Response:
        message = self._webhook_message(self._interaction_by_token(app, token), which)
        message.deleted = True
        return web.Response(status=204)

    # --- channels and messages

    def _guild(self, guild_id: str) -> Guild:
        guild = self.guilds.get(int(guild_id))
        if guild is None or self.bot_user.id not in guild.members:
            raise ApiError(404, 10004, "Unknown Guild")
        return guild

    def _channel(self, channel_id: str) -> tuple[Guild, Channel]:
        for guild in self.guilds.values():
            channel = guild.channels.get(int(channel_id))
            if channel is not None:
                if self.bot_user.id not in guild.members:
                    raise ApiError(403, 50001, "Missing Access")
                return guild, channel
        raise ApiError(404, 10003, "Unknown Channel")

    def _require(self, guild: Guild, channel: Channel, *needed: str) -> None:
        have = Permissions(guild.channel_permissions(self.bot_user.id, channel.id))
        if not have.view_channel:
            raise ApiError(403, 50001, "Missing Access")
        if not all(getattr(have, name) for name in needed):
            raise ApiError(403, 50013, "Missing Permissions")

    async def _get_channel(self, request: web.Request, body: Any, channel_id: str) -> web.Response:
        guild, channel = self._channel(channel_id)
        self._require(guild, channel)
        return json_response(channel.to_json())

    async def _create_message(
        self, request: web.Request, body: Any, channel_id: str
    ) -> web.Response:
        guild, channel = self._channel(channel_id)
        self._require(guild, channel, "send_messages")
        body = body or {}
        self._check_body(f"message in #{channel.name}", body, creating=True)
        if body.get("embeds"):
            self._require(guild, channel, "send_messages", "embed_links")
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            for existing in reversed(list(self.messages.values())):
                if (
                    existing.channel_id == channel.id
                    and existing.nonce == nonce
                    and existing.author.id == self.bot_user.id
                    and self._age(existing) < self.nonce_window
                ):
                    return json_response(existing.to_json())
        message = self._store_message(channel.id, body, flags=0, nonce=nonce)
        for listener in self._message_listeners:
            outcome = listener(message)
            if asyncio.iscoroutine(outcome):
                await outcome
        return json_response(message.to_json())

    def _age(self, message: Message) -> float:
        return time.time() - ((message.id >> 22) + 1_420_070_400_000) / 1000

    def _message_in(self, channel_id: str, message_id: str) -> tuple[Guild, Channel, Message]:
        guild, channel = self._channel(channel_id)
        message = self.messages.get(int(message_id))
        if message is None or message.channel_id != channel.id or message.deleted:
            raise ApiError(404, 10008, "Unknown Message")
        return guild, channel, message

    async def _list_messages(
        self, request: web.Request, body: Any, channel_id: str
    ) -> web.Response:
        guild, channel = self._channel(channel_id)
        self._require(guild, channel, "read_message_history")
        try:
            limit = min(max(int(request.query.get("limit", "50")), 1), 100)
            before = int(request.query.get("before", "0")) or None
            after = int(request.query.get("after", "0"))
        except ValueError:
            raise ApiError(400, 50035, "Invalid Form Body") from None
        found = [
            m
            for m in reversed(self.channel_messages(channel))
            if (before is None or m.id < before) and m.id > after
        ]
        return json_response([m.to_json() for m in found[:limit]])

    async def _get_message(
        self, request: web.Request, body: Any, channel_id: str, message_id: str
    ) -> web.Response:
        guild, channel, message = self._message_in(channel_id, message_id)
        self._require(guild, channel, "read_message_history")
        return json_response(message.to_json())

    async def _edit_message(
        self, request: web.Request, body: Any, channel_id: str, message_id: str
    ) -> web.Response:
        _, channel, message = self._message_in(channel_id, message_id)
        if message.author.id != self.bot_user.id:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        self._check_body(f"edit in #{channel.name}", body or {}, creating=False)
        self._apply_edit(message, body or {})
        return json_response(message.to_json())

    async def _delete_message(
        self, request: web.Request, body: Any, channel_id: str, message_id: str
    ) -> web.Response:
        _, _, message = self._message_in(channel_id, message_id)
        message.deleted = True
        return web.Response(status=204)

    def _store_message(
        self,
        channel_id: int,
        body: Json,
        *,
        flags: int,
        interaction: Interaction | None = None,
        nonce: str | int | None = None,
    ) -> Message:
        guild_id = next((g.id for g in self.guilds.values() if channel_id in g.channels), None)
        message = Message(
            id=self.ids.next(),
            channel_id=channel_id,
            guild_id=guild_id,
            author=self.bot_user,
            content=body.get("content") or "",
            embeds=list(body.get("embeds") or []),
            components=list(body.get("components") or []),
            flags=flags,
            nonce=nonce,
            allowed_mentions=body.get("allowed_mentions"),
            webhook_id=self.application_id if interaction is not None else None,
            interaction_id=interaction.id if interaction is not None else None,
        )
        self.messages[message.id] = message
        return message

    @staticmethod
    def _apply_edit(message: Message, body: Json) -> None:
        if "content" in body:
            message.content = body["content"] or ""
        if "embeds" in body:
            message.embeds = list(body["embeds"] or [])
        if "components" in body:
            message.components = list(body["components"] or [])
        if "allowed_mentions" in body:
            message.allowed_mentions = body["allowed_mentions"]
        message.edited_timestamp = iso_now()

    # --- guilds

    async def _get_guild(self, request: web.Request, body: Any, guild_id: str) -> web.Response:
        guild = self._guild(guild_id)
        data = guild.to_json(joined_at=guild.members[self.bot_user.id].joined_at)
        return json_response(data)

    async def _get_guild_channels(
        self, request: web.Request, body: Any, guild_id: str
    ) -> web.Response:
        return json_response([c.to_json() for c in self._guild(guild_id).channels.values()])

    async def _get_guild_roles(
        self, request: web.Request, body: Any, guild_id: str
    ) -> web.Response:
        return json_response([r.to_json() for r in self._guild(guild_id).roles.values()])

    async def _get_member(
        self, request: web.Request, body: Any, guild_id: str, user_id: str
    ) -> web.Response:
        guild = self._guild(guild_id)
        member = guild.members.get(int(user_id))
        if member is None:
            raise ApiError(404, 10007, "Unknown Member")
        return json_response(member.to_json())

    # --- scheduled events

    def _scheduled_event(self, guild: Guild, event_id: str) -> ScheduledEvent:
        event = guild.scheduled_events.get(int(event_id))
        if event is None:
            raise ApiError(404, 10070, "Unknown Guild Scheduled Event")
        return event

    def _require_manage_events(self, guild: Guild) -> None:
        if not Permissions(guild.base_permissions(self.bot_user.id)).manage_events:
            raise ApiError(403, 50013, "Missing Permissions")

    @staticmethod
    def _with_user_count(request: web.Request) -> bool:
        """Discord's boolean query string `with_user_count` ("true" or "1")."""
        return request.query.get("with_user_count", "").lower() in ("true", "1")

    async def scheduled_event_changed(self, event: ScheduledEvent, gateway_event: str) -> None:
        """Tell the bot about a created, updated or deleted event (if it asked to hear)."""
        payload = event.to_json(with_user_count=False)
        await self.notify_guild(
            event.guild_id, gateway_event, payload, intent=INTENT_GUILD_SCHEDULED_EVENTS
        )

    async def _list_events(self, request: web.Request, body: Any, guild_id: str) -> web.Response:
        counted = self._with_user_count(request)
        events = self._guild(guild_id).scheduled_events.values()
        return json_response([e.to_json(with_user_count=counted) for e in events])

    async def _get_event(
        self, request: web.Request, body: Any, guild_id: str, event_id: str
    ) -> web.Response:
        event = self._scheduled_event(self._guild(guild_id), event_id)
        return json_response(event.to_json(with_user_count=self._with_user_count(request)))

    async def _create_event(self, request: web.Request, body: Any, guild_id: str) -> web.Response:
        guild = self._guild(guild_id)
        self._require_manage_events(guild)
        if not isinstance(body, dict):
            raise ApiError(400, 50035, "Invalid Form Body")
        try:
            event = create_event(
                guild, body, event_id=self.ids.next(), creator=self.bot_user, now=self.clock()
            )
        except ScheduledEventError as exc:
            raise ApiError(400, exc.code, exc.message, exc.errors()) from None
        guild.scheduled_events[event.id] = event
        await self.scheduled_event_changed(event, "GUILD_SCHEDULED_EVENT_CREATE")
        return json_response(event.to_json(with_user_count=False))

    async def _edit_event(
        self, request: web.Request, body: Any, guild_id: str, event_id: str
    ) -> web.Response:
        guild = self._guild(guild_id)
        self._require_manage_events(guild)
        event = self._scheduled_event(guild, event_id)
        if not isinstance(body, dict):
            raise ApiError(400, 50035, "Invalid Form Body")
        try:
            event = modify_event(guild, event, body, now=self.clock())
        except ScheduledEventError as exc:
            raise ApiError(400, exc.code, exc.message, exc.errors()) from None
        guild.scheduled_events[event.id] = event
        await self.scheduled_event_changed(event, "GUILD_SCHEDULED_EVENT_UPDATE")
        return json_response(event.to_json(with_user_count=False))

    async def _delete_event(
        self, request: web.Request, body: Any, guild_id: str, event_id: str
    ) -> web.Response:
        guild = self._guild(guild_id)
        self._require_manage_events(guild)
        event = guild.scheduled_events.pop(self._scheduled_event(guild, event_id).id)
        await self.scheduled_event_changed(event, "GUILD_SCHEDULED_EVENT_DELETE")
        return web.Response(status=204)
