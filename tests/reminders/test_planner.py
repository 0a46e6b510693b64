"""bot/reminders/planner.py: outbox rows wanted, daily posts across daylight saving."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from bot.reminders.milestones import DailyPost
from bot.reminders.planner import (
    DailyError,
    daily_times,
    parse_daily_time,
    parse_zone,
    wanted,
)
from bot.store.countdown_models import (
    PackEventRef,
    ServerEventRef,
    Subscription,
    parse_event_ref,
)

NOW = datetime(2023, 7, 1, tzinfo=UTC)


def subscription(**changes: object) -> Subscription:
    fields: dict[str, object] = {
        "guild_id": 1,
        "event_ref": PackEventRef("heartstopper", 2, "premiere"),
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


def codes(times: list[tuple[DailyPost, datetime]]) -> dict[str, datetime]:
    return {str(post): due for post, due in times}


def test_milestones_become_due_times() -> None:
    premiere = datetime(2023, 8, 3, 7, tzinfo=UTC)
    planned = {str(p.milestone): p.due_at for p in wanted(subscription(), premiere, now=NOW)}
    assert planned == {
        "7d": datetime(2023, 7, 27, 7, tzinfo=UTC),
        "1d": datetime(2023, 8, 2, 7, tzinfo=UTC),
        "0": premiere,
    }


def test_daily_posts_keep_local_time_across_the_autumn_change() -> None:
    # Europe/London leaves summer time on Sunday 29 October 2023.
    premiere = datetime(2023, 11, 2, 12, tzinfo=UTC)
    times = codes(daily_times(premiere, "18:00", "Europe/London", 7))
    assert times["daily:5"] == datetime(2023, 10, 28, 17, tzinfo=UTC)  # 18:00 BST
    assert times["daily:4"] == datetime(2023, 10, 29, 18, tzinfo=UTC)  # 18:00 GMT
    assert sorted(times) == [f"daily:{n}" for n in range(1, 8)]


def test_daily_posts_across_the_spring_gap() -> None:
    # New York skips 02:00-03:00 on 12 March 2023: a 02:30 post moves, it is not lost.
    premiere = datetime(2023, 3, 14, 12, tzinfo=UTC)
    times = codes(daily_times(premiere, "2:30", "America/New_York", 3))
    assert sorted(times) == ["daily:0", "daily:1", "daily:2", "daily:3"]
    assert times["daily:2"].date().day == 12  # the day of the gap still has its post
    assert times["daily:1"] == datetime(2023, 3, 13, 6, 30, tzinfo=UTC)  # 02:30 EDT


def test_daily_posts_stop_before_the_premiere() -> None:
    premiere = datetime(2023, 8, 3, 7, tzinfo=UTC)  # 08:00 in London
    times = daily_times(premiere, "18:00", "Europe/London", 3)
    assert [str(post) for post, _ in times] == ["daily:3", "daily:2", "daily:1"]
    assert all(due < premiere for _, due in times)


def test_days_counts_the_days_before_the_event_day() -> None:
    # `days: 3` with a morning post: 3, 2 and 1 days to go, then the event's own morning.
    premiere = datetime(2023, 8, 3, 7, tzinfo=UTC)  # 08:00 in London
    times = daily_times(premiere, "06:00", "Europe/London", 3)
    assert [str(post) for post, _ in times] == ["daily:3", "daily:2", "daily:1", "daily:0"]


def daily_plan(
    milestones: str,
    time: str,
    days: int = 14,
    premiere: datetime = datetime(2023, 8, 3, 7, tzinfo=UTC),  # Thursday 08:00 in London
) -> dict[str, datetime]:
    sub = subscription(
        milestones=milestones, daily_time=time, daily_timezone="Europe/London", daily_days=days
    )
    return {str(p.milestone): p.due_at for p in wanted(sub, premiere, now=NOW)}


def test_one_post_a_day_whole_day_milestones_take_the_daily_time() -> None:
    planned = daily_plan("7d,3d,1d,1h,0", "18:00", days=7)
    # 7d, 3d and 1d go out at 18:00 London in their own words, instead of that day's post.
    assert planned["7d"] == datetime(2023, 7, 27, 17, tzinfo=UTC)
    assert planned["3d"] == datetime(2023, 7, 31, 17, tzinfo=UTC)
    assert planned["1d"] == datetime(2023, 8, 2, 17, tzinfo=UTC)
    assert "daily:7" not in planned and "daily:3" not in planned and "daily:1" not in planned
    # hour milestones keep their exact time
    assert planned["1h"] == datetime(2023, 8, 3, 6, tzinfo=UTC)
    assert planned["0"] == datetime(2023, 8, 3, 7, tzinfo=UTC)
    assert sorted(k for k in planned if k.startswith("daily:")) == [
        "daily:2", "daily:4", "daily:5", "daily:6",
    ]  # fmt: skip


def test_one_post_a_day_the_event_day_keeps_its_milestones_not_the_morning_post() -> None:
    planned = daily_plan("1h,0", "06:00", days=3)
    assert "daily:0" not in planned  # "It's premiere day!" would be a second post that day
    assert set(planned) == {"daily:3", "daily:2", "daily:1", "1h", "0"}


def test_one_post_a_day_holds_for_every_local_day() -> None:
    from zoneinfo import ZoneInfo

    london = ZoneInfo("Europe/London")
    summer = datetime(2023, 8, 3, 7, tzinfo=UTC)
    across_the_change = datetime(2023, 11, 2, 12, tzinfo=UTC)  # clocks go back on 29 October
    for premiere, time in itertools.product(
        (summer, across_the_change), ("00:30", "06:00", "12:00", "18:00", "23:59")
    ):
        planned = daily_plan("30d,14d,7d,3d,1d,1h,0", time, days=20, premiere=premiere)
        days: dict[object, list[str]] = {}
        for code, due in planned.items():
            days.setdefault(due.astimezone(london).date(), []).append(code)
        for codes in days.values():
            daily = [c for c in codes if c.startswith("daily:")]
            assert not (daily and len(codes) > 1), (time, codes)


def test_a_started_event_wants_its_moment_at_once() -> None:
    started = datetime(2023, 8, 3, 6, 30, tzinfo=UTC)
    planned = {str(p.milestone): p for p in wanted(subscription(), started, now=NOW, started=True)}
    assert planned["0"].due_at == started and planned["0"].late_ok
    assert not planned["1d"].late_ok


def test_wanted_includes_daily_posts() -> None:
    premiere = datetime(2023, 8, 3, 7, tzinfo=UTC)
    planned = wanted(
        subscription(daily_time="18:00", daily_timezone="Europe/London", daily_days=2),
        premiere,
        now=NOW,
    )
    # 1d takes the 18:00 slot of its day (2 August); 2 August's daily post is not planned.
    assert [str(p.milestone) for p in planned] == ["7d", "1d", "0", "daily:2"]


@pytest.mark.parametrize("text", ["25:00", "18", "six", "18:60", "-1:00", ""])
def test_bad_times(text: str) -> None:
    with pytest.raises(DailyError, match="HH:MM"):
        parse_daily_time(text)


@pytest.mark.parametrize("name", ["Mars/Olympus", "../etc/passwd", "", "Europe/"])
def test_bad_zones(name: str) -> None:
    with pytest.raises(DailyError, match="IANA"):
        parse_zone(name)


def test_event_refs_round_trip() -> None:
    for ref in (PackEventRef("heartstopper", 2, "premiere"), ServerEventRef(1234567890123)):
        assert parse_event_ref(str(ref)) == ref
    assert str(ServerEventRef(5)) == "server-event:5"


@pytest.mark.parametrize(
    "text",
    [
        "", "heartstopper", "a/b/c", "a/2/", "/2/x", "a/²/x", "a/123456/x", "server-event:",
        "server-event:x", "server-event:²",
    ],
)  # fmt: skip
def test_malformed_event_refs(text: str) -> None:
    with pytest.raises(ValueError, match="reference"):
        parse_event_ref(text)


def test_a_daily_time_in_the_repeated_autumn_hour_is_posted_once() -> None:
    # London repeats 01:00-02:00 on 29 October 2023: 01:30 happens twice, the post once.
    premiere = datetime(2023, 11, 2, 12, tzinfo=UTC)
    times = codes(daily_times(premiere, "01:30", "Europe/London", 7))
    assert sorted(times) == [f"daily:{n}" for n in range(8)]
    assert times["daily:4"] == datetime(2023, 10, 29, 0, 30, tzinfo=UTC)  # 01:30 BST


def test_whole_day_milestones_keep_their_words_true_across_the_spring_change() -> None:
    from zoneinfo import ZoneInfo

    london = ZoneInfo("Europe/London")
    # 00:30 BST on Monday 30 March 2026; clocks went forward on Sunday 29 March.
    premiere = datetime(2026, 3, 29, 23, 30, tzinfo=UTC)
    planned = daily_plan("7d,1d,0", "18:00", days=10, premiere=premiere)
    assert planned["7d"].astimezone(london).date().isoformat() == "2026-03-23"
    assert planned["1d"].astimezone(london).date().isoformat() == "2026-03-29"
    assert "daily:7" not in planned and "daily:1" not in planned


def test_a_slot_already_gone_by_leaves_the_milestone_its_own_time() -> None:
    premiere = datetime(2023, 8, 3, 19, tzinfo=UTC)  # 20:00 in London
    sub = subscription(
        milestones="7d,0", daily_time="09:00", daily_timezone="Europe/London", daily_days=7
    )
    noon = datetime(2023, 7, 27, 11, tzinfo=UTC)  # daily posts turned on at noon, day of 7d
    planned = {str(p.milestone): p.due_at for p in wanted(sub, premiere, now=noon)}
    assert planned["7d"] == datetime(2023, 7, 27, 19, tzinfo=UTC)  # its own 20:00, not 09:00
    assert "daily:7" not in planned
    earlier = {str(p.milestone): p.due_at for p in wanted(sub, premiere, now=NOW)}
    assert earlier["7d"] == datetime(2023, 7, 27, 8, tzinfo=UTC)  # 09:00, merged
