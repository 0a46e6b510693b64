"""What an operator asks of the database: is the bot up, what did it refuse, what is next.

The running bot writes its heartbeat and the pack files it refused (`OperationsQueries`);
`fanbot status` reads them, with the countdowns and the last fan-out, through a read-only
connection (`read_status`) that never migrates or locks the database.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from bot.moments import from_db_time, to_db_time
from bot.store.db import Database, StoreError

STALE_AFTER_BEATS = 3  # a heartbeat older than this many intervals: the process is gone
FANOUT_WINDOW = timedelta(hours=1)  # the last fan-out: what settled in the hour up to it
NEXT_POSTS = 5
FANOUT_STATUSES = ("sent", "skipped_stale", "skipped_superseded", "failed")


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """One running process's last sign of life (times are real UTC time)."""

    shard_set: str
    pid: int
    host: str
    started_at: datetime
    beat_at: datetime
    interval_seconds: float
    servers: int
    invalid_requests: int | None = None

    def age(self, now: datetime) -> timedelta:
        """How long ago it beat."""
        return now - self.beat_at

    def is_stale(self, now: datetime) -> bool:
        """Missed three beats: the process died (or hangs) without a clean shutdown."""
        return self.age(now).total_seconds() > STALE_AFTER_BEATS * self.interval_seconds


@dataclass(frozen=True, slots=True)
class PackProblem:
    """A content pack file the bot refused at start, and what it serves instead."""

    file: str
    problem: str
    serving: str


@dataclass(frozen=True, slots=True)
class PausedCountdown:
    """A countdown that posts nothing until `/countdown setup` is run again."""

    guild_id: int
    event_ref: str
    reason: str


@dataclass(frozen=True, slots=True)
class NextPost:
    """A pending reminder (its time is the bot's clock's)."""

    due_at: datetime
    guild_id: int
    event_ref: str
    milestone: str


@dataclass(frozen=True, slots=True)
class FanoutResult:
    """Reminders settled in the hour up to the latest one, by status."""

    last_settled_at: datetime
    counts: dict[str, int]


@dataclass(frozen=True, slots=True)
class StatusReport:
    """Everything `fanbot status` shows, read in one read-only transaction."""

    schema: int
    heartbeats: list[Heartbeat] = field(default_factory=list)
    pack_problems: list[PackProblem] = field(default_factory=list)
    countdowns: dict[str, int] = field(default_factory=dict)
    paused: list[PausedCountdown] = field(default_factory=list)
    next_posts: list[NextPost] = field(default_factory=list)
    last_fanout: FanoutResult | None = None


class OperationsQueries:
    """The running bot's writes to `heartbeats` and `pack_problems`."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def beat(self, heartbeat: Heartbeat) -> None:
        """Write (or overwrite) the heartbeat of this process's shard set."""
        async with self.db.transaction() as conn:
            await conn.execute(
                """INSERT INTO heartbeats (shard_set, pid, host, started_at, beat_at,
                       interval_seconds, servers, invalid_requests)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (shard_set) DO UPDATE SET pid = excluded.pid,
                       host = excluded.host, started_at = excluded.started_at,
                       beat_at = excluded.beat_at, interval_seconds = excluded.interval_seconds,
                       servers = excluded.servers, invalid_requests = excluded.invalid_requests""",
                (
                    heartbeat.shard_set,
                    heartbeat.pid,
                    heartbeat.host,
                    to_db_time(heartbeat.started_at, microseconds=True),
                    to_db_time(heartbeat.beat_at, microseconds=True),
                    heartbeat.interval_seconds,
                    heartbeat.servers,
                    heartbeat.invalid_requests,
                ),
            )

    async def stopped(self, shard_set: str, pid: int) -> None:
        """A clean shutdown: remove this process's heartbeat (not a successor's)."""
        async with self.db.transaction() as conn:
            await conn.execute(
                "DELETE FROM heartbeats WHERE shard_set = ? AND pid = ?", (shard_set, pid)
            )

    async def record_pack_problems(self, problems: Sequence[PackProblem], now: datetime) -> None:
        """The pack files this start refused, replacing those of the previous start."""
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM pack_problems")
            await conn.executemany(
                "INSERT INTO pack_problems (file, problem, serving, seen_at) VALUES (?, ?, ?, ?)",
                [(p.file, p.problem, p.serving, to_db_time(now)) for p in problems],
            )


def _tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {str(row[0]) for row in rows}


def read_status(path: Path) -> StatusReport:
    """What the database at `path` knows, read without writing, migrating or creating it.

    A database older than schema 7 has no heartbeats or pack problems: those stay empty.
    """
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5.0)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open database {path}: {exc}") from exc
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("BEGIN")  # one snapshot for every query below
        return _read(conn)
    except sqlite3.DatabaseError as exc:
        raise StoreError(
            f"cannot read database {path} ({exc}); is it a fanbot SQLite file?"
        ) from exc
    finally:
        conn.close()


def _read(conn: sqlite3.Connection) -> StatusReport:
    (schema,) = conn.execute("PRAGMA user_version").fetchone()
    tables = _tables(conn)
    heartbeats = [
        Heartbeat(
            shard_set=str(row["shard_set"]),
            pid=int(row["pid"]),
            host=str(row["host"]),
            started_at=from_db_time(row["started_at"]),
            beat_at=from_db_time(row["beat_at"]),
            interval_seconds=float(row["interval_seconds"]),
            servers=int(row["servers"]),
            invalid_requests=row["invalid_requests"],
        )
        for row in (
            conn.execute("SELECT * FROM heartbeats ORDER BY shard_set")
            if "heartbeats" in tables
            else []
        )
    ]
    problems = [
        PackProblem(str(row["file"]), str(row["problem"]), str(row["serving"]))
        for row in (
            conn.execute("SELECT file, problem, serving FROM pack_problems ORDER BY file")
            if "pack_problems" in tables
            else []
        )
    ]
    if "subscriptions" not in tables:
        return StatusReport(int(schema), heartbeats, problems)
    countdowns = {
        str(row["status"]): int(row["n"])
        for row in conn.execute("SELECT status, count(*) AS n FROM subscriptions GROUP BY status")
    }
    paused = [
        PausedCountdown(int(row["guild_id"]), str(row["event_ref"]), row["pause_reason"] or "")
        for row in conn.execute(
            """SELECT guild_id, event_ref, pause_reason FROM subscriptions
               WHERE status = 'paused' ORDER BY updated_at DESC, guild_id, event_ref"""
        )
    ]
    next_posts = [
        NextPost(
            from_db_time(row["due_at"]), int(row["guild_id"]), row["event_ref"], row["milestone"]
        )
        for row in conn.execute(
            """SELECT due_at, guild_id, event_ref, milestone FROM deliveries
               WHERE status = 'pending' ORDER BY due_at, guild_id, event_ref LIMIT ?""",
            (NEXT_POSTS,),
        )
    ]
    return StatusReport(
        int(schema), heartbeats, problems, countdowns, paused, next_posts, _last_fanout(conn)
    )


def _last_fanout(conn: sqlite3.Connection) -> FanoutResult | None:
    """The reminders settled in the hour up to the latest settled one, by status."""
    marks = ", ".join("?" * len(FANOUT_STATUSES))
    (last,) = conn.execute(
        f"SELECT max(settled_at) FROM deliveries WHERE status IN ({marks})", FANOUT_STATUSES
    ).fetchone()
    if last is None:
        return None
    last_at = from_db_time(last)
    counts = {
        str(row["status"]): int(row["n"])
        for row in conn.execute(
            f"""SELECT status, count(*) AS n FROM deliveries
                WHERE status IN ({marks}) AND settled_at > ? GROUP BY status""",
            (*FANOUT_STATUSES, to_db_time(last_at - FANOUT_WINDOW)),
        )
    }
    return FanoutResult(last_at, counts)
