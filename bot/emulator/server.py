"""A Discord-compatible server on 127.0.0.1: REST and gateway, with a test API.

The real, unmodified discord.py connects to it through `DISCORD_API_BASE` and
`DISCORD_GATEWAY_URL`. Tests (and the local playground) then act as Discord users:
`await emu.slash("character", name="Nick")` builds the interaction from the command schema
the bot registered, delivers it over the gateway and returns the message the bot answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import datetime

from aiohttp import web
from discord import Permissions

from bot.emulator.commands import CommandRegistry, EmulatorError, OptionValue
from bot.emulator.event_params import create_params, modify_params
from bot.emulator.gateway import (
    CLOSE_ABNORMAL,
    CLOSE_SESSION_TIMED_OUT,
    INTENT_GUILD_SCHEDULED_EVENTS,
    OP_INVALID_SESSION,
    OP_RECONNECT,
    Gateway,
    GatewayConnection,
)
from bot.emulator.rest.app import rest_application
from bot.emulator.rest.context import API_PREFIX
from bot.emulator.rest.faults import FaultInjector
from bot.emulator.rest.limits import RateLimits
from bot.emulator.rest.recording import RequestRecorder
from bot.emulator.scheduling import ScheduledEventError, create_event, modify_event
from bot.emulator.state import (
    CHANNEL_STAGE,
    CHANNEL_VOICE,
    INTERACTION_AUTOCOMPLETE,
    INTERACTION_COMMAND,
    INTERACTION_COMPONENT,
    Channel,
    Guild,
    Interaction,
    Json,
    Member,
    Message,
    Role,
    ScheduledEvent,
    Snowflakes,
    User,
    utc_now,
)

log = logging.getLogger(__name__)

DEFAULT_BOT_PERMISSIONS = Permissions(
    view_channel=True,
    send_messages=True,
    embed_links=True,
    read_message_history=True,
    use_application_commands=True,
).value
MEMBER_PERMISSIONS = Permissions(
    view_channel=True, send_messages=True, read_message_history=True, use_application_commands=True
).value
ACK_DEADLINE_SECONDS = 3.0
NONCE_WINDOW_SECONDS = 300
MAX_BODY_BYTES = 25 * 1024 * 1024


class RuleBreach(AssertionError):  # noqa: N818 - it reads as "a rule breach happened"
    """The bot broke one of Discord's rules; the message names the rule."""


class Emulator:
    """An in-memory Discord: one application, its bot user, guilds and the users in them."""

    def __init__(
        self,
        *,
        token: str | None = None,
        shard_count: int = 1,
        heartbeat_ms: int = 41_250,
        global_rate_limit: float | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.ids = Snowflakes()
        self.clock = clock or utc_now  # "now" for scheduled events: the playground's clock
        self.token = token or f"emulator.{secrets.token_urlsafe(24)}"
        self.shard_count = shard_count
        self.heartbeat_ms = heartbeat_ms
        self.ack_deadline = ACK_DEADLINE_SECONDS
        self.nonce_window: float = NONCE_WINDOW_SECONDS
        self.application_id = self.ids.next()
        self.bot_user = User(self.application_id, "fanbot", bot=True)
        self.users: dict[int, User] = {self.bot_user.id: self.bot_user}
        self.guilds: dict[int, Guild] = {}
        self.messages: dict[int, Message] = {}
        self.commands = CommandRegistry(self.ids, self.application_id)
        self.interactions: dict[int, Interaction] = {}
        self.breaches: list[str] = []
        self.recorder = RequestRecorder()
        self.faults_injected: Counter[str] = Counter()  # REST and gateway faults, by kind
        self.faults = FaultInjector(self.faults_injected)
        self.limits = RateLimits(global_rate_limit)
        self.gateway = Gateway()
        self._gateway_open = asyncio.Event()
        self._gateway_open.set()
        self._message_listeners: list[Callable[[Message], Awaitable[None] | None]] = []
        self._runner: web.AppRunner | None = None
        self.host = "127.0.0.1"
        self.port = 0

    # ------------------------------------------------------------------ lifecycle

    @property
    def api_base(self) -> str:
        """The REST address to give discord.py (DISCORD_API_BASE)."""
        return f"http://{self.host}:{self.port}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        """The gateway address to give discord.py (DISCORD_GATEWAY_URL)."""
        return f"ws://{self.host}:{self.port}/gateway"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on `host:port` (port 0: any free port)."""
        app = web.Application(client_max_size=MAX_BODY_BYTES)
        app.router.add_get("/gateway", self._gateway)
        app.add_subapp(API_PREFIX, rest_application(self))
        app.on_shutdown.append(self._close_connections)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.host, self.port = host, self._runner.addresses[0][1]
        log.info("emulator listening on %s and %s", self.api_base, self.gateway_url)

    async def stop(self) -> None:
        """Stop listening, then close every gateway connection (see `_close_connections`)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _close_connections(self, app: web.Application) -> None:
        """Close every gateway connection with 1001, once the site accepts no new ones.

        Closed any earlier, the bot reconnects at once and the server then waits out its
        shutdown timeout for that websocket.
        """
        await self.gateway.close_connections(1001, "emulator stopping")

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ the world

    def add_user(self, username: str) -> User:
        """A new Discord user."""
        user = User(self.ids.next(), username)
        self.users[user.id] = user
        return user

    def add_guild(
        self,
        name: str,
        *,
        owner: User | None = None,
        channels: tuple[str, ...] = ("general", "announcements"),
        bot_permissions: int = DEFAULT_BOT_PERMISSIONS,
    ) -> Guild:
        """A guild with an owner, text channels, and the bot as a member with its own role."""
        owner = owner or self.add_user(f"{name.lower().replace(' ', '-')}-owner")
        guild_id = self.ids.next()
        guild = Guild(guild_id, name, owner.id)
        guild.roles[guild_id] = Role(guild_id, "@everyone", MEMBER_PERMISSIONS)
        bot_role = Role(self.ids.next(), "fanbot", bot_permissions, position=1, managed=True)
        guild.roles[bot_role.id] = bot_role
        for position, channel_name in enumerate(channels):
            channel = Channel(self.ids.next(), guild_id, channel_name, position=position)
            guild.channels[channel.id] = channel
        guild.members[owner.id] = Member(owner)
        guild.members[self.bot_user.id] = Member(self.bot_user, [bot_role.id])
        self.guilds[guild_id] = guild
        return guild

    def add_role(
        self, guild: Guild, name: str, *, permissions: int = 0, mentionable: bool = False
    ) -> Role:
        """A new role in `guild`, below the bot's."""
        role = Role(self.ids.next(), name, permissions, mentionable, position=0)
        guild.roles[role.id] = role
        return role

    def add_member(self, guild: Guild, user: User, *roles: Role) -> Member:
        """Make `user` a member of `guild` with `roles`."""
        member = Member(user, [r.id for r in roles])
        guild.members[user.id] = member
        return member

    def channel(self, guild: Guild, name: str) -> Channel:
        """The guild's channel called `name`."""
        for channel in guild.channels.values():
            if channel.name == name.lstrip("#"):
                return channel
        raise EmulatorError(f"guild {guild.name!r} has no channel #{name.lstrip('#')}")

    def guild_payload(self, guild: Guild) -> Json:
        """The GUILD_CREATE payload for `guild`, as the bot sees it."""
        bot_member = guild.members[self.bot_user.id]
        data = guild.to_json(joined_at=bot_member.joined_at)
        data["members"] = [bot_member.to_json()]
        return data

    def channel_messages(self, channel: Channel) -> list[Message]:
        """Messages in a channel, oldest first (interaction replies included)."""
        return [m for m in self.messages.values() if m.channel_id == channel.id and not m.deleted]

    def on_message(self, listener: Callable[[Message], Awaitable[None] | None]) -> None:
        """Call `listener` with every message the bot creates in a channel."""
        self._message_listeners.append(listener)

    async def message_posted(self, message: Message) -> None:
        """Show a message the bot created in a channel to every `on_message` listener."""
        for listener in self._message_listeners:
            outcome = listener(message)
            if asyncio.iscoroutine(outcome):
                await outcome

    def assert_no_breaches(self) -> None:
        """Fail with every Discord rule the bot broke so far."""
        if self.breaches:
            raise RuleBreach("the bot broke Discord's rules:\n" + "\n".join(self.breaches))

    def breach(self, rule: str) -> None:
        """Record that the bot broke one of Discord's rules, naming the rule."""
        log.warning("rule breach: %s", rule)
        self.breaches.append(rule)

    # ------------------------------------------------------------------ gateway

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        await self._gateway_open.wait()
        ws = web.WebSocketResponse(max_msg_size=4 * 1024 * 1024)
        await ws.prepare(request)
        compress = request.query.get("compress") == "zlib-stream"
        await self.gateway.serve(GatewayConnection(self, ws, compress, request.transport))
        return ws

    async def _dispatch_to_guild(self, guild_id: int, event: str, data: Json) -> None:
        """Send a gateway event to the shard that owns `guild_id`."""
        session = self.gateway.session_for_guild(guild_id)
        if session is None:
            raise EmulatorError("the bot is not connected to the gateway")
        await session.dispatch(event, data)

    async def _notify_guild(
        self, guild_id: int, event: str, data: Json, *, intent: int = 0
    ) -> None:
        """Send a gateway event to the guild's shard if its session identified with `intent`.

        With no session at all (the bot is offline) the change stays in the world only, for
        the bot to find when it reconciles; a session waiting for a RESUME keeps it for replay.
        """
        session = self.gateway.session_for_guild(guild_id)
        if session is None or (intent and not session.wants(intent)):
            log.debug(
                "gateway: %s for guild %s not sent (no session asked for it)", event, guild_id
            )
            return
        await session.dispatch(event, data)

    async def scheduled_event_changed(self, event: ScheduledEvent, gateway_event: str) -> None:
        """Tell the bot about a created, updated or deleted event (if it asked to hear)."""
        payload = event.to_json(with_user_count=False)
        await self._notify_guild(
            event.guild_id, gateway_event, payload, intent=INTENT_GUILD_SCHEDULED_EVENTS
        )

    async def remove_bot_from(self, guild: Guild) -> None:
        """The guild kicks the bot: GUILD_DELETE, and the bot's requests there fail."""
        guild.members.pop(self.bot_user.id, None)
        await self._dispatch_to_guild(guild.id, "GUILD_DELETE", {"id": str(guild.id)})

    async def add_bot_to(self, guild: Guild) -> None:
        """The bot joins (again): GUILD_CREATE."""
        bot_role = next(r for r in guild.roles.values() if r.managed)
        guild.members[self.bot_user.id] = Member(self.bot_user, [bot_role.id])
        await self._dispatch_to_guild(guild.id, "GUILD_CREATE", self.guild_payload(guild))

    async def channel_changed(self, channel: Channel) -> None:
        """Tell the bot a channel changed (overwrites, name): CHANNEL_UPDATE."""
        await self._dispatch_to_guild(channel.guild_id, "CHANNEL_UPDATE", channel.to_json())

    async def wait_until_connected(self, timeout: float = 10.0) -> None:
        """Wait for every shard to have identified."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.gateway.live_shard_ids()) == self.shard_count:
                return
            await asyncio.sleep(0.02)
        raise EmulatorError(f"the bot did not connect all shards within {timeout:g} s")

    def _live(self, shard_id: int) -> GatewayConnection:
        connection = self.gateway.live_connection(shard_id)
        if connection is None:
            raise EmulatorError(f"shard {shard_id} is not connected")
        return connection

    async def gateway_reconnect(self, shard_id: int = 0) -> None:
        """Ask the shard to reconnect and resume (op 7 RECONNECT)."""
        self.faults_injected["gateway op 7"] += 1
        await self._live(shard_id).send({"op": OP_RECONNECT, "d": None})

    async def invalidate_session(self, *, resumable: bool, shard_id: int = 0) -> None:
        """Op 9 INVALID_SESSION; when not resumable the session is forgotten, events and all."""
        connection = self._live(shard_id)
        self.faults_injected[f"gateway op 9 ({'' if resumable else 'not '}resumable)"] += 1
        if not resumable:
            self.gateway.forget_session_of(connection)
        await connection.send({"op": OP_INVALID_SESSION, "d": resumable})

    async def drop_gateway(self, code: int, shard_id: int = 0) -> None:
        """Close the shard's connection with a close code.

        4000: resumable; 4009 (session timed out): not resumable; 1006: the TCP connection
        dies without a close frame.
        """
        connection = self._live(shard_id)
        self.faults_injected[f"gateway close {code}"] += 1
        if code == CLOSE_SESSION_TIMED_OUT:
            self.gateway.forget_session_of(connection)
        if code == CLOSE_ABNORMAL:
            connection.abort()
        else:
            await connection.close(code, "injected")

    @contextlib.asynccontextmanager
    async def gateway_outage(self, code: int = 4000, shard_id: int = 0) -> AsyncIterator[None]:
        """Drop the shard's connection and hold every new one until the block ends.

        Events dispatched inside the block wait in the session for the RESUME to replay.
        """
        self._gateway_open.clear()
        try:
            await self.drop_gateway(code, shard_id)
            yield
        finally:
            self._gateway_open.set()

    # ------------------------------------------------------------------ test API

    def _default_place(
        self, guild: Guild | None, channel: Channel | None, user: User | None
    ) -> tuple[Guild, Channel, User]:
        if guild is None:
            if channel is not None:
                guild = self.guilds[channel.guild_id]
            elif self.guilds:
                guild = next(iter(self.guilds.values()))
            else:
                raise EmulatorError("the emulator has no guild: call add_guild first")
        channel = channel or next(iter(guild.channels.values()))
        user = user or self.users[guild.owner_id]
        return guild, channel, user

    async def _deliver(
        self,
        kind: int,
        data: Json,
        label: str,
        guild: Guild | None,
        channel: Channel | None,
        user: User | None,
        message: Message | None = None,
    ) -> Interaction:
        guild, channel, user = self._default_place(guild, channel, user)
        if user.id not in guild.members:
            raise EmulatorError(f"{user.username} is not a member of {guild.name}")
        interaction = Interaction(
            id=self.ids.next(),
            token=secrets.token_urlsafe(32),
            type=kind,
            guild_id=guild.id,
            channel_id=channel.id,
            user=user,
            created=time.monotonic(),
            label=label,
            source_message=message,
        )
        self.interactions[interaction.id] = interaction
        payload = interaction.to_json(
            guild, data, application_id=self.application_id, bot_user_id=self.bot_user.id
        )
        await self._dispatch_to_guild(guild.id, "INTERACTION_CREATE", payload)
        return interaction

    async def _await_answer(self, interaction: Interaction, timeout: float) -> Interaction:
        try:
            await asyncio.wait_for(interaction.done.wait(), timeout)
        except TimeoutError:
            if not interaction.acknowledged:
                self.breach(f"{interaction.label}: never acknowledged (Discord allows 3 s)")
            raise EmulatorError(
                f"the bot did not answer {interaction.label} in {timeout:g} s"
            ) from None
        return interaction

    async def interact(
        self,
        command: str,
        options: Mapping[str, OptionValue] | None = None,
        *,
        in_guild: Guild | None = None,
        in_channel: Channel | None = None,
        by: User | None = None,
        focused: tuple[str, str] | None = None,
        timeout: float = 10.0,
    ) -> Interaction:
        """Send `/command` (subcommands separated by spaces) and wait for the bot's answer.

        With `focused` (option name, text typed so far) it is an autocomplete request.
        The returned record holds the reply, any follow-ups and any autocomplete choices.
        """
        guild, channel, user = self._default_place(in_guild, in_channel, by)
        data = self.commands.build(
            command, guild, dict(options or {}), resolve=self._resolve, focused=focused
        )
        if focused is None:
            kind, label = INTERACTION_COMMAND, f"/{command}"
        else:
            kind, label = INTERACTION_AUTOCOMPLETE, f"/{command} {focused[0]}:"
        interaction = await self._deliver(kind, data, label, guild, channel, user)
        return await self._await_answer(interaction, timeout)

    async def slash(
        self,
        command: str,
        *,
        in_guild: Guild | None = None,
        in_channel: Channel | None = None,
        by: User | None = None,
        timeout: float = 10.0,
        **options: OptionValue,
    ) -> Message:
        """Run `/command` with `options` and return the bot's reply."""
        interaction = await self.interact(
            command, options, in_guild=in_guild, in_channel=in_channel, by=by, timeout=timeout
        )
        assert interaction.response is not None
        return interaction.response

    async def autocomplete(
        self,
        command: str,
        focused: str,
        text: str,
        *,
        in_guild: Guild | None = None,
        in_channel: Channel | None = None,
        by: User | None = None,
        timeout: float = 10.0,
        **options: OptionValue,
    ) -> list[Json]:
        """Type `text` into option `focused` of `/command`; return the choices the bot offers."""
        interaction = await self.interact(
            command,
            options,
            in_guild=in_guild,
            in_channel=in_channel,
            by=by,
            focused=(focused, text),
            timeout=timeout,
        )
        return interaction.choices

    async def click(
        self,
        message: Message,
        label: str,
        *,
        by: User | None = None,
        timeout: float = 10.0,
    ) -> Message:
        """Press the button labelled `label` on `message`; return the message the bot shows."""
        current = self.messages.get(message.id, message)
        buttons = current.buttons()
        button = next((b for b in buttons if b.get("label") == label), None)
        if button is None:
            names = ", ".join(repr(b.get("label")) for b in buttons) or "none"
            raise EmulatorError(f"no button {label!r} on that message (buttons: {names})")
        if button.get("disabled"):
            raise EmulatorError(f"the button {label!r} is disabled")
        guild = self.guilds[current.guild_id] if current.guild_id else None
        channel = guild.channels[current.channel_id] if guild else None
        data = {"custom_id": button["custom_id"], "component_type": 2}
        interaction = await self._deliver(
            INTERACTION_COMPONENT, data, f"button {label!r}", guild, channel, by, current
        )
        await self._await_answer(interaction, timeout)
        assert interaction.response is not None
        return interaction.response

    def _resolve(self, guild: Guild, kind: int, value: OptionValue) -> tuple[str, Json]:
        """Turn a channel/role/user option value into its id and resolved object."""
        if kind == 7:
            channel = value if isinstance(value, Channel) else None
            if channel is None and isinstance(value, str):
                channel = self.channel(guild, value)
            if channel is None and isinstance(value, int):
                channel = guild.channels.get(value)
            if channel is None:
                raise EmulatorError(f"no channel {value!r} in {guild.name}")
            resolved = channel.to_json()
            resolved["permissions"] = str(guild.channel_permissions(self.bot_user.id, channel.id))
            return str(channel.id), {"channels": {str(channel.id): resolved}}
        if kind == 8:
            role = value if isinstance(value, Role) else None
            if role is None and isinstance(value, str):
                role = next((r for r in guild.roles.values() if r.name == value), None)
            if role is None and isinstance(value, int):
                role = guild.roles.get(value)
            if role is None:
                raise EmulatorError(f"no role {value!r} in {guild.name}")
            return str(role.id), {"roles": {str(role.id): role.to_json()}}
        if kind == 6:
            user = value if isinstance(value, User) else None
            if user is None and isinstance(value, int):
                user = self.users.get(value)
            if user is None:
                raise EmulatorError(f"no user {value!r}")
            resolved_users = {"users": {str(user.id): user.to_json()}}
            if user.id in guild.members:
                member = guild.members[user.id].to_json()
                member.pop("user")
                resolved_users["members"] = {str(user.id): member}
            return str(user.id), resolved_users
        raise EmulatorError(f"option type {kind} is not something that resolves")

    # ------------------------------------------------------------------ scheduled events

    def add_voice_channel(self, guild: Guild, name: str, *, stage: bool = False) -> Channel:
        """A new voice channel in `guild` (a stage channel with `stage`)."""
        kind = CHANNEL_STAGE if stage else CHANNEL_VOICE
        channel = Channel(self.ids.next(), guild.id, name, type=kind, position=len(guild.channels))
        guild.channels[channel.id] = channel
        return channel

    def _scheduled_event(self, guild: Guild, event_id: int) -> ScheduledEvent:
        """The guild's scheduled event with id `event_id`."""
        event = guild.scheduled_events.get(event_id)
        if event is None:
            raise EmulatorError(f"{guild.name} has no scheduled event {event_id}")
        return event

    def _event_creator(self, guild: Guild, by: User | None) -> User:
        creator = by or self.users[guild.owner_id]
        if not Permissions(guild.base_permissions(creator.id)).manage_events:
            raise EmulatorError(f"{creator.username} may not manage events in {guild.name}")
        return creator

    async def create_scheduled_event(
        self,
        guild: Guild,
        name: str,
        starts_at: datetime,
        *,
        ends_at: datetime | None = None,
        channel: Channel | None = None,
        location: str | None = None,
        description: str | None = None,
        by: User | None = None,
    ) -> ScheduledEvent:
        """A moderator (`by`, default the owner) schedules an event: GUILD_SCHEDULED_EVENT_CREATE.

        In `channel` it is a VOICE or STAGE event by the channel's type; without one it is
        EXTERNAL at `location` ("Online"), ending at `ends_at` (two hours after the start).
        """
        body = create_params(
            name,
            starts_at,
            ends_at=ends_at,
            channel=channel,
            location=location,
            description=description,
        )
        creator = self._event_creator(guild, by)
        try:
            event = create_event(
                guild, body, event_id=self.ids.next(), creator=creator, now=self.clock()
            )
        except ScheduledEventError as exc:
            raise EmulatorError(f"cannot create the event {name!r}: {exc}") from None
        guild.scheduled_events[event.id] = event
        await self.scheduled_event_changed(event, "GUILD_SCHEDULED_EVENT_CREATE")
        return event

    async def update_scheduled_event(
        self, guild: Guild, event_id: int, **changes: object
    ) -> ScheduledEvent:
        """A moderator edits an event: GUILD_SCHEDULED_EVENT_UPDATE.

        `changes`: as `event_params.modify_params` takes them.
        """
        event = self._scheduled_event(guild, event_id)
        body = modify_params(event, changes)
        try:
            changed = modify_event(guild, event, body, now=self.clock())
        except ScheduledEventError as exc:
            raise EmulatorError(f"cannot change the event {event.name!r}: {exc}") from None
        guild.scheduled_events[event.id] = changed
        await self.scheduled_event_changed(changed, "GUILD_SCHEDULED_EVENT_UPDATE")
        return changed

    async def delete_scheduled_event(self, guild: Guild, event_id: int) -> None:
        """A moderator deletes an event: GUILD_SCHEDULED_EVENT_DELETE."""
        event = guild.scheduled_events.pop(self._scheduled_event(guild, event_id).id)
        await self.scheduled_event_changed(event, "GUILD_SCHEDULED_EVENT_DELETE")

    async def add_interested(self, guild: Guild, event_id: int, user: User) -> None:
        """`user` marks the event "Interested": GUILD_SCHEDULED_EVENT_USER_ADD."""
        await self._set_interest(guild, event_id, user, interested=True)

    async def remove_interested(self, guild: Guild, event_id: int, user: User) -> None:
        """`user` is no longer interested: GUILD_SCHEDULED_EVENT_USER_REMOVE."""
        await self._set_interest(guild, event_id, user, interested=False)

    async def _set_interest(
        self, guild: Guild, event_id: int, user: User, *, interested: bool
    ) -> None:
        event = self._scheduled_event(guild, event_id)
        if user.id not in guild.members:
            raise EmulatorError(f"{user.username} is not a member of {guild.name}")
        if interested and not event.is_open:
            raise EmulatorError(f"the event {event.name!r} is over: nobody can join it")
        if (user.id in event.interested) == interested:
            return
        if interested:
            event.interested.add(user.id)
        else:
            event.interested.discard(user.id)
        payload = {
            "guild_scheduled_event_id": str(event.id),
            "user_id": str(user.id),
            "guild_id": str(guild.id),
        }
        name = "GUILD_SCHEDULED_EVENT_USER_" + ("ADD" if interested else "REMOVE")
        await self._notify_guild(guild.id, name, payload, intent=INTENT_GUILD_SCHEDULED_EVENTS)
