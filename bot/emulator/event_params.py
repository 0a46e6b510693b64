"""A moderator's scheduled-event actions as the JSON params Discord's client sends.

The test API schedules and edits events through these bodies and the rules in
`scheduling`, so an event made in a test is one Discord would have accepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from bot.emulator.commands import EmulatorError
from bot.emulator.state import (
    CHANNEL_STAGE,
    EVENT_ACTIVE,
    EVENT_CANCELED,
    EVENT_COMPLETED,
    EVENT_EXTERNAL,
    EVENT_SCHEDULED,
    EVENT_STAGE,
    EVENT_VOICE,
    PRIVACY_GUILD_ONLY,
    Channel,
    Json,
    ScheduledEvent,
    iso,
)

EXTERNAL_EVENT_LENGTH = timedelta(hours=2)
EVENT_STATUSES = {
    "scheduled": EVENT_SCHEDULED,
    "active": EVENT_ACTIVE,
    "completed": EVENT_COMPLETED,
    "canceled": EVENT_CANCELED,
    "cancelled": EVENT_CANCELED,
}


def _in_channel(channel: Channel) -> Json:
    """A VOICE or STAGE event, by the channel's type."""
    kind = EVENT_STAGE if channel.type == CHANNEL_STAGE else EVENT_VOICE
    return {"entity_type": kind, "channel_id": str(channel.id)}


def create_params(
    name: str,
    starts_at: datetime,
    *,
    ends_at: datetime | None,
    channel: Channel | None,
    location: str | None,
    description: str | None,
) -> Json:
    """Create Guild Scheduled Event params: in `channel`, or EXTERNAL at `location`.

    An EXTERNAL event needs an end: `ends_at`, or two hours after the start.
    """
    body: Json = {
        "name": name,
        "privacy_level": PRIVACY_GUILD_ONLY,
        "scheduled_start_time": iso(starts_at),
        "description": description,
    }
    if channel is not None:
        body.update(_in_channel(channel))
        if ends_at is not None:
            body["scheduled_end_time"] = iso(ends_at)
    else:
        body.update(
            entity_type=EVENT_EXTERNAL,
            entity_metadata={"location": location or "Online"},
            scheduled_end_time=iso(ends_at or starts_at + EXTERNAL_EVENT_LENGTH),
        )
    return body


def modify_params(event: ScheduledEvent, changes: Mapping[str, object]) -> Json:
    """The Modify Guild Scheduled Event params that make `changes` to `event`.

    `changes`: name, description, starts_at, ends_at, status (a number, or "active",
    "completed", "canceled"), channel (a voice or stage channel) or location (EXTERNAL).
    """
    body: Json = {}
    for key, value in changes.items():
        if key in ("name", "description"):
            body[key] = value
        elif key in ("starts_at", "ends_at") and (value is None or isinstance(value, datetime)):
            field = "scheduled_start_time" if key == "starts_at" else "scheduled_end_time"
            body[field] = None if value is None else iso(value)
        elif key == "status":
            body["status"] = _status(value)
        elif key == "channel" and isinstance(value, Channel):
            body.update(_in_channel(value))
        elif key == "location" and isinstance(value, str):
            body.update(entity_type=EVENT_EXTERNAL, channel_id=None)
            body["entity_metadata"] = {"location": value}
            end = event.scheduled_end_time
            if end is None:
                end = event.scheduled_start_time + EXTERNAL_EVENT_LENGTH
            body.setdefault("scheduled_end_time", iso(end))
        else:
            raise EmulatorError(f"cannot change {key}={value!r} of a scheduled event")
    return body


def _status(value: object) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lower() in EVENT_STATUSES:
        return EVENT_STATUSES[value.lower()]
    raise EmulatorError(f"{value!r} is not an event status ({', '.join(EVENT_STATUSES)})")
