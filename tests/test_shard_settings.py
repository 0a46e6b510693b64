"""FANBOT_SHARD_COUNT / FANBOT_SHARD_IDS: parsed, checked, and handed to discord.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.client import FanBot
from bot.config import Settings, SettingsError


def settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env(env, env_file=tmp_path / "absent.env")


def test_unset_means_discord_decides(tmp_path: Path) -> None:
    found = settings(tmp_path)
    assert found.shard_count is None
    assert found.shard_ids is None


@pytest.mark.parametrize(
    ("ids", "expected"),
    [("0", (0,)), ("1,0", (0, 1)), ("0-3", (0, 1, 2, 3)), (" 4-5 , 7", (4, 5, 7)), ("2-2", (2,))],
)
def test_ids_take_numbers_and_ranges(tmp_path: Path, ids: str, expected: tuple[int, ...]) -> None:
    found = settings(tmp_path, FANBOT_SHARD_COUNT="8", FANBOT_SHARD_IDS=ids)
    assert found.shard_count == 8
    assert found.shard_ids == expected


def test_count_alone_runs_every_shard(tmp_path: Path) -> None:
    found = settings(tmp_path, FANBOT_SHARD_COUNT="4")
    assert (found.shard_count, found.shard_ids) == (4, None)


@pytest.mark.parametrize(
    ("env", "named", "hint"),
    [
        ({"FANBOT_SHARD_COUNT": "four"}, "FANBOT_SHARD_COUNT", "whole number"),
        ({"FANBOT_SHARD_COUNT": "0"}, "FANBOT_SHARD_COUNT", "at least 1"),
        ({"FANBOT_SHARD_IDS": "0"}, "FANBOT_SHARD_IDS", "FANBOT_SHARD_COUNT"),
        ({"FANBOT_SHARD_COUNT": "2", "FANBOT_SHARD_IDS": "2"}, "FANBOT_SHARD_IDS", "0-1"),
        ({"FANBOT_SHARD_COUNT": "2", "FANBOT_SHARD_IDS": "-1"}, "FANBOT_SHARD_IDS", "range"),
        ({"FANBOT_SHARD_COUNT": "4", "FANBOT_SHARD_IDS": "3-1"}, "FANBOT_SHARD_IDS", "outside"),
        ({"FANBOT_SHARD_COUNT": "4", "FANBOT_SHARD_IDS": "0,,1"}, "FANBOT_SHARD_IDS", "range"),
    ],
)
def test_bad_values_name_the_setting(
    tmp_path: Path, env: dict[str, str], named: str, hint: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        settings(tmp_path, **env)
    assert named in str(caught.value)
    assert hint in str(caught.value)


def test_the_bot_runs_the_configured_shards(tmp_path: Path) -> None:
    bot = FanBot(settings(tmp_path, FANBOT_SHARD_COUNT="4", FANBOT_SHARD_IDS="1,3"))
    assert bot.shard_count == 4
    assert bot.shard_ids == [1, 3]
    assert bot.reminders.shards == (4, frozenset({1, 3}))


def test_all_shards_in_one_process_claim_everything(tmp_path: Path) -> None:
    bot = FanBot(settings(tmp_path, FANBOT_SHARD_COUNT="2", FANBOT_SHARD_IDS="0-1"))
    assert bot.reminders.shards is None
