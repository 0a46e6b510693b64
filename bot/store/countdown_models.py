"""Records of countdown reminders: guild subscriptions and outbox rows. No I/O, no SQL."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, NamedTuple

SubscriptionStatus = Literal["active", "paused", "stopped"]
DeliveryStatus = Literal[
    "pending", "sending", "sent", "skipped_stale", "skipped_superseded", "cancelled", "failed"
]
SkipStatus = Literal["skipped_stale", "skipped_superseded"]
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


def delivery_nonce(guild_id: int, event_ref: str, milestone: str) -> str:
    """The Discord message nonce of one outbox row: the same for every retry of it."""
    digest = hashlib.sha256(f"{guild_id}:{event_ref}:{milestone}".encode()).hexdigest()
    return digest[:NONCE_LENGTH]


def utc_seconds(moment: datetime) -> datetime:
    """`moment` in UTC, to the second; naive datetimes are refused."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: pass an aware one")
    return moment.astimezone(UTC).replace(microsecond=0)


def to_db_time(moment: datetime) -> str:
    """The stored form of a moment: 'YYYY-MM-DDTHH:MM:SS+00:00'."""
    return utc_seconds(moment).isoformat()


def from_db_time(text: str) -> datetime:
    """A stored moment back as an aware UTC datetime."""
    return datetime.fromisoformat(text).astimezone(UTC)


def optional_time(text: str | None) -> datetime | None:
    """`from_db_time` for a column that may be NULL."""
    return from_db_time(text) if text is not None else None


class DeliveryKey(NamedTuple):
    """What names one outbox row."""

    guild_id: int
    event_ref: str
    milestone: str


@dataclass(frozen=True, slots=True)
class Subscription:
    """A guild's countdown for one event: where to post, whom to ping, and when."""

    guild_id: int
    event_ref: str  # "<show_key>/<season_number>/<event_key>"
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
    event_ref: str
    milestone: str  # "7d", "1h", "0", "daily:2023-07-25"
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

    @property
    def key(self) -> DeliveryKey:
        """The row's primary key."""
        return DeliveryKey(self.guild_id, self.event_ref, self.milestone)


@dataclass(frozen=True, slots=True)
class PlannedDelivery:
    """A reminder the planner wants to exist: a milestone and when it is due."""

    milestone: str
    due_at: datetime


@dataclass(frozen=True, slots=True)
class PlanResult:
    """What `DeliveryQueries.plan` changed, in rows."""

    inserted: int = 0  # new pending rows
    moved: int = 0  # pending rows whose due_at changed
    cancelled: int = 0  # pending rows no longer wanted
    revived: int = 0  # cancelled rows wanted again (pending, attempts 0)
