"""Which event a `/countdown` command means: what the `event` option offers and accepts.

The option offers the server's upcoming scheduled events first (by name and date), then the
content packs' dated events (by show and event). It accepts a choice's value, a server
event's name, a show's name (its next dated event) or a pack event's "Show: Event" label.
Left out, it means the next upcoming event the bot knows for the server.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord

from bot import render
from bot.content.records import Event, Season
from bot.errors import UserFacingError
from bot.reminders.targets import pack_ref, pack_target, server_event_record, server_target
from bot.store.countdown_models import (
    EventRef,
    ServerEvent,
    ServerEventRef,
    Target,
    parse_event_ref,
)
from bot.store.text import fold

if TYPE_CHECKING:
    from bot.client import FanBot

MAX_AHEAD = timedelta(days=365)
CHOICE_LIMIT = 25
NOTHING_UPCOMING = (
    "There is nothing upcoming to count down to here. Create an event for your server "
    "(Server menu → Create Event: a watch party, a premiere, a deadline) and run "
    "`/countdown setup` again, or ask the bot's operator to add a content pack with a dated "
    "event. To watch a countdown play out now, try the playground: `make run`."
)


@dataclass(frozen=True, slots=True)
class Picked:
    """An event picked for a countdown, with what it came from."""

    target: Target
    season: Season | None = None  # a pack event's season and event
    event: Event | None = None
    record: ServerEvent | None = None  # a server event as Discord gave it just now


def read_event_option(value: str | None) -> EventRef | str | None:
    """The `event` option as given: a choice's reference, else a name; None if left out."""
    if value is None or not value.strip():
        return None
    try:
        return parse_event_ref(value.strip())
    except ValueError:
        return value


class EventPicker:
    """Resolves and offers countdown events for one bot."""

    def __init__(self, bot: FanBot) -> None:
        self.bot = bot

    async def pack_events(self) -> list[tuple[Season, Event]]:
        """Every dated event of the loaded packs."""
        content = self.bot.store.content
        found: list[tuple[Season, Event]] = []
        for season in await content.seasons():
            found += [(season, e) for e in await content.events(season.id) if e.starts_at]
        return found

    async def _server_events(self, guild: discord.Guild) -> list[discord.ScheduledEvent]:
        """The server's scheduled events the bot sees, but those it made for pack countdowns."""
        linked = await self.bot.store.guilds.linked_events(guild.id)
        return [e for e in guild.scheduled_events if e.id not in linked]

    async def upcoming(self, guild: discord.Guild, now: datetime) -> list[Picked]:
        """Events still to start: the server's first, then the packs', each by start."""
        server = sorted(
            (
                Picked(server_target(server_event_record(e, now, counted=False)))
                for e in await self._server_events(guild)
                if e.status is discord.EventStatus.scheduled and e.start_time > now
            ),
            key=lambda p: p.target.starts_at or now,
        )
        packs = [
            Picked(pack_target(season, event), season, event)
            for season, event in await self.pack_events()
            if event.starts_at is not None and event.starts_at > now
        ]
        packs.sort(key=lambda p: p.target.starts_at or now)
        return server + packs

    async def choices(self, guild: discord.Guild, current: str, now: datetime) -> list[Picked]:
        """What the `event` option offers for the text typed so far."""
        needle = fold(current)
        return [p for p in await self.upcoming(guild, now) if needle in fold(self.label(p))][
            :CHOICE_LIMIT
        ]

    @staticmethod
    def label(picked: Picked) -> str:
        """A choice's name: "Watch party · 4 Dec 2026, 19:00 UTC"."""
        target = picked.target
        name = target.name if target.is_server_event else f"{target.name}: {target.title}"
        when = f" · {render.short_utc_text(target.starts_at)}" if target.starts_at else ""
        return render.cut(name, 100 - len(when)) + when

    async def pick(
        self, guild: discord.Guild, wanted: EventRef | str | None, now: datetime
    ) -> Picked:
        """The event an admin means (see `read_event_option`); a clear `UserFacingError` if none."""
        if wanted is None:
            upcoming = await self.upcoming(guild, now)
            if not upcoming:
                raise UserFacingError(NOTHING_UPCOMING)
            earliest = min(upcoming, key=lambda p: p.target.starts_at or now)
            return await self._fresh(guild, earliest, now)
        if isinstance(wanted, str):
            return await self._by_name(guild, wanted, now)
        if isinstance(wanted, ServerEventRef):
            return await self._server_event(guild, wanted.event_id, now)
        return await self._pack_event(wanted)

    async def _fresh(self, guild: discord.Guild, picked: Picked, now: datetime) -> Picked:
        if isinstance(picked.target.ref, ServerEventRef):
            return await self._server_event(guild, picked.target.ref.event_id, now)
        return picked

    async def _server_event(self, guild: discord.Guild, event_id: int, now: datetime) -> Picked:
        """A server event as Discord has it now (it may have changed since autocomplete)."""
        linked = await self.bot.store.guilds.linked_events(guild.id)
        if event_id in linked:  # the event the bot made for a pack countdown: that countdown
            return await self._pack_event(linked[event_id])
        try:
            event = await guild.fetch_scheduled_event(event_id, with_counts=True)
        except discord.NotFound:
            raise UserFacingError(
                "That event no longer exists: it may have just been deleted. Pick another one "
                "from the list."
            ) from None
        except discord.Forbidden:
            raise UserFacingError("I'm not allowed to see that event.") from None
        record = server_event_record(event, now, counted=True)
        return Picked(server_target(record), record=record)

    async def _pack_event(self, ref: EventRef) -> Picked:
        for season, event in await self.pack_events():
            if pack_ref(season, event) == ref:
                return Picked(pack_target(season, event), season, event)
        raise UserFacingError(
            f"I don't know the event “{render.echo(str(ref))}”. Pick one from the list."
        )

    async def _by_name(self, guild: discord.Guild, typed: str, now: datetime) -> Picked:
        """A server event's name, a pack event's label or a show's name, as typed.

        An exact name wins over a show's name, which wins over part of a name; two upcoming
        server events of one name are ambiguous, and the answer says so.
        """
        wanted = fold(typed)
        every = await self._server_events(guild)
        server = [
            e
            for e in every
            if e.status in (discord.EventStatus.scheduled, discord.EventStatus.active)
        ]
        exact = [e for e in server if fold(e.name) == wanted]
        if exact:
            return await self._one_of(guild, exact, typed, now)
        ended = [e for e in every if fold(e.name) == wanted]
        if len(ended) == 1:  # cancelled or over: picked, so that the answer can say so
            return await self._server_event(guild, ended[0].id, now)
        packs = await self.pack_events()
        for season, event in packs:
            if fold(f"{season.label}: {event.title}") == wanted:
                return Picked(pack_target(season, event), season, event)
        show = await self.bot.store.content.season_by_choice(typed)
        dated = sorted(
            (e for s, e in packs if show is not None and s.id == show.id and e.starts_at),
            key=lambda e: e.starts_at or now,
        )
        if show is not None and dated:  # its next dated event, or its latest (refused as past)
            upcoming = [e for e in dated if e.starts_at and e.starts_at > now]
            chosen = upcoming[0] if upcoming else dated[-1]
            return Picked(pack_target(show, chosen), show, chosen)
        partial = [e for e in server if wanted and wanted in fold(e.name)]
        if partial:
            return await self._one_of(guild, partial, typed, now)
        raise UserFacingError(
            f"I don't know an event called “{render.echo(typed)}” here. Pick one from the list "
            "(it offers this server's upcoming events and the shows' dated events)."
        )

    async def _one_of(
        self, guild: discord.Guild, matches: list[discord.ScheduledEvent], typed: str, now: datetime
    ) -> Picked:
        if len(matches) > 1:
            raise UserFacingError(
                f"{len(matches)} of this server's events match “{render.echo(typed)}”. "
                "Pick the one you mean from the list: it shows each one's date."
            )
        return await self._server_event(guild, matches[0].id, now)
