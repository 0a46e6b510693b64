"""`fanbot status`: what the database knows of the running bot, for people and health checks."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from bot.store.operations import STALE_AFTER_BEATS, Heartbeat, StatusReport


def healthy(report: StatusReport, now: datetime) -> bool:
    """No process has missed three heartbeats (nothing running is healthy too)."""
    return not any(beat.is_stale(now) for beat in report.heartbeats)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _seconds(value: float) -> str:
    return f"{value:.0f} s" if value >= 10 else f"{value:.1f} s"


def _process_line(beat: Heartbeat, now: datetime) -> str:
    age = beat.age(now).total_seconds()
    line = (
        f"shards {beat.shard_set}: pid {beat.pid} on {beat.host}, {beat.servers} server(s), "
        f"up since {_when(beat.started_at)}; last heartbeat {_seconds(age)} ago "
        f"(every {_seconds(beat.interval_seconds)})"
    )
    if beat.invalid_requests is not None:
        line += f"; {beat.invalid_requests} invalid request(s) in Discord's 10-minute window"
    if beat.is_stale(now):
        line += (
            f": STALE, it missed over {STALE_AFTER_BEATS} heartbeats; the process died or hangs "
            "(a clean stop removes its heartbeat)"
        )
    return line


def status_text(report: StatusReport, db_path: Path, now: datetime) -> list[str]:
    """The report as lines for a terminal."""
    lines = [f"database: {db_path} (schema {report.schema})"]
    if report.heartbeats:
        lines.append("running:")
        lines.extend(f"  {_process_line(beat, now)}" for beat in report.heartbeats)
    else:
        lines.append("running: nothing (no heartbeat; a bot stopped cleanly removes its own)")
    if report.pack_problems:
        lines.append("content pack files refused at the last start:")
        lines.extend(f"  {p.file}: {p.problem} (serving {p.serving})" for p in report.pack_problems)
    counts = ", ".join(f"{n} {status}" for status, n in sorted(report.countdowns.items()))
    lines.append(f"countdowns: {counts or 'none'}")
    lines.extend(
        f"  paused: guild {p.guild_id}, event {p.event_ref}: {p.reason}" for p in report.paused
    )
    if report.next_posts:
        lines.append("next posts:")
        lines.extend(
            f"  {_when(post.due_at)}  guild {post.guild_id}  {post.event_ref}  {post.milestone}"
            for post in report.next_posts
        )
    else:
        lines.append("next posts: none pending")
    if report.last_fanout is None:
        lines.append("last fan-out: none yet")
    else:
        result = report.last_fanout
        settled = ", ".join(f"{n} {status}" for status, n in sorted(result.counts.items()))
        lines.append(
            f"last fan-out: {settled} (settled in the hour up to {_when(result.last_settled_at)})"
        )
    return lines


def status_json(report: StatusReport, db_path: Path, now: datetime) -> dict[str, Any]:
    """The report as one JSON object, for scripts and health checks."""
    processes = []
    for beat in report.heartbeats:
        process: dict[str, Any] = {
            "shard_set": beat.shard_set,
            "pid": beat.pid,
            "host": beat.host,
            "started_at": beat.started_at.isoformat(),
            "last_heartbeat": beat.beat_at.isoformat(),
            "heartbeat_age_seconds": round(beat.age(now).total_seconds(), 3),
            "heartbeat_interval_seconds": beat.interval_seconds,
            "servers": beat.servers,
            "stale": beat.is_stale(now),
        }
        if beat.invalid_requests is not None:
            process["invalid_requests"] = beat.invalid_requests
        processes.append(process)
    fanout = report.last_fanout
    return {
        "database": str(db_path),
        "schema": report.schema,
        "healthy": healthy(report, now),
        "processes": processes,
        "pack_problems": [
            {"file": p.file, "problem": p.problem, "serving": p.serving}
            for p in report.pack_problems
        ],
        "countdowns": dict(sorted(report.countdowns.items())),
        "paused": [
            {"guild_id": p.guild_id, "event": p.event_ref, "reason": p.reason}
            for p in report.paused
        ],
        "next_posts": [
            {
                "due_at": post.due_at.isoformat(),
                "guild_id": post.guild_id,
                "event": post.event_ref,
                "milestone": post.milestone,
            }
            for post in report.next_posts
        ],
        "last_fanout": None
        if fanout is None
        else {"last_settled_at": fanout.last_settled_at.isoformat(), "settled": fanout.counts},
    }
