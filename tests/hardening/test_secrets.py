"""The token never shows: not in logs (even at DEBUG), errors or tracebacks.

And .env stays out of git.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import subprocess
import traceback
from pathlib import Path

import discord
import pytest

from bot.client import FanBot
from bot.config import Secret, Settings
from bot.emulator import DemoWorld, Emulator
from bot.endpoints import point_discord_at
from tests.conftest import REPO
from tests.test_cli import fanbot

SECRET = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GhIjKl.not-a-real-token-but-shaped-like-one"


async def test_a_failing_login_logs_no_token_even_at_debug(
    emulator: Emulator, world: DemoWorld, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="discord")
    point_discord_at(emulator.api_base, emulator.gateway_url)
    bot = FanBot(dataclasses.replace(settings, token=Secret(SECRET)), guild_ready_timeout=0.05)
    with pytest.raises(discord.LoginFailure) as caught:
        async with bot:
            await bot.start(SECRET)
    shown = "".join(traceback.format_exception(caught.value))
    assert "401" in caplog.text or "Unauthorized" in caplog.text or "token" in shown.lower()
    assert caplog.records, "nothing was logged: the check would prove nothing"
    assert SECRET not in caplog.text
    assert SECRET not in shown
    for record in caplog.records:
        assert SECRET not in repr(record.args)


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_the_cli_at_debug_never_prints_the_token(
    tmp_path: Path, emulator: Emulator, world: DemoWorld, log_format: str
) -> None:
    code, out, err = await fanbot(
        tmp_path,
        "run",
        DISCORD_TOKEN=SECRET,
        DISCORD_API_BASE=emulator.api_base,
        DISCORD_GATEWAY_URL=emulator.gateway_url,
        FANBOT_LOG_LEVEL="DEBUG",
        FANBOT_LOG_FORMAT=log_format,
    )
    assert code == 2
    assert "DEBUG" in err  # it did log at DEBUG
    if log_format == "json":  # every log line is JSON; the last line is fanbot's own
        *logged, last = err.splitlines()
        assert {json.loads(line)["level"] for line in logged} >= {"DEBUG", "INFO"}
        assert last.startswith("fanbot: Discord rejected the token")
    assert SECRET not in out + err
    assert SECRET.split(".")[0] not in out + err  # not even the part that names the bot


def test_settings_never_show_the_token() -> None:
    settings = Settings.from_env({"DISCORD_TOKEN": SECRET}, env_file=None)
    for shown in (repr(settings), str(settings), f"{settings.token}", repr(settings.token)):
        assert SECRET not in shown
    assert settings.token.reveal() == SECRET


def test_dot_env_is_git_ignored() -> None:
    found = subprocess.run(
        ["git", "check-ignore", "--no-index", ".env"], cwd=REPO, capture_output=True, check=False
    )
    assert found.returncode == 0, ".env is not ignored by git"
    tracked = subprocess.run(
        ["git", "ls-files", "--error-unmatch", ".env"], cwd=REPO, capture_output=True, check=False
    )
    assert tracked.returncode != 0, ".env is tracked by git"
