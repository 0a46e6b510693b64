"""What a subscription wants posted: one outbox row per milestone and per daily post.

Daily "N days to go" posts are a local time of day in an IANA zone, computed with zoneinfo
for each calendar day (correct across daylight-saving changes); the times then go into the
outbox like every other reminder, so they too are posted exactly once and survive restarts.
`days: N` means a post on each of the N calendar days before the event's day, and one on the
day itself when the daily time comes before the event.

One post a day: with daily posts on, a milestone and a daily post never both go out on one
local day. A milestone of whole days ("7d", "2w": that many calendar days before the event's
day) that falls on a day with a daily post is posted at that day's daily time, in the
milestone's words, instead of the daily post (unless that time has already gone by when the
daily posts are turned on: then the milestone keeps its own time). A milestone of hours or
minutes ("1h", "0") keeps its exact time, since its words say it, and the daily post of its
day is dropped. Milestones among themselves are the admin's choice.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.reminders.milestones import DEFAULT_DAILY_DAYS, DailyPost, Milestone, parse_milestones
from bot.store.countdown_models import PlannedDelivery, Subscription


class DailyError(ValueError):
    """A daily-post time or zone cannot be used; the message says what is accepted."""


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
) -> list[tuple[DailyPost, datetime]]:
    """Each daily post and its due time: the last `days` days before the event's day.

    A post counts the calendar days left in the guild's zone ("daily:9"), so each
    "N days to go" is posted once even if the event moves. The event's own day has a post
    ("daily:0") only when the daily time comes before the event. A time that a clock
    change skips (02:30 on a spring-forward night) is read with the offset before the
    change, so it moves on by an hour rather than being lost; one that happens twice (01:30
    on an autumn night) is the first of the two.
    """
    hour, minute = parse_daily_time(time_text)
    zone = parse_zone(zone_name)
    event_day = starts_at.astimezone(zone).date()
    moments: list[tuple[DailyPost, datetime]] = []
    for days_left in range(days, -1, -1):
        local = datetime.combine(event_day - timedelta(days=days_left), time(hour, minute), zone)
        due = local.astimezone(UTC)
        if due < starts_at:
            moments.append((DailyPost(days_left), due))
    return moments


def _whole_days(milestone: Milestone) -> bool:
    lead = milestone.lead
    return lead > timedelta(0) and lead % timedelta(days=1) == timedelta(0)


def wanted(
    subscription: Subscription, starts_at: datetime, *, now: datetime, started: bool = False
) -> list[PlannedDelivery]:
    """Every reminder `subscription` wants for an event starting at `starts_at`.

    `started`: the event has begun (perhaps early, `starts_at` being when), so its "it's
    time" post is wanted at once even though its moment has passed. `now` keeps a whole-day
    milestone at its own time when its day's daily slot has already gone by (daily posts
    turned on in the middle of that day).
    """
    milestones = parse_milestones(subscription.milestones)
    if not (subscription.daily_time and subscription.daily_timezone):
        return [_milestone_post(m, starts_at, started) for m in milestones]
    zone = parse_zone(subscription.daily_timezone)
    days = subscription.daily_days or DEFAULT_DAILY_DAYS
    daily: dict[date, tuple[DailyPost, datetime]] = {
        due.astimezone(zone).date(): (post, due)
        for post, due in daily_times(starts_at, subscription.daily_time, zone.key, days)
    }
    event_day = starts_at.astimezone(zone).date()
    planned: list[PlannedDelivery] = []
    for milestone in milestones:
        post = _milestone_post(milestone, starts_at, started)
        own_day = post.due_at.astimezone(zone).date()
        if _whole_days(milestone):  # "7d" means seven calendar days before, in words
            slot = daily.pop(event_day - timedelta(days=milestone.lead.days), None)
            if slot is not None and not (slot[1] <= now < post.due_at):
                planned.append(PlannedDelivery(milestone, slot[1]))
                continue
        daily.pop(own_day, None)
        planned.append(post)
    planned.extend(PlannedDelivery(post, due) for post, due in daily.values())
    return planned


def _milestone_post(milestone: Milestone, starts_at: datetime, started: bool) -> PlannedDelivery:
    late_ok = started and milestone.lead == timedelta(0)
    return PlannedDelivery(milestone, starts_at - milestone.lead, late_ok=late_ok)
