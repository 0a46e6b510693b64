"""bot/reminders/milestones.py: reading an admin's list, headlines and grace windows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.reminders.milestones import (
    DEFAULT_MILESTONES,
    DailyPost,
    Milestone,
    MilestoneError,
    canonical,
    milestone_from_code,
    parse_milestones,
)


def test_default_list() -> None:
    assert canonical(parse_milestones(None)) == DEFAULT_MILESTONES
    assert canonical(parse_milestones("   ")) == DEFAULT_MILESTONES


def test_any_order_spacing_case_and_duplicates() -> None:
    assert canonical(parse_milestones("0, 1H 7d;7D,  1d")) == "7d,1d,1h,0"
    assert canonical(parse_milestones("2w,90m")) == "2w,90m"


@pytest.mark.parametrize("text", ["soon", "7 days", "-1d", "1y", "d7", "7d,", "1.5d", "x" * 300])
def test_bad_syntax_shows_the_accepted_form(text: str) -> None:
    if text == "7d,":
        assert canonical(parse_milestones(text)) == "7d"  # a trailing comma is harmless
        return
    with pytest.raises(MilestoneError, match="30d,7d,1d,1h,0"):
        parse_milestones(text)


def test_limits() -> None:
    with pytest.raises(MilestoneError, match="365d"):
        parse_milestones("400d")
    with pytest.raises(MilestoneError, match="at most"):
        parse_milestones(",".join(f"{n}h" for n in range(1, 20)))


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("30d", "One month to go!"),
        ("14d", "Two weeks to go!"),
        ("7d", "One week to go!"),
        ("3d", "Three days to go!"),
        ("1d", "One day to go!"),
        ("1h", "One hour to go!"),
        ("90m", "90 minutes to go!"),
        ("0", "It's here!"),
        ("daily:9", "9 days to go!"),
        ("daily:1", "Tomorrow!"),
        ("daily:0", "It's premiere day!"),
    ],
)
def test_headlines(code: str, expected: str) -> None:
    assert milestone_from_code(code).headline == expected
    assert str(milestone_from_code(code)) == code  # the stored code reads back as itself


def test_grace_windows() -> None:
    assert milestone_from_code("0").grace == timedelta(hours=1)
    assert milestone_from_code("1h").grace == timedelta(minutes=15)
    assert milestone_from_code("1d").grace == timedelta(hours=2, minutes=24)
    assert milestone_from_code("30d").grace == timedelta(hours=12)
    assert milestone_from_code("daily:3").grace == timedelta(hours=2)


def test_daily_posts_are_told_apart_from_milestones() -> None:
    assert milestone_from_code("daily:9") == DailyPost(9)
    assert milestone_from_code("7d") == Milestone(timedelta(days=7), "7d")
    assert milestone_from_code("0") != DailyPost(0)


def test_order_is_by_lead() -> None:
    assert (
        sorted([Milestone.parse("1h"), Milestone.parse("2d"), Milestone.parse("0")])[0].code == "0"
    )
