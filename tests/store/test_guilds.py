from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.reminders.milestones import milestone_from_code
from bot.store import PlannedDelivery, Store, Subscription
from bot.store.countdown_models import EventRef, PackEventRef
from tests.store.conftest import CLOCK_START

NOW = CLOCK_START
LATER = NOW + timedelta(hours=1)
REF = PackEventRef("heartstopper", 2, "premiere")
OTHER = PackEventRef("heartstopper", 2, "trailer")
PREMIERE = datetime(2023, 8, 3, 7, 0, tzinfo=UTC)


async def subscribe(
    store: Store, guild: int = 1, ref: EventRef = REF, *, channel: int = 10, role: int | None = 20
) -> Subscription:
    return await store.guilds.subscribe(
        guild, ref, channel_id=channel, role_id=role, milestones="7d,1d,0", now=NOW
    )


async def plan(store: Store, guild: int = 1, ref: EventRef = REF, channel: int = 10) -> None:
    wanted = [
        PlannedDelivery(milestone_from_code("7d"), PREMIERE - timedelta(days=7)),
        PlannedDelivery(milestone_from_code("1d"), PREMIERE - timedelta(days=1)),
        PlannedDelivery(milestone_from_code("0"), PREMIERE),
    ]
    await store.deliveries.plan(guild, ref, wanted, channel_id=channel, role_id=20, now=NOW)


async def test_subscribe_creates_an_active_subscription(store: Store) -> None:
    sub = await subscribe(store)
    assert sub == Subscription(
        guild_id=1,
        event_ref=REF,
        channel_id=10,
        role_id=20,
        milestones="7d,1d,0",
        status="active",
        pause_reason=None,
        daily_time=None,
        daily_timezone=None,
        daily_days=None,
        scheduled_event_id=None,
        created_at=NOW,
        updated_at=NOW,
    )
    assert sub.created_at.tzinfo is not None
    assert await store.guilds.get(1, REF) == sub


async def test_times_are_stored_as_utc_seconds(store: Store) -> None:
    paris = timezone(timedelta(hours=2))
    sub = await store.guilds.subscribe(
        1,
        REF,
        channel_id=10,
        role_id=None,
        milestones="0",
        now=datetime(2023, 7, 10, 14, 0, 0, 987654, tzinfo=paris),
    )
    assert sub.created_at == NOW
    assert sub.created_at.utcoffset() == timedelta(0)
    [row] = await store.db.conn.execute_fetchall("SELECT created_at FROM subscriptions")
    assert row[0] == "2023-07-10T12:00:00+00:00"


async def test_naive_time_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="naive"):
        await store.guilds.subscribe(
            1,
            REF,
            channel_id=10,
            role_id=None,
            milestones="0",
            now=datetime(2023, 7, 10),  # noqa: DTZ001
        )
    assert await store.guilds.get(1, REF) is None


async def test_repeated_setup_updates_and_keeps_daily_and_event(store: Store) -> None:
    await subscribe(store)
    await store.guilds.set_daily(1, REF, time="18:00", timezone="Europe/London", days=10, now=NOW)
    await store.guilds.set_scheduled_event(1, REF, 999, NOW)
    await store.guilds.pause(1, "missing permissions", NOW)

    sub = await store.guilds.subscribe(
        1, REF, channel_id=11, role_id=None, milestones="1d,0", now=LATER
    )
    assert (sub.channel_id, sub.role_id, sub.milestones) == (11, None, "1d,0")
    assert (sub.status, sub.pause_reason) == ("active", None)
    assert (sub.daily_time, sub.daily_timezone, sub.daily_days) == ("18:00", "Europe/London", 10)
    assert sub.scheduled_event_id == 999
    assert (sub.created_at, sub.updated_at) == (NOW, LATER)
    assert len(await store.guilds.for_guild(1)) == 1


async def test_repeated_setup_moves_pending_deliveries_only(store: Store) -> None:
    await subscribe(store)
    await plan(store)
    now = PREMIERE - timedelta(days=7)
    [first] = await store.deliveries.claim_due(now)
    assert await store.deliveries.mark_sent(first.key, 555, now)

    await store.guilds.subscribe(1, REF, channel_id=11, role_id=21, milestones="7d,1d,0", now=now)
    [sent] = await store.deliveries.history(1, REF)
    assert (str(sent.milestone), sent.channel_id, sent.role_id) == ("7d", 10, 20)
    pending = await store.deliveries.pending_for(1, REF)
    assert [(d.channel_id, d.role_id) for d in pending] == [(11, 21), (11, 21)]


async def test_repeated_setup_reactivates_a_stopped_subscription(store: Store) -> None:
    await subscribe(store)
    await store.guilds.stop(1, REF, NOW)
    assert (await subscribe(store)).status == "active"


async def test_set_daily_sets_and_clears(store: Store) -> None:
    assert (
        await store.guilds.set_daily(1, REF, time="18:00", timezone="UTC", days=5, now=NOW)
    ) is None
    await subscribe(store)
    sub = await store.guilds.set_daily(
        1, REF, time="07:30", timezone="Asia/Tokyo", days=14, now=LATER
    )
    assert sub is not None
    assert (sub.daily_time, sub.daily_timezone, sub.daily_days) == ("07:30", "Asia/Tokyo", 14)
    assert sub.updated_at == LATER
    cleared = await store.guilds.set_daily(1, REF, time=None, timezone=None, days=None, now=LATER)
    assert cleared is not None
    assert (cleared.daily_time, cleared.daily_timezone, cleared.daily_days) == (None, None, None)
    assert await store.guilds.get(1, REF) == cleared


async def test_set_scheduled_event(store: Store) -> None:
    await store.guilds.set_scheduled_event(1, REF, 5, NOW)  # no subscription: nothing happens
    assert await store.guilds.get(1, REF) is None
    await subscribe(store)
    await store.guilds.set_scheduled_event(1, REF, 5, LATER)
    sub = await store.guilds.get(1, REF)
    assert sub is not None
    assert (sub.scheduled_event_id, sub.updated_at) == (5, LATER)
    await store.guilds.set_scheduled_event(1, REF, None, LATER)
    sub = await store.guilds.get(1, REF)
    assert sub is not None
    assert sub.scheduled_event_id is None


async def test_lookups(store: Store) -> None:
    assert await store.guilds.get(1, REF) is None
    assert await store.guilds.for_guild(1) == []
    await subscribe(store, 1, OTHER)
    await subscribe(store, 1, REF)
    await subscribe(store, 2, REF)
    await subscribe(store, 3, REF)
    await store.guilds.stop(3, REF, NOW)
    await store.guilds.pause(2, "forbidden", NOW)

    assert [s.event_ref for s in await store.guilds.for_guild(1)] == [REF, OTHER]
    assert [s.status for s in await store.guilds.for_guild(3)] == ["stopped"]
    assert [s.guild_id for s in await store.guilds.to_event(REF)] == [1, 2]
    assert [s.guild_id for s in await store.guilds.to_event(REF, guild_id=2)] == [2]
    assert [(s.guild_id, s.event_ref) for s in await store.guilds.active()] == [
        (1, REF),
        (1, OTHER),
    ]


async def test_active_filters_by_shards(store: Store) -> None:
    guilds = [(shard << 22) + 7 for shard in range(4)] + [(5 << 22) + 1]  # shards 0,1,2,3,1
    for guild in guilds:
        await subscribe(store, guild)

    async def ids(shards: tuple[int, frozenset[int]] | None) -> list[int]:
        return [s.guild_id for s in await store.guilds.active(shards)]

    assert await ids(None) == guilds
    assert await ids((1, frozenset({0}))) == guilds
    assert await ids((4, frozenset({1}))) == [guilds[1], guilds[4]]
    assert await ids((4, frozenset({0, 3}))) == [guilds[0], guilds[3]]
    assert await ids((4, frozenset())) == []
    with pytest.raises(ValueError, match="shard count"):
        await ids((0, frozenset({0})))


async def test_stop_cancels_only_pending(store: Store) -> None:
    await subscribe(store)
    await plan(store)
    due = PREMIERE - timedelta(days=7)
    [sent] = await store.deliveries.claim_due(due)
    await store.deliveries.mark_sent(sent.key, 1, due)
    [sending] = await store.deliveries.claim_due(PREMIERE - timedelta(days=1))

    assert await store.guilds.stop(1, REF, LATER) == 1
    sub = await store.guilds.get(1, REF)
    assert sub is not None
    assert sub.status == "stopped"
    assert await store.deliveries.pending_for(1, REF) == []
    rows = {str(d.milestone): d for d in await store.deliveries.history(1, REF)}
    assert set(rows) == {"7d", "0"}
    assert rows["7d"].status == "sent"
    assert (rows["0"].status, rows["0"].detail, rows["0"].settled_at) == (
        "cancelled",
        "stopped by an admin",
        LATER,
    )
    assert await store.deliveries.counts() == {"sent": 1, "sending": 1, "cancelled": 1}
    assert str(sending.milestone) == "1d"
    assert await store.guilds.stop(1, REF, LATER) == 0  # again: nothing left to cancel
    assert await store.guilds.stop(9, REF, LATER) == 0  # never subscribed


async def test_pause_and_resume_with_reasons(store: Store) -> None:
    await subscribe(store, 1, REF)
    await subscribe(store, 1, OTHER)
    await subscribe(store, 2, REF)
    await plan(store, 1, REF)

    assert await store.guilds.pause(1, "channel gone", NOW, event_ref=OTHER) == 1
    assert await store.guilds.pause(1, "forbidden", LATER) == 1  # OTHER is no longer active
    subs = {s.event_ref: s for s in await store.guilds.for_guild(1)}
    assert (subs[REF].status, subs[REF].pause_reason) == ("paused", "forbidden")
    assert (subs[OTHER].status, subs[OTHER].pause_reason) == ("paused", "channel gone")
    assert subs[REF].updated_at == LATER
    assert len(await store.deliveries.pending_for(1, REF)) == 3  # pending rows stay pending
    assert [s.guild_id for s in await store.guilds.active()] == [2]

    assert await store.guilds.resume(1, LATER, only_reason="no such reason") == 0
    assert await store.guilds.resume(1, LATER, only_reason="forbidden") == 1
    subs = {s.event_ref: s for s in await store.guilds.for_guild(1)}
    assert (subs[REF].status, subs[REF].pause_reason) == ("active", None)
    assert subs[OTHER].status == "paused"
    assert await store.guilds.resume(1, LATER) == 1
    assert await store.guilds.resume(1, LATER) == 0
    assert all(s.status == "active" for s in await store.guilds.for_guild(1))


async def test_pause_and_resume_leave_stopped_alone(store: Store) -> None:
    await subscribe(store)
    await store.guilds.stop(1, REF, NOW)
    assert await store.guilds.pause(1, "forbidden", NOW) == 0
    assert await store.guilds.resume(1, NOW) == 0
    sub = await store.guilds.get(1, REF)
    assert sub is not None
    assert sub.status == "stopped"


async def test_paused_for_lists_guilds_paused_for_that_reason(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "g.sqlite3") as store:
        now = datetime(2023, 7, 1, tzinfo=UTC)
        for guild in (1, 2, 3):
            await store.guilds.subscribe(
                guild,
                REF,
                channel_id=9,
                role_id=None,
                milestones="1d",
                now=now,
            )
        await store.guilds.pause(1, "removed", now)
        await store.guilds.pause(2, "lost permission", now)
        assert await store.guilds.paused_for("removed") == {1}
        assert await store.guilds.paused_for("nothing") == set()
