"""bot/config.py: settings read once, checked, and the token kept out of sight."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import Secret, Settings, SettingsError, locate_env_file


def test_defaults_without_environment(tmp_path: Path) -> None:
    settings = Settings.from_env({}, env_file=tmp_path / "absent.env")
    assert not settings.token
    assert settings.db_path == Path("data/fanbot.sqlite3")
    assert settings.dev_guild is None
    assert settings.clock_speed == 1.0


def test_env_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DISCORD_TOKEN=from-file\nFANBOT_DEV_GUILD=42\n", encoding="utf-8")
    settings = Settings.from_env({"FANBOT_DEV_GUILD": "7"}, env_file=env_file)
    assert settings.token.reveal() == "from-file"
    assert settings.dev_guild == 7


def test_clock_settings_are_parsed(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {"FANBOT_CLOCK_START": "2023-07-03T07:00Z", "FANBOT_CLOCK_SPEED": "86400"},
        env_file=None,
    )
    assert settings.clock_start == datetime(2023, 7, 3, 7, tzinfo=UTC)
    assert settings.clock_speed == 86_400


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FANBOT_CLOCK_START", "yesterday"),
        ("FANBOT_CLOCK_START", "2023-07-03T07:00"),
        ("FANBOT_CLOCK_SPEED", "-1"),
        ("FANBOT_CLOCK_SPEED", "nan"),
        ("FANBOT_DEV_GUILD", "abc"),
        ("FANBOT_LOG_LEVEL", "chatty"),
        ("FANBOT_GLOBAL_RATE_LIMIT", "0"),
    ],
)
def test_bad_values_name_the_setting(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value}, env_file=None)


def test_the_token_never_shows(caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings.from_env({"DISCORD_TOKEN": "sekrit.token.value"}, env_file=None)
    with caplog.at_level(logging.INFO):
        logging.getLogger("test").info("settings: %s / %r", settings, settings.token)
    assert "sekrit" not in caplog.text
    assert "sekrit" not in repr(settings)
    assert "sekrit" not in f"{settings.token}"
    assert repr(Secret("")) == "Secret('')"


def test_relative_paths_in_the_env_file_are_read_from_its_folder(tmp_path: Path) -> None:
    env_file = tmp_path / "conf" / "bot.env"
    env_file.parent.mkdir()
    env_file.write_text("FANBOT_DB=state/bot.sqlite3\nFANBOT_CONTENT_DIR=packs\n", encoding="utf-8")
    settings = Settings.from_env({}, env_file=env_file)
    assert settings.db_path == tmp_path / "conf" / "state" / "bot.sqlite3"
    assert settings.content_dir == tmp_path / "conf" / "packs"
    # A relative path from the environment is read from the working directory, as always.
    settings = Settings.from_env({"FANBOT_DB": "here.sqlite3"}, env_file=env_file)
    assert settings.db_path == Path("here.sqlite3")
    assert settings.origin("FANBOT_DB") == "FANBOT_DB from the environment"
    assert settings.origin("FANBOT_CONTENT_DIR") == f"FANBOT_CONTENT_DIR from {env_file}"


def test_locate_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / "x.env"
    env_file.write_text("", encoding="utf-8")
    assert locate_env_file(str(env_file), {}) == env_file
    assert locate_env_file(None, {"FANBOT_ENV_FILE": str(env_file)}) == env_file
    assert locate_env_file(None, {}) == Path(".env").resolve()
    with pytest.raises(SettingsError, match="does not exist"):
        locate_env_file(str(tmp_path / "nope.env"), {"FANBOT_ENV_FILE": str(env_file)})
