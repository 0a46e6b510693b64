"""What the bot knows of the servers' own Discord scheduled events that countdowns target."""

from __future__ import annotations

from datetime import datetime
from typing import cast

import aiosqlite

from bot.moments import from_db_time, optional_time, to_db_time
from bot.store.countdown_models import (
    SERVER_EVENT_PREFIX,
    ServerEvent,
    TargetState,
)
from bot.store.db import Database

SERVER_EVENT_COLS = """guild_id, event_id, name, description, starts_at, ends_at, state,
    channel_id, location, user_count, started_at, updated_at"""


def server_event_from_row(row: aiosqlite.Row) -> ServerEvent:
    """A `server_events` row as a record."""
    return ServerEvent(
        guild_id=int(row["guild_id"]),
        event_id=int(row["event_id"]),
        name=str(row["name"]),
        description=row["description"],
        starts_at=from_db_time(row["starts_at"]),
        ends_at=optional_time(row["ends_at"]),
        state=cast(TargetState, row["state"]),
        channel_id=row["channel_id"],
        location=row["location"],
        user_count=row["user_count"],
        started_at=optional_time(row["started_at"]),
        updated_at=from_db_time(row["updated_at"]),
    )


class ServerEventQueries:
    """Reads and writes of `server_events`; each write is one transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(self, event: ServerEvent) -> ServerEvent | None:
        """Record what Discord says of an event; returns what was known before (or None).

        `user_count` is kept when Discord did not say (gateway events carry no count), and
        `started_at` once set is kept.
        """
        async with self.db.transaction() as conn:
            before = await self._get(conn, event.guild_id, event.event_id)
            await conn.execute(
                f"""INSERT INTO server_events ({SERVER_EVENT_COLS})
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (guild_id, event_id) DO UPDATE SET
                        name = excluded.name, description = excluded.description,
                        starts_at = excluded.starts_at, ends_at = excluded.ends_at,
                        state = excluded.state, channel_id = excluded.channel_id,
                        location = excluded.location,
                        user_count = coalesce(excluded.user_count, server_events.user_count),
                        started_at = coalesce(server_events.started_at, excluded.started_at),
                        updated_at = excluded.updated_at""",
                (
                    event.guild_id,
                    event.event_id,
                    event.name,
                    event.description,
                    to_db_time(event.starts_at),
                    to_db_time(event.ends_at) if event.ends_at else None,
                    event.state,
                    event.channel_id,
                    event.location,
                    event.user_count,
                    to_db_time(event.started_at) if event.started_at else None,
                    to_db_time(event.updated_at),
                ),
            )
        return before

    async def mark_gone(
        self, guild_id: int, event_id: int, state: TargetState, now: datetime
    ) -> bool:
        """Record that an open event was deleted (or ended); False if not known open."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                """UPDATE server_events SET state = ?, updated_at = ?
                   WHERE guild_id = ? AND event_id = ? AND state IN ('scheduled', 'active')""",
                (state, to_db_time(now), guild_id, event_id),
            )
            return cursor.rowcount > 0

    async def get(self, guild_id: int, event_id: int) -> ServerEvent | None:
        """One known event of a guild."""
        return await self._get(self.db.conn, guild_id, event_id)

    async def open_events(self, guild_id: int) -> dict[int, ServerEvent]:
        """The guild's followed events that are still scheduled or under way, by id."""
        rows = await self.db.conn.execute_fetchall(
            f"""SELECT {SERVER_EVENT_COLS} FROM server_events
                WHERE guild_id = ? AND state IN ('scheduled', 'active')""",
            (guild_id,),
        )
        return {int(row["event_id"]): server_event_from_row(row) for row in rows}

    async def tracked_guilds(self) -> set[int]:
        """Guilds with a countdown (not stopped) to one of their own events still open."""
        rows = await self.db.conn.execute_fetchall(
            """SELECT DISTINCT s.guild_id FROM subscriptions s JOIN server_events e
                 ON e.guild_id = s.guild_id AND s.event_ref = ? || e.event_id
               WHERE s.status != 'stopped' AND e.state IN ('scheduled', 'active')""",
            (SERVER_EVENT_PREFIX,),
        )
        return {int(row[0]) for row in rows}

    @staticmethod
    async def _get(conn: aiosqlite.Connection, guild_id: int, event_id: int) -> ServerEvent | None:
        rows = await conn.execute_fetchall(
            f"SELECT {SERVER_EVENT_COLS} FROM server_events WHERE guild_id = ? AND event_id = ?",
            (guild_id, event_id),
        )
        return server_event_from_row(next(iter(rows))) if rows else None
