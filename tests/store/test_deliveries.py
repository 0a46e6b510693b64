from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import Clock
from bot.reminders.milestones import milestone_from_code
from bot.store import (
    Delivery,
    DeliveryKey,
    PlannedDelivery,
    PlanResult,
    Store,
    delivery_nonce,
)
from bot.store.countdown_models import EventRef, PackEventRef
from bot.store.db import load_migrations
from bot.store.deliveries import DELIVERY_COLS, delivery_from_row
from tests.store.conftest import BUNDLED, CLOCK_START, old_database

NOW = CLOCK_START  # 2023-07-10 12:00 UTC
REF = PackEventRef("heartstopper", 2, "premiere")
PREMIERE = datetime(2023, 8, 3, 7, 0, tzinfo=UTC)
LEADS = {"30d": timedelta(days=30), "7d": timedelta(days=7), "1d": timedelta(days=1)}
LEADS |= {"1h": timedelta(hours=1), "0": timedelta(0)}


def wanted(starts_at: datetime = PREMIERE, *codes: str) -> list[PlannedDelivery]:
    return [
        PlannedDelivery(milestone_from_code(code), starts_at - LEADS[code])
        for code in codes or LEADS
    ]


async def setup(
    store: Store, guild: int = 1, ref: EventRef = REF, starts_at: datetime = PREMIERE, *codes: str
) -> PlanResult:
    await store.guilds.subscribe(
        guild, ref, channel_id=10, role_id=20, milestones=",".join(codes or LEADS), now=NOW
    )
    return await store.deliveries.plan(
        guild, ref, wanted(starts_at, *codes), channel_id=10, role_id=20, now=NOW
    )


async def statuses(store: Store, guild: int = 1, ref: EventRef = REF) -> dict[str, str]:
    rows = await store.db.conn.execute_fetchall(
        "SELECT milestone, status FROM deliveries WHERE guild_id = ? AND event_ref = ?",
        (guild, str(ref)),
    )
    return {row[0]: row[1] for row in rows}


async def row(store: Store, milestone: str, guild: int = 1) -> Delivery:
    [found] = await store.db.conn.execute_fetchall(
        f"SELECT {DELIVERY_COLS} FROM deliveries "
        "WHERE guild_id = ? AND event_ref = ? AND milestone = ?",
        (guild, str(REF), milestone),
    )
    return delivery_from_row(found)


# --- nonce ------------------------------------------------------------------------------------


def test_nonce_is_deterministic_and_fits_discord() -> None:
    nonce = delivery_nonce(123, REF, milestone_from_code("7d"))
    assert nonce == hashlib.sha256(f"123:{REF}:7d".encode()).hexdigest()[:25]
    assert len(nonce) == 25
    assert nonce == delivery_nonce(123, REF, milestone_from_code("7d"))
    assert nonce != delivery_nonce(123, REF, milestone_from_code("1d"))
    assert nonce != delivery_nonce(124, REF, milestone_from_code("7d"))


# --- plan -------------------------------------------------------------------------------------


async def test_plan_inserts_future_rows_only(store: Store) -> None:
    # The premiere is 24 days away: the 30d reminder is already past and is never created.
    assert await setup(store) == PlanResult(inserted=4)
    d = await row(store, "7d")
    assert d == Delivery(
        guild_id=1,
        event_ref=REF,
        milestone=milestone_from_code("7d"),
        due_at=PREMIERE - timedelta(days=7),
        status="pending",
        channel_id=10,
        role_id=20,
        nonce=delivery_nonce(1, REF, milestone_from_code("7d")),
        message_id=None,
        attempts=0,
        claimed_at=None,
        settled_at=None,
        detail=None,
    )
    assert d.key == DeliveryKey(1, REF, milestone_from_code("7d"))
    assert await statuses(store) == dict.fromkeys(("7d", "1d", "1h", "0"), "pending")


async def test_plan_is_idempotent(store: Store) -> None:
    await setup(store)
    again = await store.deliveries.plan(1, REF, wanted(), channel_id=10, role_id=20, now=NOW)
    assert again == PlanResult()
    assert await store.deliveries.counts() == {"pending": 4}


async def test_plan_due_exactly_now_is_not_created(store: Store) -> None:
    await setup(store, 1, REF, NOW + timedelta(hours=1), "1h", "0")
    assert await statuses(store) == {"0": "pending"}


async def test_plan_moves_pending_rows_of_a_moved_event(store: Store) -> None:
    await setup(store)
    due = PREMIERE - timedelta(days=7)
    [sent] = await store.deliveries.claim_due(due)
    await store.deliveries.mark_sent(sent.key, 1, due)

    later = PREMIERE + timedelta(days=2)
    result = await store.deliveries.plan(1, REF, wanted(later), channel_id=10, role_id=20, now=due)
    assert result == PlanResult(moved=3)  # 30d is past, 7d is sent: neither is touched
    assert (await row(store, "7d")).due_at == due
    assert (await row(store, "0")).due_at == later
    assert [d.due_at for d in await store.deliveries.pending_for(1, REF)] == [
        later - timedelta(days=1),
        later - timedelta(hours=1),
        later,
    ]


async def test_a_move_that_puts_a_pending_row_in_the_past_cancels_it(store: Store) -> None:
    await setup(store)  # 30d, 7d, 1d, 1h and 0 before PREMIERE; NOW is 24 days before
    earlier = NOW + timedelta(days=3)  # 7d is now four days in the past
    result = await store.deliveries.plan(
        1, REF, wanted(earlier), channel_id=10, role_id=20, now=NOW
    )
    assert result.cancelled == 1 and result.moved == 3
    seven = await row(store, "7d")
    assert seven.status == "cancelled" and "moved" in (seven.detail or "")
    # moved later again: the row is wanted in the future once more, so it comes back
    await store.deliveries.plan(1, REF, wanted(PREMIERE), channel_id=10, role_id=20, now=NOW)
    assert (await row(store, "7d")).status == "pending"


async def test_late_ok_rows_are_kept_due_now(store: Store) -> None:
    await setup(store, 1, REF, PREMIERE, "1h", "0")
    started = NOW - timedelta(minutes=1)  # the event started early, a minute ago
    planned = [
        PlannedDelivery(milestone_from_code("1h"), started - timedelta(hours=1)),
        PlannedDelivery(milestone_from_code("0"), started, late_ok=True),
    ]
    await store.deliveries.plan(1, REF, planned, channel_id=10, role_id=20, now=NOW)
    assert await statuses(store) == {"1h": "cancelled", "0": "pending"}
    [due] = await store.deliveries.claim_due(NOW)
    assert str(due.milestone) == "0"


async def test_plan_cancels_with_the_reason_given(store: Store) -> None:
    await setup(store)
    await store.deliveries.plan(
        1, REF, [], channel_id=10, role_id=20, now=NOW, unwanted_detail="it was cancelled"
    )
    history = await store.deliveries.history(1, REF, 10)
    assert {h.detail for h in history} == {"it was cancelled"}


async def test_plan_cancels_unwanted_pending_rows(store: Store) -> None:
    await setup(store)
    due = PREMIERE - timedelta(days=7)
    [sent] = await store.deliveries.claim_due(due)
    await store.deliveries.mark_sent(sent.key, 1, due)
    result = await store.deliveries.plan(
        1, REF, wanted(PREMIERE, "0"), channel_id=10, role_id=20, now=due
    )
    assert result == PlanResult(cancelled=2)
    assert await statuses(store) == {
        "7d": "sent",
        "1d": "cancelled",
        "1h": "cancelled",
        "0": "pending",
    }
    cancelled = await row(store, "1d")
    assert (cancelled.detail, cancelled.settled_at) == ("no longer scheduled", due)


async def test_plan_never_resurrects_settled_rows(store: Store) -> None:
    await setup(store, 1, REF, PREMIERE, "7d", "1d", "0")
    due = PREMIERE - timedelta(days=1)
    claimed = await store.deliveries.claim_due(due)
    assert [str(d.milestone) for d in claimed] == ["7d", "1d"]
    await store.deliveries.mark_skipped(claimed[0].key, "skipped_superseded", "later one", due)
    await store.deliveries.mark_sent(claimed[1].key, 2, due)
    await store.deliveries.plan(1, REF, [], channel_id=10, role_id=20, now=due)
    assert await statuses(store) == {"7d": "skipped_superseded", "1d": "sent", "0": "cancelled"}

    # The event moves far ahead: every milestone is in the future again; settled rows stay.
    later = PREMIERE + timedelta(days=30)
    result = await store.deliveries.plan(
        1, REF, wanted(later, "7d", "1d", "0"), channel_id=10, role_id=20, now=due
    )
    assert result == PlanResult(revived=1)
    assert await statuses(store) == {"7d": "skipped_superseded", "1d": "sent", "0": "pending"}
    sent = await row(store, "1d")
    assert (sent.due_at, sent.message_id) == (due, 2)


async def test_plan_revives_cancelled_rows_after_stop_and_setup(store: Store) -> None:
    await setup(store, 1, REF, PREMIERE, "1d", "0")
    claimed = await store.deliveries.claim_due(PREMIERE - timedelta(days=1))
    await store.deliveries.release(claimed[0].key, "timeout")
    assert (await row(store, "1d")).attempts == 1
    assert await store.guilds.stop(1, REF, NOW) == 2

    later = NOW + timedelta(hours=1)
    result = await setup(store, 1, REF, PREMIERE, "1d", "0")
    assert result == PlanResult(revived=2)
    d = await row(store, "1d")
    assert (d.status, d.attempts, d.settled_at, d.detail, d.claimed_at) == (
        "pending", 0, None, None, None,
    )  # fmt: skip
    # A cancelled row whose time has passed stays cancelled.
    await store.guilds.stop(1, REF, later)
    await store.guilds.subscribe(1, REF, channel_id=10, role_id=20, milestones="1d,0", now=later)
    too_late = PREMIERE - timedelta(hours=12)
    result = await store.deliveries.plan(
        1, REF, wanted(PREMIERE, "1d", "0"), channel_id=10, role_id=20, now=too_late
    )
    assert result == PlanResult(revived=1)
    assert await statuses(store) == {"1d": "cancelled", "0": "pending"}


async def test_plan_follows_channel_and_role(store: Store) -> None:
    await setup(store)
    await store.deliveries.plan(1, REF, wanted(), channel_id=11, role_id=None, now=NOW)
    assert {(d.channel_id, d.role_id) for d in await store.deliveries.pending_for(1, REF)} == {
        (11, None)
    }


async def test_plan_without_a_live_subscription_does_nothing(store: Store) -> None:
    empty = PlanResult()
    assert (
        await store.deliveries.plan(1, REF, wanted(), channel_id=1, role_id=None, now=NOW) == empty
    )
    await setup(store)
    await store.guilds.stop(1, REF, NOW)
    assert (
        await store.deliveries.plan(1, REF, wanted(), channel_id=1, role_id=None, now=NOW) == empty
    )
    assert await store.deliveries.counts() == {"cancelled": 4}


async def test_plan_refuses_duplicate_milestones(store: Store) -> None:
    await setup(store, 1, REF, PREMIERE, "0")
    twice = [
        PlannedDelivery(milestone_from_code("0"), PREMIERE),
        PlannedDelivery(milestone_from_code("0"), PREMIERE),
    ]
    with pytest.raises(ValueError, match="twice"):
        await store.deliveries.plan(1, REF, twice, channel_id=10, role_id=20, now=NOW)


async def test_plan_is_one_transaction(store: Store) -> None:
    await setup(store, 1, REF, PREMIERE, "1d", "0")
    bad = [
        PlannedDelivery(milestone_from_code("7d"), PREMIERE - timedelta(days=7)),
        PlannedDelivery(milestone_from_code("0"), PREMIERE),
    ]
    await store.db.conn.execute(  # make the insert of 7d fail after the rest was decided
        "CREATE TRIGGER no_7d BEFORE INSERT ON deliveries WHEN new.milestone = '7d' "
        "BEGIN SELECT RAISE(ABORT, 'boom'); END"
    )
    with pytest.raises(sqlite3.IntegrityError, match="boom"):
        await store.deliveries.plan(1, REF, bad, channel_id=10, role_id=20, now=NOW)
    assert await statuses(store) == {"1d": "pending", "0": "pending"}


# --- claim ------------------------------------------------------------------------------------


async def test_claim_due_takes_due_rows_once(store: Store) -> None:
    await setup(store)
    assert await store.deliveries.claim_due(NOW) == []
    at = PREMIERE - timedelta(hours=1)
    claimed = await store.deliveries.claim_due(at)
    assert [str(d.milestone) for d in claimed] == ["7d", "1d", "1h"]  # earliest first
    assert all(d.status == "sending" and d.attempts == 1 and d.claimed_at == at for d in claimed)
    assert await store.deliveries.claim_due(at) == []
    assert await store.deliveries.claim_due(PREMIERE + timedelta(days=1)) == [await row(store, "0")]


async def test_claim_due_respects_limit(store: Store) -> None:
    await setup(store)
    first = await store.deliveries.claim_due(PREMIERE, limit=2)
    assert [str(d.milestone) for d in first] == ["7d", "1d"]
    assert [str(d.milestone) for d in await store.deliveries.claim_due(PREMIERE, limit=2)] == [
        "1h",
        "0",
    ]


async def test_claim_due_only_active_subscriptions(store: Store) -> None:
    for guild in (1, 2, 3):
        await setup(store, guild, REF, PREMIERE, "0")
    await store.guilds.pause(2, "forbidden", NOW)
    await store.guilds.stop(3, REF, NOW)
    assert [d.guild_id for d in await store.deliveries.claim_due(PREMIERE)] == [1]
    await store.guilds.resume(2, PREMIERE)
    assert [d.guild_id for d in await store.deliveries.claim_due(PREMIERE)] == [2]


async def test_claim_due_respects_shards(store: Store) -> None:
    guilds = [(shard << 22) + 3 for shard in range(3)]
    for guild in guilds:
        await setup(store, guild, REF, PREMIERE, "0")
    mine = await store.deliveries.claim_due(PREMIERE, shards=(3, frozenset({1, 2})))
    assert sorted(d.guild_id for d in mine) == guilds[1:]
    assert await store.deliveries.claim_due(PREMIERE, shards=(3, frozenset())) == []
    assert [d.guild_id for d in await store.deliveries.claim_due(PREMIERE)] == guilds[:1]


async def test_include_sending_reclaims_stuck_rows(store: Store) -> None:
    await setup(store, 1, REF, PREMIERE, "0")
    [first] = await store.deliveries.claim_due(PREMIERE)
    assert await store.deliveries.claim_due(PREMIERE) == []
    later = PREMIERE + timedelta(minutes=5)
    [again] = await store.deliveries.claim_due(later, include_sending=True)
    assert (again.key, again.nonce, again.attempts, again.claimed_at) == (
        first.key, first.nonce, 1, later,  # a crash re-claim is not an attempt
    )  # fmt: skip


async def test_in_flight_lists_rows_left_sending(store: Store) -> None:
    await setup(store, 1, REF, PREMIERE, "0")
    await setup(store, (1 << 22) + 1, REF, PREMIERE, "0")
    assert await store.deliveries.in_flight() == set()
    claimed = await store.deliveries.claim_due(PREMIERE)
    assert await store.deliveries.in_flight() == {d.key for d in claimed}
    assert await store.deliveries.in_flight(shards=(2, frozenset({0}))) == {
        d.key for d in claimed if d.guild_id == 1
    }


async def test_concurrent_claims_from_two_processes_are_disjoint(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    one = await Store.open(path, clock=Clock(NOW))
    two = await Store.open(path, clock=Clock(NOW))
    try:
        for guild in range(1, 61):
            await setup(one, guild)  # 4 rows each: 240 due rows
        expected = {d.key for d in await one.deliveries.pending_for(7, REF)}
        assert len(expected) == 4

        async def drain(store: Store) -> list[DeliveryKey]:
            keys: list[DeliveryKey] = []
            while batch := await store.deliveries.claim_due(PREMIERE, limit=5):
                keys.extend(d.key for d in batch)
                await asyncio.sleep(0.001)  # let the other claimers in
            return keys

        results = await asyncio.gather(drain(one), drain(two), drain(one), drain(two))
        everything = [key for keys in results for key in keys]
        assert len(everything) == len(set(everything)) == 240
        assert expected <= set(everything)
        assert await two.deliveries.counts() == {"sending": 240}
    finally:
        await one.close()
        await two.close()


# --- settle -----------------------------------------------------------------------------------


async def test_mark_functions_only_from_sending(store: Store) -> None:
    await setup(store)
    key = DeliveryKey(1, REF, milestone_from_code("7d"))
    at = PREMIERE - timedelta(days=7)
    missing = DeliveryKey(1, REF, milestone_from_code("99d"))
    for settle in (
        store.deliveries.mark_sent(key, 1, at),
        store.deliveries.mark_skipped(key, "skipped_stale", "late", at),
        store.deliveries.mark_failed(key, "gone", at),
        store.deliveries.release(key, "timeout"),
        store.deliveries.mark_sent(missing, 1, at),
    ):
        assert await settle is False  # pending, or no such row
    assert (await row(store, "7d")).status == "pending"

    await store.deliveries.claim_due(at)
    assert await store.deliveries.mark_sent(key, 42, at + timedelta(seconds=1)) is True
    d = await row(store, "7d")
    assert (d.status, d.message_id, d.settled_at) == ("sent", 42, at + timedelta(seconds=1))
    assert await store.deliveries.mark_failed(key, "again", at) is False
    assert await store.deliveries.release(key, "again") is False
    assert (await row(store, "7d")).status == "sent"


async def test_mark_skipped_and_failed(store: Store) -> None:
    await setup(store)
    at = PREMIERE - timedelta(hours=1)
    seven, one, hour = (d.key for d in await store.deliveries.claim_due(at))
    assert await store.deliveries.mark_skipped(seven, "skipped_stale", "12 days late", at)
    assert await store.deliveries.mark_skipped(one, "skipped_superseded", "1h is due", at)
    assert await store.deliveries.mark_failed(hour, "403 Missing Access", at)
    with pytest.raises(ValueError, match="skipped"):
        await store.deliveries.mark_skipped(hour, "sent", "no", at)  # type: ignore[arg-type]
    got = {str(d.milestone): (d.status, d.detail) for d in await store.deliveries.history(1, REF)}
    assert got == {
        "7d": ("skipped_stale", "12 days late"),
        "1d": ("skipped_superseded", "1h is due"),
        "1h": ("failed", "403 Missing Access"),
    }


async def test_release_puts_back_and_keeps_attempts(store: Store) -> None:
    await setup(store, 1, REF, PREMIERE, "0")
    [d] = await store.deliveries.claim_due(PREMIERE)
    assert await store.deliveries.release(d.key, "502 Bad Gateway") is True
    back = await row(store, "0")
    assert (back.status, back.attempts, back.claimed_at, back.detail) == (
        "pending", 1, None, "502 Bad Gateway",
    )  # fmt: skip
    [again] = await store.deliveries.claim_due(PREMIERE)
    assert again.attempts == 2
    assert again.tried_due_at == PREMIERE  # the try may have gone out: look before resending


async def test_a_try_that_may_have_gone_out_is_remembered_across_a_move(store: Store) -> None:
    await setup(store, 1, REF, PREMIERE, "1d", "0")
    due = PREMIERE - timedelta(days=1)
    [d] = await store.deliveries.claim_due(due)
    await store.deliveries.release(d.key, "timeout")
    later = PREMIERE + timedelta(days=2)
    await store.deliveries.plan(
        1, REF, wanted(later, "1d", "0"), channel_id=10, role_id=20, now=due
    )
    moved = await row(store, "1d")
    assert moved.due_at == later - timedelta(days=1)
    assert moved.tried_due_at == due


async def test_release_can_give_back_a_try(store: Store) -> None:
    await setup(store, 1, REF, PREMIERE, "0")
    [d] = await store.deliveries.claim_due(PREMIERE)
    assert await store.deliveries.release(d.key, "429", count_attempt=False) is True
    assert (await row(store, "0")).attempts == 0
    assert (await row(store, "0")).tried_due_at is None  # a 429: nothing went out
    [again] = await store.deliveries.claim_due(PREMIERE)
    assert again.attempts == 1


# --- reads ------------------------------------------------------------------------------------


async def test_next_due(store: Store) -> None:
    await setup(store, 1)
    await setup(store, 2)  # same times: listed once
    await setup(store, (1 << 22) + 5, REF, PREMIERE + timedelta(minutes=1), "0")
    await setup(store, 3, REF, PREMIERE + timedelta(minutes=2), "0")
    await store.guilds.pause(3, "forbidden", NOW)
    times = [PREMIERE - LEADS[code] for code in ("7d", "1d", "1h", "0")]
    assert await store.deliveries.next_due(NOW) == [*times, PREMIERE + timedelta(minutes=1)]
    assert await store.deliveries.next_due(NOW, shards=(2, frozenset({0}))) == times
    assert await store.deliveries.next_due(PREMIERE - timedelta(hours=1)) == [
        PREMIERE,
        PREMIERE + timedelta(minutes=1),
    ]  # rows due at or before now are claim_due's
    await store.deliveries.claim_due(PREMIERE - timedelta(days=1))
    assert (await store.deliveries.next_due(NOW))[0] == PREMIERE - timedelta(hours=1)


async def test_pending_for_and_history(store: Store) -> None:
    await setup(store)
    assert [str(d.milestone) for d in await store.deliveries.pending_for(1, REF, limit=2)] == [
        "7d",
        "1d",
    ]
    assert await store.deliveries.history(1, REF) == []
    for code in ("7d", "1d", "1h"):
        at = PREMIERE - LEADS[code]
        [d] = await store.deliveries.claim_due(at)
        await store.deliveries.mark_sent(d.key, 1, at)
    assert [str(d.milestone) for d in await store.deliveries.history(1, REF)] == ["1h", "1d", "7d"]
    assert [str(d.milestone) for d in await store.deliveries.history(1, REF, limit=1)] == ["1h"]
    assert [str(d.milestone) for d in await store.deliveries.pending_for(1, REF)] == ["0"]
    assert await store.deliveries.pending_for(2, REF) == []


async def test_counts(store: Store) -> None:
    assert await store.deliveries.counts() == {}
    await setup(store, 1)
    await setup(store, 1, PackEventRef("other", 1, "premiere"), PREMIERE, "0")
    await store.deliveries.claim_due(PREMIERE - timedelta(days=7))
    assert await store.deliveries.counts() == {"pending": 4, "sending": 1}
    assert await store.deliveries.counts(REF) == {"pending": 3, "sending": 1}
    assert await store.deliveries.counts(PackEventRef("nothing", 1, "here")) == {}


async def test_rows_are_unique_and_follow_their_subscription(store: Store) -> None:
    await setup(store)
    with pytest.raises(sqlite3.IntegrityError):
        await store.db.conn.execute(
            "INSERT INTO deliveries (guild_id, event_ref, milestone, due_at, channel_id, nonce) "
            "VALUES (1, ?, '0', '2023-08-03T07:00:00+00:00', 10, 'x')",
            (str(REF),),
        )
    with pytest.raises(sqlite3.IntegrityError):  # no subscription
        await store.db.conn.execute(
            "INSERT INTO deliveries (guild_id, event_ref, milestone, due_at, channel_id, nonce) "
            "VALUES (9, ?, '0', '2023-08-03T07:00:00+00:00', 10, 'x')",
            (str(REF),),
        )
    await store.db.conn.execute("DELETE FROM subscriptions WHERE guild_id = 1")
    assert await store.deliveries.counts() == {}


# --- migration --------------------------------------------------------------------------------


async def test_schema_1_database_upgrades_and_keeps_content(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    await old_database(path, 1, [BUNDLED])
    with sqlite3.connect(path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert conn.execute("PRAGMA user_version").fetchone() == (1,)
    assert "subscriptions" not in tables
    assert "seasons" in tables

    store = await Store.open(path, clock=Clock(NOW))
    try:
        assert await store.db.schema_version() == len(load_migrations()) >= 2
        [season] = await store.content.seasons()
        assert season.label == "Heartstopper season 2"
        assert await store.content.character(season.id, "Tao Xu") is not None
        assert await setup(store) == PlanResult(inserted=4)
    finally:
        await store.close()
