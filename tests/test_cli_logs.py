"""What `fanbot run` and `fanbot sync` log, run as real processes against the emulator."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bot.clock import Clock
from bot.emulator import DemoWorld, Emulator
from tests.cogs.countdown_helpers import posts, wait_for
from tests.cogs.test_countdown_server_events import START, world_at
from tests.test_cli import cli_env, fanbot

SPEED = 120  # a real second is two minutes of the bot's clock


def emulator_env(emulator: Emulator, **extra: str) -> dict[str, str]:
    """The settings that point `fanbot` at the emulator."""
    return {
        "DISCORD_TOKEN": emulator.token,
        "DISCORD_API_BASE": emulator.api_base,
        "DISCORD_GATEWAY_URL": emulator.gateway_url,
        **extra,
    }


@dataclass
class Running:
    """A `fanbot run` process, and what it wrote to stderr so far."""

    process: asyncio.subprocess.Process
    lines: list[str] = field(default_factory=list)

    @property
    def log(self) -> str:
        """Everything logged so far."""
        return "".join(self.lines)

    async def wait_for_line(self, text: str, within: float = 30.0) -> None:
        """Until a logged line contains `text`."""
        await wait_for(lambda: text in self.log, within, repr(text))


@asynccontextmanager
async def fanbot_run(tmp_path: Path, **env: str) -> AsyncIterator[Running]:
    """`fanbot run` in another process; SIGTERM (if still running) when the block ends."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=cli_env(tmp_path, **env),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    running = Running(process)

    async def read() -> None:
        assert process.stderr is not None
        async for line in process.stderr:
            running.lines.append(line.decode())

    reader = asyncio.create_task(read())
    try:
        yield running
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
        await asyncio.wait_for(reader, 30)


async def test_sync_logs_no_error(tmp_path: Path, emulator: Emulator, world: DemoWorld) -> None:
    code, _, err = await fanbot(tmp_path, "sync", **emulator_env(emulator))
    assert code == 0, err
    assert "synced 8 commands globally" in err
    assert "ERROR" not in err
    assert "CancelledError" not in err
    assert "Traceback" not in err


async def test_json_logs_are_one_object_per_line(
    tmp_path: Path, emulator: Emulator, world: DemoWorld
) -> None:
    code, _, err = await fanbot(
        tmp_path, "sync", **emulator_env(emulator, FANBOT_LOG_FORMAT="json")
    )
    assert code == 0, err
    entries = [json.loads(line) for line in err.splitlines()]
    assert entries
    for entry in entries:
        assert set(entry) >= {"time", "level", "logger", "message"}
        assert entry["time"].endswith("+00:00")
    assert any(e["message"] == "synced 8 commands globally" for e in entries)


async def test_a_bad_log_format_is_named(tmp_path: Path) -> None:
    code, _, err = await fanbot(tmp_path, "run", FANBOT_LOG_FORMAT="xml")
    assert code == 2
    assert "FANBOT_LOG_FORMAT" in err
    assert "Traceback" not in err


async def test_a_day_of_run_reads_as_one_line_per_happening(
    tmp_path: Path, emulator: Emulator
) -> None:
    clock = Clock(START, speed=SPEED)
    world = world_at(emulator, clock)
    env = emulator_env(
        emulator, FANBOT_CLOCK_START=START.isoformat(), FANBOT_CLOCK_SPEED=str(SPEED)
    )
    async with fanbot_run(tmp_path, **env) as bot:
        await bot.wait_for_line("connected and ready")
        await wait_for(lambda: bool(emulator.commands.listing(None)), what="command sync")
        await emulator.create_scheduled_event(
            world.guild, "Finale watch", clock.now() + timedelta(minutes=40)
        )
        reply = await emulator.slash(
            "countdown setup", channel=world.announcements, milestones="30m,0", event="Finale watch"
        )
        assert "Countdown set" in reply.content
        await wait_for(lambda: len(posts(emulator, world.guild)) == 1, what="the 30m post")
        await bot.wait_for_line("fan-out finished")
        await emulator.slash("countdown stop", event="Finale watch")
        await bot.wait_for_line("countdown stopped")
    assert bot.process.returncode == 0, bot.log
    lines = bot.log.splitlines()

    def one(text: str) -> str:
        found = [line for line in lines if text in line]
        assert len(found) == 1, (text, found)
        return found[0]

    assert "1 shard(s) [0] of 1, 1 server(s)" in one("INFO    bot.client: connected and ready")
    assert "milestones 30m,0" in one("INFO    cogs.countdown: countdown set up: guild ")
    fanout = one("INFO    bot.reminders.service: fan-out finished:")
    assert f"{world.guild.id}" not in fanout  # a summary, not a line per server
    assert ": 1 posted, 0 paused, 0 failed, 0 skipped, 0 retrying, in " in fanout
    assert "1 pending post(s) cancelled" in one("INFO    cogs.countdown: countdown stopped: ")
    assert lines[-1].endswith("INFO    bot.client: shut down: gateway and database closed")
    assert "ERROR" not in bot.log
    assert "posted 30m" not in bot.log  # the per-post line is DEBUG now


async def test_a_gateway_reconnect_is_a_warning_and_a_line_when_back(
    tmp_path: Path, emulator: Emulator, world: DemoWorld
) -> None:
    async with fanbot_run(tmp_path, **emulator_env(emulator)) as bot:
        await bot.wait_for_line("connected and ready")
        host, port = emulator.host, emulator.port
        await emulator.stop()  # the gateway goes away: reconnect attempts fail for a while
        await bot.wait_for_line("Attempting a reconnect", within=60)
        await emulator.start(host, port)
        await bot.wait_for_line("shard 0 is back", within=60)
    assert bot.process.returncode == 0, bot.log
    assert "Traceback" not in bot.log
    assert "ERROR" not in bot.log
    warnings = [line for line in bot.lines if "WARNING" in line and "reconnect" in line]
    assert warnings
    assert all("after " in line for line in warnings), warnings  # says why, in one line
    assert os.linesep.join(bot.lines).count("shard 0 is back") == 1
    assert os.linesep.join(bot.lines).count("connected and ready") == 1
