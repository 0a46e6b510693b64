"""Discord's rules for guild scheduled events, shared by the REST routes and the test API.

`create_event` and `modify_event` read a body of Discord's JSON params into a
`ScheduledEvent`, or raise `ScheduledEventError` with Discord's error code and, for an invalid
body (50035), one problem per field.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.emulator.state import (
    CHANNEL_STAGE,
    CHANNEL_VOICE,
    EVENT_ACTIVE,
    EVENT_CANCELED,
    EVENT_COMPLETED,
    EVENT_EXTERNAL,
    EVENT_SCHEDULED,
    EVENT_STAGE,
    EVENT_VOICE,
    PRIVACY_GUILD_ONLY,
    Guild,
    Json,
    ScheduledEvent,
    User,
)

NAME_MAX = 100
DESCRIPTION_MAX = 1000
LOCATION_MAX = 100
OPEN_EVENTS_MAX = 100

INVALID_FORM_BODY = 50035
TOO_MANY_EVENTS = 30038
EVENT_FINISHED = 180000

TRANSITIONS = {
    (EVENT_SCHEDULED, EVENT_ACTIVE),
    (EVENT_ACTIVE, EVENT_COMPLETED),
    (EVENT_SCHEDULED, EVENT_CANCELED),
}
STATUS_NAMES = {
    EVENT_SCHEDULED: "scheduled",
    EVENT_ACTIVE: "active",
    EVENT_COMPLETED: "completed",
    EVENT_CANCELED: "canceled",
}
CHANNEL_TYPE_FOR = {EVENT_VOICE: CHANNEL_VOICE, EVENT_STAGE: CHANNEL_STAGE}
_REQUIRED = ("name", "privacy_level", "scheduled_start_time", "entity_type")


class ScheduledEventError(Exception):
    """Discord refuses the event: an error code, its message, and problems by field."""

    def __init__(self, code: int, message: str, problems: Mapping[str, str] | None = None) -> None:
        self.code = code
        self.message = message
        self.problems = dict(problems or {})
        details = "; ".join(f"{key}: {text}" for key, text in self.problems.items())
        super().__init__(f"{message} ({details})" if details else message)

    def errors(self) -> Json | None:
        """The `errors` object of Discord's answer: nested by field, `_errors` at the leaves."""
        if not self.problems:
            return None
        tree: Json = {}
        for path, text in self.problems.items():
            node = tree
            for part in path.split("."):
                node = node.setdefault(part, {})
            node["_errors"] = [{"code": self.code, "message": text}]
        return tree


def _invalid(problems: Mapping[str, str]) -> ScheduledEventError:
    return ScheduledEventError(INVALID_FORM_BODY, "Invalid Form Body", problems)


def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 timestamp as an aware datetime (UTC when it names no offset); None if bad."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _snowflake(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _read_body(event: ScheduledEvent, body: Mapping[str, Any], problems: dict[str, str]) -> None:
    """Copy the fields `body` gives onto `event`, noting the ones of the wrong type."""
    if "entity_type" in body:
        if body["entity_type"] in (EVENT_STAGE, EVENT_VOICE, EVENT_EXTERNAL):
            event.entity_type = body["entity_type"]
        else:
            problems["entity_type"] = "Value must be one of (1, 2, 3)."
    if "privacy_level" in body and body["privacy_level"] != PRIVACY_GUILD_ONLY:
        problems["privacy_level"] = f"Value must be one of ({PRIVACY_GUILD_ONLY},)."
    if "name" in body:
        if isinstance(body["name"], str):
            event.name = body["name"]
        else:
            problems["name"] = "Must be a string."
    if "description" in body:
        if body["description"] is None or isinstance(body["description"], str):
            event.description = body["description"] or None
        else:
            problems["description"] = "Must be a string."
    _read_times(event, body, problems)
    _read_place(event, body, problems)


def _read_times(event: ScheduledEvent, body: Mapping[str, Any], problems: dict[str, str]) -> None:
    if "scheduled_start_time" in body:
        start = parse_time(body["scheduled_start_time"])
        if start is None:
            problems["scheduled_start_time"] = "Could not parse the timestamp; ISO 8601 expected."
        else:
            event.scheduled_start_time = start
    if "scheduled_end_time" in body:
        raw = body["scheduled_end_time"]
        end = None if raw is None else parse_time(raw)
        if raw is not None and end is None:
            problems["scheduled_end_time"] = "Could not parse the timestamp; ISO 8601 expected."
        else:
            event.scheduled_end_time = end


def _read_place(event: ScheduledEvent, body: Mapping[str, Any], problems: dict[str, str]) -> None:
    if "channel_id" in body:
        channel_id = _snowflake(body["channel_id"])
        if body["channel_id"] is not None and channel_id is None:
            problems["channel_id"] = "Value is not a snowflake."
        else:
            event.channel_id = channel_id
    if "entity_metadata" in body:
        metadata = body["entity_metadata"]
        location = metadata.get("location") if isinstance(metadata, dict) else None
        if location is not None and not isinstance(location, str):
            problems["entity_metadata.location"] = "Must be a string."
        else:
            event.location = location


def _check_entity(guild: Guild, event: ScheduledEvent, problems: dict[str, str]) -> None:
    """The field requirements of the event's entity type."""
    if event.entity_type == EVENT_EXTERNAL:
        if event.channel_id is not None:
            problems["channel_id"] = "Must be null for an EXTERNAL event."
        if not event.location:
            problems["entity_metadata.location"] = "An EXTERNAL event needs a location."
        elif len(event.location) > LOCATION_MAX:
            problems["entity_metadata.location"] = f"Must be 1 to {LOCATION_MAX} characters."
        if event.scheduled_end_time is None:
            problems["scheduled_end_time"] = "An EXTERNAL event needs an end time."
        return
    event.location = None  # Discord discards entity_metadata for voice and stage events
    wanted = CHANNEL_TYPE_FOR[event.entity_type]
    channel = guild.channels.get(event.channel_id) if event.channel_id is not None else None
    if event.channel_id is None:
        problems["channel_id"] = "A voice or stage event needs a channel."
    elif channel is None or channel.type != wanted:
        kind = "voice" if wanted == CHANNEL_VOICE else "stage"
        problems["channel_id"] = f"Must be a {kind} channel of this guild."


def _check_fields(event: ScheduledEvent, problems: dict[str, str]) -> None:
    """Lengths, and the end after the start."""
    if not 1 <= len(event.name) <= NAME_MAX:
        problems.setdefault("name", f"Must be 1 to {NAME_MAX} characters.")
    if event.description is not None and len(event.description) > DESCRIPTION_MAX:
        problems.setdefault("description", f"Must be at most {DESCRIPTION_MAX} characters.")
    end = event.scheduled_end_time
    if end is not None and end <= event.scheduled_start_time:
        problems.setdefault("scheduled_end_time", "Must be after the start time.")


def _check_start(event: ScheduledEvent, now: datetime, problems: dict[str, str]) -> None:
    if event.scheduled_start_time < now:
        problems.setdefault("scheduled_start_time", "Cannot schedule an event in the past.")


def create_event(
    guild: Guild, body: Mapping[str, Any], *, event_id: int, creator: User, now: datetime
) -> ScheduledEvent:
    """A new SCHEDULED event from Create Guild Scheduled Event params, checked as Discord does."""
    problems = {key: "This field is required." for key in _REQUIRED if body.get(key) is None}
    if problems:
        raise _invalid(problems)
    if sum(e.is_open for e in guild.scheduled_events.values()) >= OPEN_EVENTS_MAX:
        raise ScheduledEventError(
            TOO_MANY_EVENTS, "Maximum number of uncompleted guild scheduled events reached (100)"
        )
    event = ScheduledEvent(
        id=event_id,
        guild_id=guild.id,
        name="",
        scheduled_start_time=now,
        entity_type=EVENT_EXTERNAL,
        creator=creator,
    )
    _read_body(event, body, problems)
    if "status" in body:
        problems["status"] = "A new event is always SCHEDULED."
    if not problems:
        _check_entity(guild, event, problems)
        _check_fields(event, problems)
        _check_start(event, now, problems)
    if problems:
        raise _invalid(problems)
    return event


def modify_event(
    guild: Guild, event: ScheduledEvent, body: Mapping[str, Any], *, now: datetime
) -> ScheduledEvent:
    """The event as Modify Guild Scheduled Event params change it (`event` is left alone)."""
    if not event.is_open:
        raise ScheduledEventError(EVENT_FINISHED, "Cannot update a finished event")
    changed = dataclasses.replace(event, interested=set(event.interested))
    problems: dict[str, str] = {}
    _read_body(changed, body, problems)
    if "status" in body and body["status"] != event.status:
        if (event.status, body["status"]) in TRANSITIONS:
            changed.status = body["status"]
        else:
            old = STATUS_NAMES[event.status].upper()
            problems["status"] = f"An event cannot go from {old} to {body['status']!r}."
    if changed.entity_type == EVENT_EXTERNAL and event.entity_type != EVENT_EXTERNAL:
        for key in ("channel_id", "entity_metadata", "scheduled_end_time"):
            if key not in body:
                problems[key] = "Required when the entity type changes to EXTERNAL."
    if not problems:
        _check_entity(guild, changed, problems)
        _check_fields(changed, problems)
        if "scheduled_start_time" in body and changed.status == EVENT_SCHEDULED:
            _check_start(changed, now, problems)
    if problems:
        raise _invalid(problems)
    return changed
