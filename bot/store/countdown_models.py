"""Records of countdown reminders: guild subscriptions and outbox rows. No I/O, no SQL."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, NamedTuple

from bot.reminders.milestones import PostMilestone

SubscriptionStatus = Literal["active", "paused", "stopped"]
# What became of a countdown's target: Discord's four event statuses, and "deleted".
TargetState = Literal["scheduled", "active", "completed", "cancelled", "deleted"]
SkipStatus = Literal["skipped_stale", "skipped_superseded"]
DeliveryStatus = Literal["pending", "sending", "sent", "cancelled", "failed"] | SkipStatus
SETTLED: tuple[DeliveryStatus, ...] = (
    "sent",
    "skipped_stale",
    "skipped_superseded",
    "cancelled",
    "failed",
)
# (shard_count, shard_ids): the guilds whose `(guild_id >> 22) % shard_count` is in shard_ids.
Shards = tuple[int, frozenset[int]]
NONCE_LENGTH = 25  # Discord accepts nonces of at most 25 characters


SERVER_EVENT_PREFIX = "server-event:"


@dataclass(frozen=True, slots=True)
class PackEventRef:
    """A content pack's event, named so that the name survives pack re-imports."""

    show_key: str
    season_number: int
    event_key: str

    def __str__(self) -> str:
        return f"{self.show_key}/{self.season_number}/{self.event_key}"


@dataclass(frozen=True, slots=True)
class ServerEventRef:
    """One of a server's own Discord scheduled events."""

    event_id: int

    def __str__(self) -> str:
        return f"{SERVER_EVENT_PREFIX}{self.event_id}"


EventRef = PackEventRef | ServerEventRef


def parse_event_ref(text: str) -> EventRef:
    """A reference back from its text (a row, an option's value); ValueError if none."""
    if text.startswith(SERVER_EVENT_PREFIX):
        number = text.removeprefix(SERVER_EVENT_PREFIX)
        if not (number.isascii() and number.isdigit()) or len(number) > 20:
            raise ValueError(f"not a server event reference: {text!r}")
        return ServerEventRef(int(number))
    parts = text.split("/")
    season = parts[1] if len(parts) == 3 and all(parts) else ""
    if not (season.isascii() and season.isdigit()) or len(season) > 5:
        raise ValueError(f"not an event reference: {text!r}")
    return PackEventRef(parts[0], int(parts[1]), parts[2])


def delivery_nonce(guild_id: int, event_ref: EventRef, milestone: PostMilestone) -> str:
    """The Discord message nonce of one outbox row: the same for every retry of it."""
    digest = hashlib.sha256(f"{guild_id}:{event_ref}:{milestone}".encode()).hexdigest()
    return digest[:NONCE_LENGTH]


class DeliveryKey(NamedTuple):
    """What names one outbox row."""

    guild_id: int
    event_ref: EventRef
    milestone: PostMilestone

    @property
    def stored(self) -> tuple[int, str, str]:
        """The key as the row's columns hold it."""
        return self.guild_id, str(self.event_ref), str(self.milestone)


@dataclass(frozen=True, slots=True)
class Subscription:
    """A guild's countdown for one event: where to post, whom to ping, and when."""

    guild_id: int
    event_ref: EventRef
    channel_id: int
    role_id: int | None
    milestones: str  # canonical comma list: "30d,7d,1d,1h,0"
    status: SubscriptionStatus
    pause_reason: str | None
    daily_time: str | None  # "HH:MM" in daily_timezone
    daily_timezone: str | None
    daily_days: int | None
    scheduled_event_id: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Delivery:
    """One row of the outbox: one reminder for one guild, and what became of it."""

    guild_id: int
    event_ref: EventRef
    milestone: PostMilestone
    due_at: datetime
    status: DeliveryStatus
    channel_id: int
    role_id: int | None
    nonce: str
    message_id: int | None
    attempts: int
    claimed_at: datetime | None
    settled_at: datetime | None
    detail: str | None
    tried_due_at: datetime | None = None  # due time of a try that may have gone out

    @property
    def key(self) -> DeliveryKey:
        """The row's primary key."""
        return DeliveryKey(self.guild_id, self.event_ref, self.milestone)


@dataclass(frozen=True, slots=True)
class PlannedDelivery:
    """A reminder the planner wants to exist: a milestone and when it is due.

    `late_ok`: due already and still wanted (an event that started early wants its "it's
    time" post at once); otherwise a row whose time a change put in the past is cancelled.
    """

    milestone: PostMilestone
    due_at: datetime
    late_ok: bool = False


@dataclass(frozen=True, slots=True)
class PlanResult:
    """What `DeliveryQueries.plan` changed, in rows."""

    inserted: int = 0  # new pending rows
    moved: int = 0  # pending rows whose due_at changed
    cancelled: int = 0  # pending rows no longer wanted, or moved into the past
    revived: int = 0  # cancelled rows wanted again (pending, attempts 0)


@dataclass(frozen=True, slots=True)
class ServerEvent:
    """What the bot knows of one of a server's Discord scheduled events."""

    guild_id: int
    event_id: int
    name: str
    description: str | None
    starts_at: datetime
    ends_at: datetime | None
    state: TargetState
    channel_id: int | None  # voice or stage channel; None for an external event
    location: str | None  # external events
    user_count: int | None  # "interested", when Discord said
    started_at: datetime | None  # when it became active, if it has
    updated_at: datetime

    @property
    def ref(self) -> ServerEventRef:
        """The reference a countdown to this event is stored under."""
        return ServerEventRef(self.event_id)

    @property
    def url(self) -> str:
        """The event's page in Discord."""
        return f"https://discord.com/events/{self.guild_id}/{self.event_id}"


@dataclass(frozen=True, slots=True)
class Target:
    """What a countdown counts down to, whether a pack's event or a server's own.

    `name` is how posts name it ("Heartstopper season 2", "Watch party"); `starts_at` is
    when the "it's time" post is due: the scheduled start, or the moment it actually
    started if that came first.
    """

    ref: EventRef
    name: str
    title: str  # the event's own title: "Premiere", "Watch party"
    starts_at: datetime | None
    state: TargetState
    where: str | None  # "on Netflix", "in <#123>", "at Central Park"
    description: str | None
    url: str | None
    user_count: int | None

    @property
    def is_server_event(self) -> bool:
        """Whether it is one of the server's own events (a moderator named it)."""
        return isinstance(self.ref, ServerEventRef)

    @property
    def live(self) -> bool:
        """Whether posts can still be planned: neither cancelled, deleted nor completed."""
        return self.state in ("scheduled", "active")
