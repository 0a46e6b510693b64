"""`fanbot status` beside a `fanbot run` in another process: healthy, stale, clean."""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.clock import Clock
from bot.emulator import DemoWorld, Emulator
from tests.cogs.countdown_helpers import posts, wait_for
from tests.cogs.test_countdown_server_events import START, world_at
from tests.conftest import BUNDLED_CONTENT
from tests.test_cli import fanbot
from tests.test_cli_logs import SPEED, emulator_env, fanbot_run

BEAT = 0.5  # FANBOT_HEARTBEAT_SECONDS: stale after 1.5 s


async def status(tmp_path: Path, **env: str) -> tuple[int, dict[str, Any]]:
    """`fanbot status --json`: its exit code and what it printed."""
    code, out, err = await fanbot(tmp_path, "status", "--json", **env)
    assert code in (0, 1), err
    return code, json.loads(out)


async def test_healthy_while_running_clean_after_sigterm_stale_after_sigkill(
    tmp_path: Path, emulator: Emulator
) -> None:
    clock = Clock(START, speed=SPEED)
    world = world_at(emulator, clock)
    env = emulator_env(
        emulator,
        FANBOT_CLOCK_START=START.isoformat(),
        FANBOT_CLOCK_SPEED=str(SPEED),
        FANBOT_HEARTBEAT_SECONDS=str(BEAT),
    )
    async with fanbot_run(tmp_path, **env) as bot:
        await bot.wait_for_line("connected and ready")
        await wait_for(lambda: bool(emulator.commands.listing(None)), what="command sync")
        await emulator.create_scheduled_event(
            world.guild, "Finale watch", clock.now() + timedelta(minutes=40)
        )
        await emulator.slash(
            "countdown setup", channel=world.announcements, milestones="30m,0", event="Finale watch"
        )
        await wait_for(lambda: len(posts(emulator, world.guild)) == 1, what="the 30m post")
        await bot.wait_for_line("fan-out finished")
        code, running = await status(tmp_path)
        text_code, text, _ = await fanbot(tmp_path, "status")
    assert bot.process.returncode == 0, bot.log
    assert (code, text_code) == (0, 0)
    assert running["healthy"] is True
    [process] = running["processes"]
    assert process["shard_set"] == "all"
    assert process["pid"] == bot.process.pid
    assert process["servers"] == 1
    assert process["stale"] is False
    assert process["heartbeat_age_seconds"] < 3 * BEAT
    assert process["invalid_requests"] == 0  # 401/403/429 answers in Discord's 10 minutes
    assert running["countdowns"] == {"active": 1}
    [next_post] = running["next_posts"]
    assert (next_post["guild_id"], next_post["milestone"]) == (world.guild.id, "0")
    assert running["last_fanout"]["settled"] == {"sent": 1}
    assert f"shards all: pid {bot.process.pid} on " in text
    assert "last fan-out: 1 sent" in text
    assert "0 invalid request(s) in Discord's 10-minute window" in text

    code, stopped = await status(tmp_path)  # SIGTERM removed the heartbeat
    assert code == 0
    assert stopped["processes"] == []
    assert stopped["healthy"] is True

    async with fanbot_run(tmp_path, **env) as killed:
        await killed.wait_for_line("connected and ready")
        code, _ = await status(tmp_path)
        assert code == 0
        killed.process.send_signal(signal.SIGKILL)
        await killed.process.wait()
    await asyncio.sleep(3 * BEAT + 0.5)
    code, stale = await status(tmp_path)
    assert code == 1
    assert stale["healthy"] is False
    [process] = stale["processes"]
    assert process["stale"] is True
    code, text, _ = await fanbot(tmp_path, "status")
    assert code == 1
    assert "STALE" in text


async def test_status_without_a_database_creates_none(tmp_path: Path) -> None:
    code, _, err = await fanbot(tmp_path, "status")
    assert code == 2
    assert "there is no database at" in err
    assert not (tmp_path / "fanbot.sqlite3").exists()


async def test_a_bad_pack_at_start_keeps_its_last_good_import_and_status_says_so(
    tmp_path: Path, emulator: Emulator, world: DemoWorld
) -> None:
    content = tmp_path / "content"
    shutil.copytree(BUNDLED_CONTENT, content)
    env = emulator_env(emulator, FANBOT_CONTENT_DIR=str(content))
    code, _, err = await fanbot(tmp_path, "import", str(content), **env)
    assert code == 0, err
    pack = content / "heartstopper-s2.toml"
    pack.write_text(
        pack.read_text(encoding="utf-8").replace('name = "Kit Connor"', 'nmae = "Kit Connor"'),
        encoding="utf-8",
    )
    async with fanbot_run(tmp_path, **env) as bot:
        await bot.wait_for_line("connected and ready")
        await wait_for(lambda: bool(emulator.commands.listing(None)), what="command sync")
        reply = await emulator.slash("character", name="Nick")
        code, report = await status(tmp_path)
    assert bot.process.returncode == 0, bot.log
    assert "Kit Connor" in (reply.content + json.dumps(reply.embeds))  # still served
    [error] = [line for line in bot.lines if " ERROR " in line]
    assert f"content pack file {pack} refused: people[1]" in error
    assert 'unknown key "nmae"' in error
    assert error.rstrip().endswith("serving its last good import, heartstopper-s2 v1.0.0")
    assert code == 0
    [problem] = report["pack_problems"]
    assert problem["file"] == str(pack)
    assert 'unknown key "nmae"' in problem["problem"]
    assert problem["serving"] == "its last good import, heartstopper-s2 v1.0.0"
    # fanbot check and import still refuse it
    assert (await fanbot(tmp_path, "check", str(pack), **env))[0] == 2
    assert (await fanbot(tmp_path, "import", str(pack), **env))[0] == 2


async def test_a_bad_pack_never_imported_is_not_served_and_the_others_are(
    tmp_path: Path, emulator: Emulator, world: DemoWorld
) -> None:
    content = tmp_path / "content"
    shutil.copytree(BUNDLED_CONTENT, content)
    bad = content / "broken.toml"
    bad.write_text("[pack\nname = 'x'\n", encoding="utf-8")
    env = emulator_env(emulator, FANBOT_CONTENT_DIR=str(content))
    async with fanbot_run(tmp_path, **env) as bot:
        await bot.wait_for_line("connected and ready")
        code, report = await status(tmp_path)
    assert bot.process.returncode == 0, bot.log
    assert "content pack heartstopper-s2: imported" in bot.log
    assert f"content pack file {bad} refused: " in bot.log
    assert [p["serving"] for p in report["pack_problems"]] == ["nothing from this file"]
    assert code == 0
    bad.unlink()
    async with fanbot_run(tmp_path, **env) as fixed:
        await fixed.wait_for_line("connected and ready")
    _, report = await status(tmp_path)
    assert report["pack_problems"] == []  # each start replaces the list
