"""bot/reminders/planner.py: outbox rows wanted, daily posts across daylight saving."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.reminders.planner import (
    DailyError,
    EventRef,
    daily_times,
    parse_daily_time,
    parse_zone,
    wanted,
)
from bot.store.countdown_models import Subscription

NOW = datetime(2023, 7, 1, tzinfo=UTC)


def subscription(**changes: object) -> Subscription:
    fields: dict[str, object] = {
        "guild_id": 1,
        "event_ref": "heartstopper/2/premiere",
        "channel_id": 2,
        "role_id": None,
        "milestones": "7d,1d,0",
        "status": "active",
        "pause_reason": None,
        "daily_time": None,
        "daily_timezone": None,
        "daily_days": None,
        "scheduled_event_id": None,
        "created_at": NOW,
        "updated_at": NOW,
    }
    fields.update(changes)
    return Subscription(**fields)  # type: ignore[arg-type]


def test_milestones_become_due_times() -> None:
    premiere = datetime(2023, 8, 3, 7, tzinfo=UTC)
    planned = {p.milestone: p.due_at for p in wanted(subscription(), premiere)}
    assert planned == {
        "7d": datetime(2023, 7, 27, 7, tzinfo=UTC),
        "1d": datetime(2023, 8, 2, 7, tzinfo=UTC),
        "0": premiere,
    }


def test_daily_posts_keep_local_time_across_the_autumn_change() -> None:
    # Europe/London leaves summer time on Sunday 29 October 2023.
    premiere = datetime(2023, 11, 2, 12, tzinfo=UTC)
    times = dict(daily_times(premiere, "18:00", "Europe/London", 7))
    assert times["daily:5"] == datetime(2023, 10, 28, 17, tzinfo=UTC)  # 18:00 BST
    assert times["daily:4"] == datetime(2023, 10, 29, 18, tzinfo=UTC)  # 18:00 GMT
    assert sorted(times) == [f"daily:{n}" for n in range(1, 8)]


def test_daily_posts_across_the_spring_gap() -> None:
    # New York skips 02:00-03:00 on 12 March 2023: a 02:30 post moves, it is not lost.
    premiere = datetime(2023, 3, 14, 12, tzinfo=UTC)
    times = dict(daily_times(premiere, "2:30", "America/New_York", 3))
    assert len(times) == 3
    assert times["daily:1"] == datetime(2023, 3, 13, 6, 30, tzinfo=UTC)  # 02:30 EDT


def test_daily_posts_stop_before_the_premiere() -> None:
    premiere = datetime(2023, 8, 3, 7, tzinfo=UTC)  # 08:00 in London
    times = daily_times(premiere, "18:00", "Europe/London", 3)
    assert [code for code, _ in times] == ["daily:3", "daily:2", "daily:1"]
    assert all(due < premiere for _, due in times)


def test_wanted_includes_daily_posts() -> None:
    premiere = datetime(2023, 8, 3, 7, tzinfo=UTC)
    planned = wanted(
        subscription(daily_time="18:00", daily_timezone="Europe/London", daily_days=2), premiere
    )
    assert [p.milestone for p in planned] == ["7d", "1d", "0", "daily:2", "daily:1"]


@pytest.mark.parametrize("text", ["25:00", "18", "six", "18:60", "-1:00", ""])
def test_bad_times(text: str) -> None:
    with pytest.raises(DailyError, match="HH:MM"):
        parse_daily_time(text)


@pytest.mark.parametrize("name", ["Mars/Olympus", "../etc/passwd", "", "Europe/"])
def test_bad_zones(name: str) -> None:
    with pytest.raises(DailyError, match="IANA"):
        parse_zone(name)


def test_event_refs_round_trip() -> None:
    ref = EventRef("heartstopper", 2, "premiere")
    assert str(ref) == "heartstopper/2/premiere"
    assert EventRef.parse(str(ref)) == ref
