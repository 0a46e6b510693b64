"""The `fanbot` command line, run as a real subprocess."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.emulator import DemoWorld, Emulator
from bot.store import Store
from bot.store.countdown_models import PackEventRef
from tests.cogs.helpers import visible_text
from tests.conftest import BUNDLED_CONTENT, REPO

PACK = BUNDLED_CONTENT / "heartstopper-s2.toml"


def cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A clean environment: no token, the database in tmp_path, the repo importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "FANBOT_"))}
    env.update(
        PYTHONPATH=str(REPO),
        FANBOT_DB=str(tmp_path / "fanbot.sqlite3"),
        FANBOT_CONTENT_DIR=str(BUNDLED_CONTENT),
    )
    env.update(extra)
    return env


async def fanbot(tmp_path: Path, *args: str, **env: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=tmp_path,
        env=cli_env(tmp_path, **env),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_run_without_a_token_says_where_to_get_one(tmp_path: Path) -> None:
    code, _, err = await fanbot(tmp_path, "run")
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "DISCORD_TOKEN" in err
    assert "discord.com/developers" in err
    assert "fanbot local" in err


async def test_rejected_token_is_one_clear_line(
    tmp_path: Path, emulator: Emulator, world: DemoWorld
) -> None:
    secret = "not.the.right.token.zZ9"
    code, out, err = await fanbot(
        tmp_path,
        "run",
        DISCORD_TOKEN=secret,
        DISCORD_API_BASE=emulator.api_base,
        DISCORD_GATEWAY_URL=emulator.gateway_url,
    )
    assert code == 2
    assert "rejected the token" in err
    assert "Traceback" not in err
    assert secret not in out + err


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM])
async def test_run_serves_an_emulator_in_another_process(
    tmp_path: Path, emulator: Emulator, world: DemoWorld, stop: signal.Signals
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env=cli_env(
            tmp_path,
            DISCORD_TOKEN=emulator.token,
            DISCORD_API_BASE=emulator.api_base,
            DISCORD_GATEWAY_URL=emulator.gateway_url,
        ),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await emulator.wait_until_connected(timeout=30)
        for _ in range(300):
            if emulator.commands.listing(None):
                break
            await asyncio.sleep(0.05)
        reply = await emulator.slash("character", name="Nick")
        assert "Kit Connor" in visible_text(reply)
    finally:
        process.send_signal(stop)
        out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, err.decode()
    assert emulator.token not in (out + err).decode()


async def test_check_accepts_the_bundled_pack(tmp_path: Path) -> None:
    code, out, _ = await fanbot(tmp_path, "check", str(PACK))
    assert code == 0
    assert out.startswith("ok: ")
    assert "people" in out


async def test_check_names_the_file_and_the_item(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(
        PACK.read_text(encoding="utf-8").replace('name = "Kit Connor"', 'nmae = "Kit Connor"'),
        encoding="utf-8",
    )
    code, _, err = await fanbot(tmp_path, "check", str(bad))
    assert code == 2
    assert "bad.toml" in err
    assert "nmae" in err
    assert "Traceback" not in err


async def test_import_then_unchanged(tmp_path: Path) -> None:
    code, out, _ = await fanbot(tmp_path, "import", str(PACK))
    assert code == 0
    assert out.startswith("imported")
    code, out, _ = await fanbot(tmp_path, "import", str(PACK))
    assert code == 0
    assert out.startswith("unchanged")


async def test_import_of_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    code, _, err = await fanbot(tmp_path, "import", str(tmp_path / "nope.toml"))
    assert code == 2
    assert "nope.toml" in err
    assert "Traceback" not in err
    assert not (tmp_path / "fanbot.sqlite3").exists()


async def test_remove_takes_a_pack_out_once_its_file_is_gone(tmp_path: Path) -> None:
    elsewhere = tmp_path / "content"
    elsewhere.mkdir()
    code, _, _ = await fanbot(tmp_path, "import", str(PACK), FANBOT_CONTENT_DIR=str(elsewhere))
    assert code == 0
    store = await Store.open(tmp_path / "fanbot.sqlite3")
    ref, now = PackEventRef("heartstopper", 2, "premiere"), datetime(2023, 7, 1, tzinfo=UTC)
    await store.guilds.subscribe(1, ref, channel_id=10, role_id=None, milestones="0", now=now)
    await store.close()
    code, out, err = await fanbot(
        tmp_path, "remove", "heartstopper-s2", FANBOT_CONTENT_DIR=str(elsewhere)
    )
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "removed: heartstopper-s2, with Heartstopper season 2",
        "  1 server's countdown points at its events: their next posts are recorded as failed",
    ]
    code, _, err = await fanbot(
        tmp_path, "remove", "heartstopper-s2", FANBOT_CONTENT_DIR=str(elsewhere)
    )
    assert code == 2
    assert err == (
        "fanbot: no content pack named 'heartstopper-s2' is loaded (loaded: none); "
        "nothing was removed\n"
    )


async def test_remove_refuses_while_the_pack_file_is_still_there(tmp_path: Path) -> None:
    await fanbot(tmp_path, "import", str(PACK))
    code, _, err = await fanbot(tmp_path, "remove", "heartstopper-s2")
    assert code == 2
    assert f"{PACK} still holds pack 'heartstopper-s2'" in err
    assert "Traceback" not in err
    code, out, _ = await fanbot(tmp_path, "import", str(PACK))
    assert out.startswith("unchanged")  # still there


async def test_remove_without_a_database_creates_none(tmp_path: Path) -> None:
    code, _, err = await fanbot(
        tmp_path, "remove", "heartstopper-s2", FANBOT_CONTENT_DIR=str(tmp_path)
    )
    assert code == 2
    assert "there is no database at" in err
    assert not (tmp_path / "fanbot.sqlite3").exists()


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("FANBOT_CLOCK_SPEED", "fast", "FANBOT_CLOCK_SPEED"),
        ("FANBOT_CLOCK_START", "2023-07-03T07:00", "time zone"),
        ("FANBOT_DEV_GUILD", "my server", "FANBOT_DEV_GUILD"),
        ("FANBOT_LOG_LEVEL", "LOUD", "FANBOT_LOG_LEVEL"),
    ],
)
async def test_bad_settings_are_named(tmp_path: Path, name: str, value: str, expected: str) -> None:
    code, _, err = await fanbot(tmp_path, "run", **{name: value})
    assert code == 2
    assert expected in err
    assert "Traceback" not in err
