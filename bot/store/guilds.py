"""Per-guild countdown subscriptions: where to post, whom to ping, paused or not."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import aiosqlite

from bot.moments import from_db_time, to_db_time
from bot.store.countdown_models import (
    EventRef,
    Shards,
    Subscription,
    SubscriptionStatus,
    parse_event_ref,
)
from bot.store.db import Database, StoreError

STOPPED_DETAIL = "stopped by an admin"
SUBSCRIPTION_COLS = """s.guild_id, s.event_ref, s.channel_id, s.role_id, s.milestones, s.status,
    s.pause_reason, s.daily_time, s.daily_timezone, s.daily_days, s.scheduled_event_id,
    s.created_at, s.updated_at"""
SELECT_SUBSCRIPTIONS = f"SELECT {SUBSCRIPTION_COLS} FROM subscriptions s"


def shard_clause(column: str, shards: Shards | None) -> tuple[str, list[object]]:
    """SQL (" AND ...") and parameters keeping only the guilds of `shards`; ("", []) for all."""
    if shards is None:
        return "", []
    count, ids = shards
    if count < 1:
        raise ValueError(f"shard count must be at least 1, not {count}")
    if not ids:
        return " AND 0", []
    marks = ", ".join("?" * len(ids))
    return f" AND ({column} >> 22) % ? IN ({marks})", [count, *sorted(ids)]


def subscription_from_row(row: aiosqlite.Row) -> Subscription:
    """A `subscriptions` row as a record."""
    return Subscription(
        guild_id=int(row["guild_id"]),
        event_ref=parse_event_ref(str(row["event_ref"])),
        channel_id=int(row["channel_id"]),
        role_id=row["role_id"],
        milestones=str(row["milestones"]),
        status=cast(SubscriptionStatus, row["status"]),
        pause_reason=row["pause_reason"],
        daily_time=row["daily_time"],
        daily_timezone=row["daily_timezone"],
        daily_days=row["daily_days"],
        scheduled_event_id=row["scheduled_event_id"],
        created_at=from_db_time(row["created_at"]),
        updated_at=from_db_time(row["updated_at"]),
    )


async def _one(
    conn: aiosqlite.Connection, guild_id: int, event_ref: EventRef
) -> Subscription | None:
    """One subscription read on `conn` (inside a caller's transaction, or not)."""
    rows = await conn.execute_fetchall(
        f"{SELECT_SUBSCRIPTIONS} WHERE s.guild_id = ? AND s.event_ref = ?",
        (guild_id, str(event_ref)),
    )
    return subscription_from_row(next(iter(rows))) if rows else None


class GuildQueries:
    """Reads and writes of `subscriptions`; each write is one transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def _select(self, where: str, params: list[object]) -> list[Subscription]:
        """Subscriptions matching `where` (SQL after WHERE), by guild then event."""
        sql = f"{SELECT_SUBSCRIPTIONS} WHERE {where} ORDER BY s.guild_id, s.event_ref"
        rows = await self.db.conn.execute_fetchall(sql, params)
        return [subscription_from_row(row) for row in rows]

    async def subscribe(
        self,
        guild_id: int,
        event_ref: EventRef,
        *,
        channel_id: int,
        role_id: int | None,
        milestones: str,
        now: datetime,
    ) -> Subscription:
        """Create or renew a subscription; it becomes active, keeping daily and event settings.

        Pending reminders of it move to the new channel and role.
        """
        stamp = to_db_time(now)
        async with self.db.transaction() as conn:
            await conn.execute(
                """INSERT INTO subscriptions (guild_id, event_ref, channel_id, role_id,
                       milestones, status, created_at, updated_at)
                   VALUES (?, ?, ?, ?, ?, 'active', ?, ?)
                   ON CONFLICT (guild_id, event_ref) DO UPDATE SET
                       channel_id = excluded.channel_id, role_id = excluded.role_id,
                       milestones = excluded.milestones, status = 'active',
                       pause_reason = NULL, updated_at = excluded.updated_at""",
                (guild_id, str(event_ref), channel_id, role_id, milestones, stamp, stamp),
            )
            await conn.execute(
                """UPDATE deliveries SET channel_id = ?, role_id = ?
                   WHERE guild_id = ? AND event_ref = ? AND status = 'pending'""",
                (channel_id, role_id, guild_id, str(event_ref)),
            )
            found = await _one(conn, guild_id, event_ref)
        if found is None:  # pragma: no cover - written just above, in this transaction
            raise StoreError(f"subscription {guild_id} {event_ref} vanished while being saved")
        return found

    async def set_daily(
        self,
        guild_id: int,
        event_ref: EventRef,
        *,
        time: str | None,
        timezone: str | None,
        days: int | None,
        now: datetime,
    ) -> Subscription | None:
        """Set (or with None, clear) the daily "N days to go" post; None if not subscribed."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                """UPDATE subscriptions SET daily_time = ?, daily_timezone = ?, daily_days = ?,
                       updated_at = ?
                   WHERE guild_id = ? AND event_ref = ?""",
                (time, timezone, days, to_db_time(now), guild_id, str(event_ref)),
            )
            if cursor.rowcount == 0:
                return None
            return await _one(conn, guild_id, event_ref)

    async def set_scheduled_event(
        self, guild_id: int, event_ref: EventRef, event_id: int | None, now: datetime
    ) -> None:
        """Remember (or forget) the Discord scheduled event created for this subscription."""
        async with self.db.transaction() as conn:
            await conn.execute(
                """UPDATE subscriptions SET scheduled_event_id = ?, updated_at = ?
                   WHERE guild_id = ? AND event_ref = ?""",
                (event_id, to_db_time(now), guild_id, str(event_ref)),
            )

    async def get(self, guild_id: int, event_ref: EventRef) -> Subscription | None:
        """One guild's subscription to one event, whatever its status."""
        return await _one(self.db.conn, guild_id, event_ref)

    async def for_guild(self, guild_id: int) -> list[Subscription]:
        """Every subscription of a guild, whatever its status, by event."""
        return await self._select("s.guild_id = ?", [guild_id])

    async def active(self, shards: Shards | None = None) -> list[Subscription]:
        """Active subscriptions, optionally only of the guilds of `shards`."""
        clause, params = shard_clause("s.guild_id", shards)
        return await self._select(f"s.status = 'active'{clause}", params)

    async def paused_for(self, reason: str) -> set[int]:
        """The guilds with a subscription paused for exactly `reason`."""
        rows = await self.db.conn.execute_fetchall(
            "SELECT DISTINCT guild_id FROM subscriptions WHERE status = 'paused' "
            "AND pause_reason = ?",
            (reason,),
        )
        return {int(row[0]) for row in rows}

    async def to_event(
        self, event_ref: EventRef, guild_id: int | None = None
    ) -> list[Subscription]:
        """Subscriptions (not stopped) to one event, of one guild or all (to re-plan them)."""
        where = "s.event_ref = ? AND s.status != 'stopped'"
        params: list[object] = [str(event_ref)]
        if guild_id is not None:
            where += " AND s.guild_id = ?"
            params.append(guild_id)
        return await self._select(where, params)

    async def linked_events(self, guild_id: int) -> dict[int, EventRef]:
        """Scheduled events the bot created for pack countdowns: event id -> pack event_ref."""
        rows = await self.db.conn.execute_fetchall(
            """SELECT scheduled_event_id, event_ref FROM subscriptions
               WHERE guild_id = ? AND scheduled_event_id IS NOT NULL""",
            (guild_id,),
        )
        return {int(row[0]): parse_event_ref(str(row[1])) for row in rows}

    async def live_count(self, guild_id: int) -> int:
        """The guild's countdowns (not stopped) that still have posts to make."""
        rows = await self.db.conn.execute_fetchall(
            """SELECT count(*) FROM subscriptions s WHERE s.guild_id = ? AND s.status != 'stopped'
               AND EXISTS (SELECT 1 FROM deliveries d WHERE d.guild_id = s.guild_id
                           AND d.event_ref = s.event_ref AND d.status IN ('pending', 'sending'))""",
            (guild_id,),
        )
        return int(next(iter(rows))[0])

    async def stop(self, guild_id: int, event_ref: EventRef, now: datetime) -> int:
        """Stop a subscription and cancel its pending reminders; returns reminders cancelled.

        Rows already settled stay as history; a row being sent right now is left to its sender.
        """
        stamp = to_db_time(now)
        async with self.db.transaction() as conn:
            await conn.execute(
                """UPDATE subscriptions SET status = 'stopped', pause_reason = NULL,
                       updated_at = ?
                   WHERE guild_id = ? AND event_ref = ?""",
                (stamp, guild_id, str(event_ref)),
            )
            cursor = await conn.execute(
                """UPDATE deliveries SET status = 'cancelled', settled_at = ?, detail = ?
                   WHERE guild_id = ? AND event_ref = ? AND status = 'pending'""",
                (stamp, STOPPED_DETAIL, guild_id, str(event_ref)),
            )
            return cursor.rowcount

    async def pause(
        self, guild_id: int, reason: str, now: datetime, event_ref: EventRef | None = None
    ) -> int:
        """Pause the guild's active subscriptions (or just `event_ref`); returns how many.

        Their pending reminders stay pending, to be judged by their grace window on resume.
        """
        sql = """UPDATE subscriptions SET status = 'paused', pause_reason = ?, updated_at = ?
                 WHERE guild_id = ? AND status = 'active'"""
        params: list[object] = [reason, to_db_time(now), guild_id]
        if event_ref is not None:
            sql += " AND event_ref = ?"
            params.append(str(event_ref))
        async with self.db.transaction() as conn:
            cursor = await conn.execute(sql, params)
            return cursor.rowcount

    async def resume(self, guild_id: int, now: datetime, only_reason: str | None = None) -> int:
        """Reactivate the guild's paused subscriptions (only those paused for `only_reason`)."""
        sql = """UPDATE subscriptions SET status = 'active', pause_reason = NULL, updated_at = ?
                 WHERE guild_id = ? AND status = 'paused'"""
        params: list[object] = [to_db_time(now), guild_id]
        if only_reason is not None:
            sql += " AND pause_reason = ?"
            params.append(only_reason)
        async with self.db.transaction() as conn:
            cursor = await conn.execute(sql, params)
            return cursor.rowcount
