"""Countdown targets: a content pack's dated event, or one of a server's own Discord events.

Both become one `Target` record, so planning, posting and `/countdown status` need not know
which kind they serve.
"""

from __future__ import annotations

from datetime import datetime

import discord

from bot.content.records import Event, Season
from bot.store import Store
from bot.store.countdown_models import (
    EventRef,
    PackEventRef,
    ServerEvent,
    ServerEventRef,
    Target,
    TargetState,
)

STATES: dict[discord.EventStatus, TargetState] = {
    discord.EventStatus.scheduled: "scheduled",
    discord.EventStatus.active: "active",
    discord.EventStatus.completed: "completed",
    discord.EventStatus.cancelled: "cancelled",
}


def pack_ref(season: Season, event: Event) -> PackEventRef:
    """The reference of `event` in `season`."""
    return PackEventRef(season.show_key, season.number, event.key)


def pack_target(season: Season, event: Event) -> Target:
    """A content pack's event as a countdown target."""
    platform = event.platform or season.platform
    return Target(
        ref=pack_ref(season, event),
        name=season.label,
        title=event.title,
        starts_at=event.starts_at,
        state="scheduled",
        where=f"on {platform}" if platform else None,
        description=event.description,
        url=None,
        user_count=None,
    )


def server_target(event: ServerEvent) -> Target:
    """A server's scheduled event as a countdown target.

    One that started before its scheduled time counts down to the moment it started.
    """
    starts_at = event.starts_at
    if event.started_at is not None and event.started_at < starts_at:
        starts_at = event.started_at
    if event.channel_id is not None:
        where: str | None = f"in <#{event.channel_id}>"
    else:
        where = f"at {event.location}" if event.location else None
    return Target(
        ref=event.ref,
        name=event.name,
        title=event.name,
        starts_at=starts_at,
        state=event.state,
        where=where,
        description=event.description,
        url=event.url,
        user_count=event.user_count,
    )


def server_event_record(
    event: discord.ScheduledEvent, now: datetime, *, counted: bool
) -> ServerEvent:
    """What discord.py holds of a scheduled event, as the record the store keeps.

    `counted`: the event came from a REST call made `with_user_count`; gateway payloads
    carry no count (discord.py then shows 0), so the stored one is kept.
    """
    state = STATES.get(event.status, "scheduled")
    return ServerEvent(
        guild_id=event.guild_id,
        event_id=event.id,
        name=event.name,
        description=event.description or None,
        starts_at=event.start_time,
        ends_at=event.end_time,
        state=state,
        channel_id=event.channel_id,
        location=event.location,
        user_count=event.user_count if counted else None,
        started_at=now if state == "active" else None,
        updated_at=now,
    )


async def target_for(store: Store, guild_id: int, ref: EventRef) -> Target | None:
    """The target `ref` names in `guild_id`, if the bot knows it."""
    if isinstance(ref, ServerEventRef):
        found = await store.server_events.get(guild_id, ref.event_id)
        return server_target(found) if found is not None else None
    content = store.content
    season = await content.resolve_season(ref.show_key, ref.season_number)
    if season is None or season.show_key != ref.show_key:
        return None
    for event in await content.events(season.id):
        if event.key == ref.event_key:
            return pack_target(season, event)
    return None
