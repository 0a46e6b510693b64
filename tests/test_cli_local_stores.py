"""`fanbot local` with the configured content folder and database, and the stand-alone
emulator's console driving a `fanbot run` in another process."""

from __future__ import annotations

import asyncio
import shutil
import signal
import sys
from pathlib import Path

from tests.conftest import BUNDLED_CONTENT
from tests.emulator.test_heartbeat import standalone_emulator
from tests.test_cli import cli_env

SCRIPT = b"/character name: Tao\n"


async def local(
    tmp_path: Path, *args: str, unset: tuple[str, ...] = (), **env: str
) -> tuple[int, str, str]:
    """`fanbot local --script -` fed SCRIPT, with `unset` settings removed from its env."""
    environ = cli_env(tmp_path, **env)
    for name in unset:
        environ.pop(name, None)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "local", "--script", "-", *args, cwd=tmp_path, env=environ,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(SCRIPT), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_nothing_configured_keeps_the_database_in_memory(tmp_path: Path) -> None:
    code, out, err = await local(tmp_path, unset=("FANBOT_DB",))
    assert code == 0, err
    assert "Played by William Gao" in out
    assert "database in memory, gone at exit (FANBOT_DB is not set" in err
    assert not (tmp_path / "data").exists()  # no data/fanbot.sqlite3, the default


async def test_fanbot_db_from_the_environment_is_used_and_said(tmp_path: Path) -> None:
    db = tmp_path / "fanbot.sqlite3"
    code, out, err = await local(tmp_path)  # cli_env sets FANBOT_DB and FANBOT_CONTENT_DIR
    assert code == 0, err
    assert "Played by William Gao" in out
    assert f"content packs from {BUNDLED_CONTENT} (FANBOT_CONTENT_DIR from the environment)" in err
    assert f"database {db} (FANBOT_DB from the environment)" in err
    assert "give it a copy (fanbot backup)" in err
    assert db.is_file()


async def test_content_and_db_options_win(tmp_path: Path) -> None:
    content = tmp_path / "packs"
    shutil.copytree(BUNDLED_CONTENT, content)
    db = tmp_path / "other.sqlite3"
    code, out, err = await local(tmp_path, "--content", str(content), "--db", str(db))
    assert code == 0, err
    assert "Played by William Gao" in out
    assert f"content packs from {content} (--content); database {db} (--db)" in err
    assert db.is_file()
    assert not (tmp_path / "fanbot.sqlite3").exists()  # FANBOT_DB was overridden
    code, _, err = await local(tmp_path, "--content", str(tmp_path / "nope"))
    assert code == 2
    assert "--content" in err


async def test_the_standalone_console_drives_a_bot_in_another_process(tmp_path: Path) -> None:
    script = tmp_path / "console.txt"
    script.write_text("/character name: Nick\nwait 3d\nwait 0.1s\n", encoding="utf-8")
    async with standalone_emulator("--script", str(script)) as (settings, emulator):
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=cli_env(tmp_path, **settings),
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            assert emulator.stdout is not None
            out = (await asyncio.wait_for(emulator.stdout.read(), 60)).decode()
            assert await asyncio.wait_for(emulator.wait(), 30) == 1  # `wait 3d` failed
        finally:
            bot.send_signal(signal.SIGTERM)
            _, err = await asyncio.wait_for(bot.communicate(), 30)
    assert bot.returncode == 0, err.decode()
    assert "> /character name: Nick" in out
    assert "Played by Kit Connor" in out
    assert "`wait 3d` moves the clock of a bot in this process" in out
    assert "FANBOT_CLOCK_SPEED" in out
