"""What a subscription wants posted: one outbox row per milestone and per daily post.

Daily "N days to go" posts use APScheduler's CronTrigger only to compute their times (a
local time of day in an IANA zone, correct across daylight-saving changes); the times then
go into the outbox like every other reminder, so they too are posted exactly once and
survive restarts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from bot.reminders.milestones import DAILY_PREFIX, parse_milestones
from bot.store.countdown_models import PlannedDelivery, Subscription
from bot.store.models import Event, Season

DEFAULT_DAILY_DAYS = 14
MAX_DAILY_DAYS = 60


class DailyError(ValueError):
    """A daily-post time or zone cannot be used; the message says what is accepted."""


@dataclass(frozen=True, slots=True)
class EventRef:
    """A content event named so that the name survives pack re-imports."""

    show_key: str
    season_number: int
    event_key: str

    def __str__(self) -> str:
        return f"{self.show_key}/{self.season_number}/{self.event_key}"

    @classmethod
    def of(cls, season: Season, event: Event) -> EventRef:
        """The reference of `event` in `season`."""
        return cls(season.show_key, season.number, event.key)

    @classmethod
    def parse(cls, text: str) -> EventRef:
        """Read a stored reference back."""
        show, number, key = text.split("/", 2)
        return cls(show, int(number), key)


def parse_daily_time(text: str) -> tuple[int, int]:
    """Read a 24-hour time of day such as "18:00" or "6:30" as (hour, minute)."""
    parts = text.strip().split(":")
    if len(parts) == 2 and all(p.isdigit() for p in parts):
        hour, minute = int(parts[0]), int(parts[1])
        if 0 <= hour < 24 and 0 <= minute < 60:
            return hour, minute
    raise DailyError(f"“{text.strip()[:20]}” is not a time of day; use 24-hour HH:MM, e.g. 18:00.")


def parse_zone(name: str) -> ZoneInfo:
    """An IANA time zone such as Europe/London."""
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise DailyError(
            f"I don't know the time zone “{name.strip()[:40]}”. Use an IANA name such as "
            "Europe/London, America/New_York or Asia/Tokyo."
        ) from None


def daily_times(
    starts_at: datetime, time_text: str, zone_name: str, days: int
) -> list[tuple[str, datetime]]:
    """(code, due time) of each daily post in the last `days` days before the event.

    The code counts the calendar days left in the guild's zone ("daily:9"), so each
    "N days to go" is posted once even if the event moves.
    """
    hour, minute = parse_daily_time(time_text)
    zone = parse_zone(zone_name)
    trigger = CronTrigger(hour=hour, minute=minute, timezone=zone)
    window_start = starts_at - timedelta(days=days)
    premiere_day = starts_at.astimezone(zone).date()
    moments: list[tuple[str, datetime]] = []
    fire = trigger.get_next_fire_time(None, window_start.astimezone(zone))
    while fire is not None and fire < starts_at:
        days_left = (premiere_day - fire.astimezone(zone).date()).days
        moments.append((f"{DAILY_PREFIX}{days_left}", fire.astimezone(UTC)))
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
    return moments


def wanted(subscription: Subscription, starts_at: datetime) -> list[PlannedDelivery]:
    """Every reminder `subscription` wants for an event starting at `starts_at`."""
    planned = [
        PlannedDelivery(m.code, starts_at - m.lead)
        for m in parse_milestones(subscription.milestones)
    ]
    if subscription.daily_time and subscription.daily_timezone:
        days = subscription.daily_days or DEFAULT_DAILY_DAYS
        for code, due in daily_times(
            starts_at, subscription.daily_time, subscription.daily_timezone, days
        ):
            planned.append(PlannedDelivery(code, due))
    return planned
