"""The reminder outbox: one row per guild, event and milestone, and what became of it.

A row is `pending` until a dispatcher claims it (`sending`, in one `UPDATE ... RETURNING`
inside `BEGIN IMMEDIATE`, so two processes never claim the same row); the dispatcher then
settles it (`sent`, `skipped_*`, `failed`) or releases it back to `pending`. `plan` keeps the
pending rows in line with what a subscription wants; settled rows are never changed again,
except that a `cancelled` row wanted again in the future is revived.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast, get_args

import aiosqlite

from bot.moments import from_db_time, optional_time, to_db_time
from bot.reminders.milestones import PostMilestone, milestone_from_code
from bot.store.countdown_models import (
    SETTLED,
    Delivery,
    DeliveryKey,
    DeliveryStatus,
    EventRef,
    PlannedDelivery,
    PlanResult,
    Shards,
    SkipStatus,
    delivery_nonce,
    parse_event_ref,
)
from bot.store.db import Database
from bot.store.guilds import shard_clause

UNWANTED_DETAIL = "no longer scheduled"
MOVED_PAST_DETAIL = "the event moved, and this post's time had already passed"
SKIP_STATUSES: frozenset[str] = frozenset(get_args(SkipStatus))
DELIVERY_COLS = """guild_id, event_ref, milestone, due_at, status, channel_id, role_id, nonce,
    message_id, attempts, claimed_at, settled_at, detail, tried_due_at"""
ACTIVE_JOIN = """deliveries d JOIN subscriptions s
    ON s.guild_id = d.guild_id AND s.event_ref = d.event_ref AND s.status = 'active'"""
SETTLED_MARKS = ", ".join(f"'{status}'" for status in SETTLED)


def delivery_from_row(row: aiosqlite.Row) -> Delivery:
    """A `deliveries` row as a record."""
    return Delivery(
        guild_id=int(row["guild_id"]),
        event_ref=parse_event_ref(str(row["event_ref"])),
        milestone=milestone_from_code(str(row["milestone"])),
        due_at=from_db_time(row["due_at"]),
        status=cast(DeliveryStatus, row["status"]),
        channel_id=int(row["channel_id"]),
        role_id=row["role_id"],
        nonce=str(row["nonce"]),
        message_id=row["message_id"],
        attempts=int(row["attempts"]),
        claimed_at=optional_time(row["claimed_at"]),
        settled_at=optional_time(row["settled_at"]),
        detail=row["detail"],
        tried_due_at=optional_time(row["tried_due_at"]),
    )


class DeliveryQueries:
    """Reads and writes of the `deliveries` outbox; each write is one transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def plan(
        self,
        guild_id: int,
        event_ref: EventRef,
        wanted: Sequence[PlannedDelivery],
        *,
        channel_id: int,
        role_id: int | None,
        now: datetime,
        unwanted_detail: str = UNWANTED_DETAIL,
        moved_past_detail: str = MOVED_PAST_DETAIL,
    ) -> PlanResult:
        """Make the subscription's pending rows match `wanted` (every reminder it wants).

        New milestones due after `now` are inserted; pending rows get the wanted due time (an
        event that moved), the channel and role, or are cancelled with `unwanted_detail` when
        no longer wanted. A pending row that a move puts in the past is cancelled with
        `moved_past_detail` (its words would no longer be true), unless planned `late_ok`.
        Cancelled rows wanted again after `now` are revived. Settled rows are left alone.
        Nothing happens for a missing or stopped subscription.
        """
        want: dict[PostMilestone, PlannedDelivery] = {}
        for planned in wanted:
            if planned.milestone in want:
                raise ValueError(f"milestone {planned.milestone!r} is planned twice")
            want[planned.milestone] = planned
        stamp, ref = to_db_time(now), str(event_ref)
        async with self.db.transaction() as conn:
            found = await conn.execute_fetchall(
                "SELECT status FROM subscriptions WHERE guild_id = ? AND event_ref = ?",
                (guild_id, ref),
            )
            if not found or next(iter(found))["status"] == "stopped":
                return PlanResult()
            rows = await conn.execute_fetchall(
                "SELECT milestone, status, due_at FROM deliveries "
                "WHERE guild_id = ? AND event_ref = ?",
                (guild_id, ref),
            )
            existing = {
                milestone_from_code(str(r["milestone"])): (str(r["status"]), str(r["due_at"]))
                for r in rows
            }
            new: list[tuple[object, ...]] = []
            moved: list[tuple[object, ...]] = []
            revived: list[tuple[object, ...]] = []
            unwanted = [
                (stamp, unwanted_detail, guild_id, ref, str(milestone))
                for milestone, (status, _) in existing.items()
                if status == "pending" and milestone not in want
            ]
            for milestone, planned in want.items():
                due = to_db_time(planned.due_at)
                upcoming = due > stamp or planned.late_ok
                status, old_due = existing.get(milestone, (None, None))
                key = (guild_id, ref, str(milestone))
                if status is None and upcoming:
                    nonce = delivery_nonce(guild_id, event_ref, milestone)
                    new.append((*key, due, channel_id, role_id, nonce))
                elif status == "pending" and due != old_due:
                    if upcoming or (old_due is not None and old_due <= stamp):
                        moved.append((due, *key))
                    else:
                        unwanted.append((stamp, moved_past_detail, *key))
                elif status == "cancelled" and upcoming:
                    revived.append((due, channel_id, role_id, *key))
            await conn.executemany(
                """INSERT INTO deliveries (guild_id, event_ref, milestone, due_at, status,
                       channel_id, role_id, nonce) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)""",
                new,
            )
            await conn.executemany(
                """UPDATE deliveries SET due_at = ?
                   WHERE guild_id = ? AND event_ref = ? AND milestone = ?""",
                moved,
            )
            await conn.executemany(
                """UPDATE deliveries SET status = 'cancelled', settled_at = ?, detail = ?
                   WHERE guild_id = ? AND event_ref = ? AND milestone = ?""",
                unwanted,
            )
            await conn.executemany(
                """UPDATE deliveries SET status = 'pending', due_at = ?, channel_id = ?,
                       role_id = ?, attempts = 0, message_id = NULL, claimed_at = NULL,
                       settled_at = NULL, detail = NULL
                   WHERE guild_id = ? AND event_ref = ? AND milestone = ?""",
                revived,
            )
            await conn.execute(
                """UPDATE deliveries SET channel_id = ?, role_id = ?
                   WHERE guild_id = ? AND event_ref = ? AND status = 'pending'""",
                (channel_id, role_id, guild_id, ref),
            )
        return PlanResult(len(new), len(moved), len(unwanted), len(revived))

    async def claim_due(
        self,
        now: datetime,
        *,
        limit: int = 500,
        include_sending: bool = False,
        claimed_before: datetime | None = None,
        shards: Shards | None = None,
    ) -> list[Delivery]:
        """Atomically mark up to `limit` due rows of active subscriptions `sending`, earliest first.

        `include_sending` also takes every row left `sending` (by a process that died
        mid-send); `claimed_before` only those claimed before that moment (their claim's
        lease ran out: settling them failed). Only the owner of those guilds' shards should
        ask for either. Taking such a row back is not another attempt: a crash is not the
        row's failure, and counting it would make a row that lived through a few restarts
        give up on its first transient error. Returns the claimed rows.
        """
        clause, shard_params = shard_clause("d.guild_id", shards)
        stamp = to_db_time(now)
        if include_sending:
            taken, taken_params = "d.status IN ('pending', 'sending')", []
        elif claimed_before is not None:
            taken = "(d.status = 'pending' OR (d.status = 'sending' AND d.claimed_at < ?))"
            taken_params = [to_db_time(claimed_before)]
        else:
            taken, taken_params = "d.status = 'pending'", []
        async with self.db.transaction() as conn:
            rows = await conn.execute_fetchall(
                f"""UPDATE deliveries SET status = 'sending', claimed_at = ?,
                        attempts = attempts + (status = 'pending')
                    WHERE rowid IN (
                        SELECT d.rowid FROM {ACTIVE_JOIN}
                        WHERE {taken} AND d.due_at <= ?{clause}
                        ORDER BY d.due_at LIMIT ?)
                    RETURNING {DELIVERY_COLS}""",
                [stamp, *taken_params, stamp, *shard_params, limit],
            )
        claimed = [delivery_from_row(row) for row in rows]
        return sorted(claimed, key=lambda d: (d.due_at, d.key.stored))

    async def in_flight(
        self, shards: Shards | None = None, claimed_before: datetime | None = None
    ) -> set[DeliveryKey]:
        """Rows left `sending` (claimed before a moment): their post may have gone out."""
        clause, params = shard_clause("d.guild_id", shards)
        if claimed_before is not None:
            clause += " AND d.claimed_at < ?"
            params.append(to_db_time(claimed_before))
        rows = await self.db.conn.execute_fetchall(
            f"""SELECT d.guild_id, d.event_ref, d.milestone FROM deliveries d
                WHERE d.status = 'sending'{clause}""",
            params,
        )
        return {
            DeliveryKey(int(r[0]), parse_event_ref(str(r[1])), milestone_from_code(str(r[2])))
            for r in rows
        }

    async def _settle(self, key: DeliveryKey, assignments: str, params: list[object]) -> bool:
        """Apply `assignments` (SQL after SET) to the row `key` if it is `sending`."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                f"""UPDATE deliveries SET {assignments}
                    WHERE guild_id = ? AND event_ref = ? AND milestone = ?
                      AND status = 'sending'""",
                [*params, *key.stored],
            )
            return cursor.rowcount > 0

    async def mark_sent(self, key: DeliveryKey, message_id: int, now: datetime) -> bool:
        """Record a posted reminder and its message; False unless the row was `sending`."""
        return await self._settle(
            key,
            "status = 'sent', message_id = ?, settled_at = ?, detail = NULL",
            [message_id, to_db_time(now)],
        )

    async def mark_sent_many(self, sent: Sequence[tuple[DeliveryKey, int]], now: datetime) -> int:
        """Record many posted reminders in one transaction; how many rows were `sending`."""
        stamp = to_db_time(now)
        async with self.db.transaction() as conn:
            cursor = await conn.executemany(
                """UPDATE deliveries SET status = 'sent', message_id = ?, settled_at = ?,
                       detail = NULL
                   WHERE guild_id = ? AND event_ref = ? AND milestone = ?
                     AND status = 'sending'""",
                [(message_id, stamp, *key.stored) for key, message_id in sent],
            )
            return cursor.rowcount

    async def mark_skipped(
        self, key: DeliveryKey, status: SkipStatus, detail: str, now: datetime
    ) -> bool:
        """Record a reminder not posted (stale or superseded) and why; False unless `sending`."""
        if status not in SKIP_STATUSES:
            raise ValueError(f"{status!r} is not a skipped status")
        return await self._settle(
            key, "status = ?, detail = ?, settled_at = ?", [status, detail, to_db_time(now)]
        )

    async def mark_failed(self, key: DeliveryKey, detail: str, now: datetime) -> bool:
        """Record a reminder that cannot be posted and why; False unless the row was `sending`."""
        return await self._settle(
            key, "status = 'failed', detail = ?, settled_at = ?", [detail, to_db_time(now)]
        )

    async def release(self, key: DeliveryKey, detail: str, *, count_attempt: bool = True) -> bool:
        """Put a row back to `pending` after a transient error, noting why.

        A counted try may have gone out (a timeout, a 5xx): its due time is kept in
        `tried_due_at` so that the post can be looked for before it is sent again. With
        `count_attempt` False the try is given back (a rate limit: nothing went out).
        """
        extra = ", tried_due_at = due_at" if count_attempt else ", attempts = max(attempts - 1, 0)"
        return await self._settle(
            key, f"status = 'pending', claimed_at = NULL, detail = ?{extra}", [detail]
        )

    async def next_due(self, now: datetime, shards: Shards | None = None) -> list[datetime]:
        """Distinct due times after `now` of pending rows of active subscriptions, ascending.

        Rows due at or before `now` are already claimable by `claim_due`.
        """
        clause, params = shard_clause("d.guild_id", shards)
        rows = await self.db.conn.execute_fetchall(
            f"""SELECT DISTINCT d.due_at FROM {ACTIVE_JOIN}
                WHERE d.status = 'pending' AND d.due_at > ?{clause} ORDER BY d.due_at""",
            [to_db_time(now), *params],
        )
        return [from_db_time(row["due_at"]) for row in rows]

    async def pending_for(
        self, guild_id: int, event_ref: EventRef, limit: int = 5
    ) -> list[Delivery]:
        """The subscription's next pending reminders, soonest first."""
        rows = await self.db.conn.execute_fetchall(
            f"""SELECT {DELIVERY_COLS} FROM deliveries
                WHERE guild_id = ? AND event_ref = ? AND status = 'pending'
                ORDER BY due_at, milestone LIMIT ?""",
            (guild_id, str(event_ref), limit),
        )
        return [delivery_from_row(row) for row in rows]

    async def history(self, guild_id: int, event_ref: EventRef, limit: int = 5) -> list[Delivery]:
        """The subscription's settled reminders, most recently settled first."""
        rows = await self.db.conn.execute_fetchall(
            f"""SELECT {DELIVERY_COLS} FROM deliveries
                WHERE guild_id = ? AND event_ref = ? AND status IN ({SETTLED_MARKS})
                ORDER BY settled_at DESC, due_at DESC LIMIT ?""",
            (guild_id, str(event_ref), limit),
        )
        return [delivery_from_row(row) for row in rows]

    async def counts(self, event_ref: EventRef | None = None) -> dict[str, int]:
        """How many rows are in each status (of one event, or of all)."""
        where, params = (
            ("WHERE event_ref = ?", [str(event_ref)]) if event_ref is not None else ("", [])
        )
        rows = await self.db.conn.execute_fetchall(
            f"SELECT status, count(*) AS n FROM deliveries {where} GROUP BY status", params
        )
        return {str(row["status"]): int(row["n"]) for row in rows}
