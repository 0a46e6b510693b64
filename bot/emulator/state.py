"""The emulator's in-memory world: guilds, channels, roles, members, scheduled events, messages.

Objects serialise themselves into the JSON shapes Discord sends (the subset discord.py
reads). Ids are real snowflakes, so discord.py's `created_at` and sorting behave.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from discord import Permissions

DISCORD_EPOCH_MS = 1_420_070_400_000

Json = dict[str, Any]

CHANNEL_TEXT = 0
CHANNEL_VOICE = 2
CHANNEL_STAGE = 13

# Guild scheduled events: entity types, statuses and the one privacy level.
EVENT_STAGE = 1
EVENT_VOICE = 2
EVENT_EXTERNAL = 3
EVENT_SCHEDULED = 1
EVENT_ACTIVE = 2
EVENT_COMPLETED = 3
EVENT_CANCELED = 4
PRIVACY_GUILD_ONLY = 2

# Message flags Discord uses in interaction replies.
FLAG_EPHEMERAL = 1 << 6
FLAG_LOADING = 1 << 7

# Interaction types the emulator sends.
INTERACTION_COMMAND = 2
INTERACTION_COMPONENT = 3
INTERACTION_AUTOCOMPLETE = 4


class Snowflakes:
    """Makes unique, time-ordered snowflake ids."""

    def __init__(self) -> None:
        self._counter = itertools.count()

    def next(self) -> int:
        """A new id stamped with the current time."""
        millis = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (millis << 22) | (next(self._counter) & 0x3FFFFF)


def snowflake_time(snowflake: int) -> float:
    """When the id was made, in seconds since the Unix epoch (to the millisecond)."""
    return ((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000


def utc_now() -> datetime:
    """The real current time, aware, in UTC (the emulator's default clock)."""
    return datetime.now(UTC)


def iso_now() -> str:
    """The current time as Discord writes timestamps."""
    return utc_now().isoformat()


def iso(moment: datetime) -> str:
    """`moment` as Discord writes timestamps (ISO 8601, UTC)."""
    return moment.astimezone(UTC).isoformat()


@dataclass(slots=True)
class User:
    """A Discord user (a person or the bot)."""

    id: int
    username: str
    bot: bool = False

    def to_json(self) -> Json:
        """The user object."""
        return {
            "id": str(self.id),
            "username": self.username,
            "global_name": None if self.bot else self.username.title(),
            "discriminator": "0",
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }


@dataclass(slots=True)
class Role:
    """A guild role; the @everyone role's id is the guild's id."""

    id: int
    name: str
    permissions: int = 0
    mentionable: bool = False
    position: int = 0
    managed: bool = False

    def to_json(self) -> Json:
        """The role object."""
        return {
            "id": str(self.id),
            "name": self.name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed,
            "mentionable": self.mentionable,
            "flags": 0,
        }


@dataclass(slots=True)
class Overwrite:
    """A channel permission overwrite for a role (type 0) or a member (type 1)."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0

    def to_json(self) -> Json:
        """The overwrite object."""
        return {
            "id": str(self.id),
            "type": self.type,
            "allow": str(self.allow),
            "deny": str(self.deny),
        }


@dataclass(slots=True)
class Channel:
    """A guild channel: text, voice or stage (by `type`)."""

    id: int
    guild_id: int
    name: str
    type: int = CHANNEL_TEXT
    position: int = 0
    overwrites: list[Overwrite] = field(default_factory=list)

    def to_json(self) -> Json:
        """The channel object (voice and stage channels with their bitrate and user limit)."""
        data: Json = {
            "id": str(self.id),
            "guild_id": str(self.guild_id),
            "name": self.name,
            "type": self.type,
            "position": self.position,
            "parent_id": None,
            "topic": None,
            "nsfw": False,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "flags": 0,
            "permission_overwrites": [o.to_json() for o in self.overwrites],
        }
        if self.type in (CHANNEL_VOICE, CHANNEL_STAGE):
            data.update(bitrate=64_000, user_limit=0, rtc_region=None)
        return data


@dataclass(slots=True)
class Member:
    """A user's membership of a guild."""

    user: User
    roles: list[int] = field(default_factory=list)
    joined_at: str = field(default_factory=iso_now)

    def to_json(self) -> Json:
        """The guild member object."""
        return {
            "user": self.user.to_json(),
            "nick": None,
            "avatar": None,
            "roles": [str(r) for r in self.roles],
            "joined_at": self.joined_at,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
        }


@dataclass(slots=True)
class ScheduledEvent:
    """A guild scheduled event: in a voice or stage channel, or somewhere else (EXTERNAL)."""

    id: int
    guild_id: int
    name: str
    scheduled_start_time: datetime
    entity_type: int
    creator: User
    scheduled_end_time: datetime | None = None
    description: str | None = None
    channel_id: int | None = None
    location: str | None = None
    status: int = EVENT_SCHEDULED
    privacy_level: int = PRIVACY_GUILD_ONLY
    interested: set[int] = field(default_factory=set)

    @property
    def is_open(self) -> bool:
        """Whether the event is still SCHEDULED or ACTIVE (not completed or canceled)."""
        return self.status in (EVENT_SCHEDULED, EVENT_ACTIVE)

    def to_json(self, *, with_user_count: bool) -> Json:
        """The guild scheduled event object (`user_count` only when asked for)."""
        end = self.scheduled_end_time
        data: Json = {
            "id": str(self.id),
            "guild_id": str(self.guild_id),
            "channel_id": None if self.channel_id is None else str(self.channel_id),
            "creator_id": str(self.creator.id),
            "creator": self.creator.to_json(),
            "name": self.name,
            "description": self.description,
            "scheduled_start_time": iso(self.scheduled_start_time),
            "scheduled_end_time": None if end is None else iso(end),
            "privacy_level": self.privacy_level,
            "status": self.status,
            "entity_type": self.entity_type,
            "entity_id": None,
            "entity_metadata": None if self.location is None else {"location": self.location},
            "image": None,
            "recurrence_rule": None,
        }
        if with_user_count:
            data["user_count"] = len(self.interested)
        return data


@dataclass(slots=True)
class Guild:
    """A guild (server) with its roles, channels and members."""

    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    scheduled_events: dict[int, ScheduledEvent] = field(default_factory=dict)

    @property
    def everyone(self) -> Role:
        """The @everyone role."""
        return self.roles[self.id]

    def base_permissions(self, user_id: int) -> int:
        """A member's guild-wide permissions from their roles (owner and admin: all)."""
        if user_id == self.owner_id:
            return Permissions.all().value
        member = self.members.get(user_id)
        if member is None:
            return 0
        value = self.everyone.permissions
        for role_id in member.roles:
            role = self.roles.get(role_id)
            if role is not None:
                value |= role.permissions
        if Permissions(value).administrator:
            return Permissions.all().value
        return value

    def channel_permissions(self, user_id: int, channel_id: int) -> int:
        """A member's permissions in a channel, applying overwrites as Discord does."""
        value = self.base_permissions(user_id)
        if value == Permissions.all().value:
            return value
        channel = self.channels.get(channel_id)
        member = self.members.get(user_id)
        if channel is None or member is None:
            return value
        by_id = {o.id: o for o in channel.overwrites}
        everyone = by_id.get(self.id)
        if everyone is not None:
            value = (value & ~everyone.deny) | everyone.allow
        allow = deny = 0
        for role_id in member.roles:
            overwrite = by_id.get(role_id)
            if overwrite is not None and overwrite.type == 0:
                allow |= overwrite.allow
                deny |= overwrite.deny
        value = (value & ~deny) | allow
        own = by_id.get(user_id)
        if own is not None and own.type == 1:
            value = (value & ~own.deny) | own.allow
        return value

    def to_json(self, *, joined_at: str) -> Json:
        """The full guild object sent in GUILD_CREATE."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "features": [],
            "emojis": [],
            "stickers": [],
            "roles": [r.to_json() for r in self.roles.values()],
            "channels": [c.to_json() for c in self.channels.values()],
            "threads": [],
            "members": [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [
                e.to_json(with_user_count=False) for e in self.scheduled_events.values()
            ],
            "soundboard_sounds": [],
            "member_count": len(self.members),
            "large": len(self.members) > 250,
            "unavailable": False,
            "joined_at": joined_at,
            "application_id": None,
            "premium_progress_bar_enabled": False,
        }


@dataclass(slots=True)
class Message:
    """A message as the emulator stored it, with the body the bot sent kept verbatim."""

    id: int
    channel_id: int
    guild_id: int | None
    author: User
    content: str = ""
    embeds: list[Json] = field(default_factory=list)
    components: list[Json] = field(default_factory=list)
    flags: int = 0
    nonce: str | int | None = None
    allowed_mentions: Json | None = None
    webhook_id: int | None = None
    interaction_id: int | None = None
    timestamp: str = field(default_factory=iso_now)
    edited_timestamp: str | None = None
    deleted: bool = False

    @property
    def ephemeral(self) -> bool:
        """Whether only the person who ran the command can see it."""
        return bool(self.flags & FLAG_EPHEMERAL)

    @property
    def loading(self) -> bool:
        """Whether this is a deferred reply still "thinking"."""
        return bool(self.flags & FLAG_LOADING)

    def buttons(self) -> list[Json]:
        """Every button of the message, in order."""
        found: list[Json] = []
        for row in self.components:
            found.extend(c for c in row.get("components", []) if c.get("type") == 2)
        return found

    def to_json(self) -> Json:
        """The message object."""
        data: Json = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "author": self.author.to_json(),
            "content": self.content,
            "timestamp": self.timestamp,
            "edited_timestamp": self.edited_timestamp,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": self.embeds,
            "components": self.components,
            "pinned": False,
            "type": 20 if self.interaction_id else 0,
            "flags": self.flags,
        }
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        if self.nonce is not None:
            data["nonce"] = self.nonce
        if self.webhook_id is not None:
            data["webhook_id"] = str(self.webhook_id)
            data["application_id"] = str(self.webhook_id)
        return data


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

    def to_json(self, guild: Guild, data: Json, *, application_id: int, bot_user_id: int) -> Json:
        """The INTERACTION_CREATE payload, with `data` built from the command or the button."""
        channel = guild.channels[self.channel_id]
        member = guild.members[self.user.id].to_json()
        member["permissions"] = str(guild.base_permissions(self.user.id))
        payload: Json = {
            "id": str(self.id),
            "application_id": str(application_id),
            "type": self.type,
            "data": data,
            "guild_id": str(guild.id),
            "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
            "channel_id": str(channel.id),
            "channel": channel.to_json(),
            "member": member,
            "token": self.token,
            "version": 1,
            "app_permissions": str(guild.channel_permissions(bot_user_id, channel.id)),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if self.source_message is not None:
            payload["message"] = self.source_message.to_json()
        return payload
