"""bot/reminders/service.decide: which claimed reminders go out, which are skipped and why."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.reminders.milestones import milestone_from_code
from bot.reminders.service import decide
from bot.store.countdown_models import Delivery, PackEventRef, delivery_nonce

PREMIERE = datetime(2023, 8, 3, 7, tzinfo=UTC)
REF = PackEventRef("heartstopper", 2, "premiere")
LEADS = {
    "7d": timedelta(days=7),
    "1d": timedelta(days=1),
    "1h": timedelta(hours=1),
    "0": timedelta(),
}


def row(milestone: str, guild: int = 1, due: datetime | None = None) -> Delivery:
    if due is None:
        due = PREMIERE - LEADS[milestone]
    return Delivery(
        guild_id=guild,
        event_ref=REF,
        milestone=milestone_from_code(milestone),
        due_at=due,
        status="sending",
        channel_id=10,
        role_id=None,
        nonce=delivery_nonce(guild, REF, milestone_from_code(milestone)),
        message_id=None,
        attempts=1,
        claimed_at=None,
        settled_at=None,
        detail=None,
    )


def outcome(decisions: list) -> dict[tuple[int, str], str]:  # type: ignore[type-arg]
    return {
        (d.delivery.guild_id, str(d.delivery.milestone)): "post" if d.post else d.status
        for d in decisions
    }


def test_on_time_reminder_is_posted() -> None:
    assert outcome(decide([row("1d")], PREMIERE - timedelta(days=1))) == {(1, "1d"): "post"}


def test_only_the_latest_overdue_goes_out() -> None:
    now = PREMIERE - timedelta(minutes=50)
    decisions = decide([row("7d"), row("1d"), row("1h")], now)
    assert outcome(decisions) == {
        (1, "7d"): "skipped_superseded",
        (1, "1d"): "skipped_superseded",
        (1, "1h"): "post",
    }


def test_past_grace_is_stale() -> None:
    now = PREMIERE - timedelta(minutes=40)  # the 1h reminder is 20 min late; grace 15 min
    assert outcome(decide([row("1h")], now)) == {(1, "1h"): "skipped_stale"}
    stale = decide([row("1h")], now)[0]
    assert "20 min late" in stale.detail


def test_tolerance_absorbs_scheduler_jitter() -> None:
    now = PREMIERE - timedelta(minutes=40)
    assert outcome(decide([row("1h")], now, tolerance=timedelta(hours=1))) == {(1, "1h"): "post"}


def test_guilds_are_separate_streams_and_daily_posts_share_one() -> None:
    now = PREMIERE - timedelta(days=1)
    daily = row("daily:2", due=now - timedelta(minutes=5))
    decisions = decide([row("1d", guild=1), row("1d", guild=2), daily], now)
    # One post a day per countdown: the overdue daily post is superseded by the milestone.
    assert outcome(decisions) == {
        (1, "1d"): "post",
        (2, "1d"): "post",
        (1, "daily:2"): "skipped_superseded",
    }
