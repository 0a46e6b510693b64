"""FanBot's start-up: content packs in the folder and in the database."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest

from bot.config import Settings
from bot.emulator import DemoWorld, Emulator
from bot.local import running_bot
from bot.store import Store, load_pack
from tests.cogs.helpers import visible_text
from tests.conftest import BUNDLED_CONTENT


async def test_a_served_pack_without_a_file_is_pointed_out(
    tmp_path: Path, emulator: Emulator, world: DemoWorld, caplog: pytest.LogCaptureFixture
) -> None:
    db_path = tmp_path / "fanbot.sqlite3"
    store = await Store.open(db_path)
    await store.import_pack(load_pack(BUNDLED_CONTENT / "heartstopper-s2.toml"))
    await store.close()
    empty = tmp_path / "content"
    empty.mkdir()
    settings = dataclasses.replace(Settings(), db_path=db_path, content_dir=empty)
    with caplog.at_level(logging.WARNING, logger="bot.client"):
        async with running_bot(emulator, settings):
            reply = await emulator.slash("premiere")
    assert "Heartstopper season 2" in visible_text(reply)  # still served until removed
    [warning] = [r.getMessage() for r in caplog.records if r.name == "bot.client"]
    assert f"has no file in {empty}" in warning
    assert "`fanbot remove heartstopper-s2`" in warning


async def test_packs_in_the_folder_start_without_a_warning(
    tmp_path: Path, emulator: Emulator, world: DemoWorld, caplog: pytest.LogCaptureFixture
) -> None:
    settings = dataclasses.replace(
        Settings(), db_path=tmp_path / "fanbot.sqlite3", content_dir=BUNDLED_CONTENT
    )
    with caplog.at_level(logging.INFO, logger="bot.client"):
        async with running_bot(emulator, settings):
            pass
    messages = [r.getMessage() for r in caplog.records if r.name == "bot.client"]
    assert "content pack heartstopper-s2: imported" in messages
    assert not [r for r in caplog.records if r.name == "bot.client" and r.levelno >= 30]
