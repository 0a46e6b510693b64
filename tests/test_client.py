"""FanBot's start-up: content packs in the folder and in the database, command sync."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest

from bot.client import FanBot
from bot.config import Settings
from bot.emulator import DemoWorld, Emulator
from bot.endpoints import point_discord_at
from bot.local import running_bot
from bot.store import Store, load_pack
from bot.store.pack_files import packs_to_serve
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
    [no_packs, warning] = [r.getMessage() for r in caplog.records if r.name == "bot.client"]
    assert (
        no_packs == f"{empty} holds no content packs (no *.toml files): no show is loaded from it"
    )
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


def command_syncs(emulator: Emulator) -> list[str]:
    """The paths of the bulk overwrites of commands the emulator received, in order."""
    return [path for method, path, _ in emulator.recorder.requests if method == "PUT"]


async def test_commands_are_synced_once_until_they_change(
    settings: Settings, emulator: Emulator, world: DemoWorld
) -> None:
    async with running_bot(emulator, settings):
        pass
    assert command_syncs(emulator) == [f"/applications/{emulator.application_id}/commands"]

    async with running_bot(emulator, settings):  # a restart with the same commands
        assert "Heartstopper" in visible_text(await emulator.slash("premiere"))
    assert len(command_syncs(emulator)) == 1

    async with running_bot(emulator, settings) as bot:  # as if a new version changed them
        await bot.store.db.conn.execute("UPDATE command_syncs SET payload_hash = 'old'")
        await bot.store.db.conn.commit()
    async with running_bot(emulator, settings):
        pass
    assert len(command_syncs(emulator)) == 2


async def test_fanbot_sync_always_syncs(
    settings: Settings, emulator: Emulator, world: DemoWorld
) -> None:
    point_discord_at(emulator.api_base, emulator.gateway_url)
    for _ in range(2):
        async with FanBot(settings, force_sync=True) as bot:
            await bot.login(emulator.token)  # what `fanbot sync` does: setup_hook, no gateway
    assert len(command_syncs(emulator)) == 2


async def test_a_dev_guild_is_synced_on_its_own(
    settings: Settings, emulator: Emulator, world: DemoWorld
) -> None:
    async with running_bot(emulator, settings):
        pass
    in_dev_guild = dataclasses.replace(settings, dev_guild=world.guild.id)
    for _ in range(2):
        async with running_bot(emulator, in_dev_guild):
            pass
    app = emulator.application_id
    assert command_syncs(emulator) == [
        f"/applications/{app}/commands",
        f"/applications/{app}/guilds/{world.guild.id}/commands",
    ]


def usurper(folder: Path) -> Path:
    """A pack file that claims Heartstopper season 2 under another pack name."""
    text = (BUNDLED_CONTENT / "heartstopper-s2.toml").read_text(encoding="utf-8")
    folder.mkdir(exist_ok=True)
    path = folder / "usurper.toml"
    path.write_text(text.replace('name = "heartstopper-s2"', 'name = "usurper"', 1), "utf-8")
    return path


async def test_a_file_taking_a_season_another_pack_holds_is_refused_not_the_start(
    tmp_path: Path, emulator: Emulator, world: DemoWorld, caplog: pytest.LogCaptureFixture
) -> None:
    db_path = tmp_path / "fanbot.sqlite3"
    async with await Store.open(db_path) as store:
        await store.import_pack(load_pack(BUNDLED_CONTENT / "heartstopper-s2.toml"))
    path = usurper(tmp_path / "content")
    settings = dataclasses.replace(Settings(), db_path=db_path, content_dir=path.parent)
    with caplog.at_level(logging.INFO):
        async with running_bot(emulator, settings) as bot:
            reply = await emulator.slash("premiere")
            served = [pack.name for pack in await bot.store.content.packs()]
    assert "Heartstopper season 2" in visible_text(reply)
    assert served == ["heartstopper-s2"]
    [error] = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert error.startswith(f"content pack file {path} refused: season 2 of show")
    assert 'is already loaded from pack "heartstopper-s2"' in error


async def test_a_pack_another_process_made_clash_meanwhile_is_refused_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = usurper(tmp_path / "content")
    settings = dataclasses.replace(
        Settings(), db_path=tmp_path / "fanbot.sqlite3", content_dir=path.parent
    )
    bot = FanBot(settings)
    bot.store = await Store.open(settings.db_path)
    try:
        served = packs_to_serve(path.parent, await bot.store.content.pack_claims())
        assert [pack.name for pack in served.changed] == ["usurper"]
        # Between the check and the import, another process imports the season's pack.
        await bot.store.import_pack(load_pack(BUNDLED_CONTENT / "heartstopper-s2.toml"))
        with caplog.at_level(logging.INFO):
            await bot._import_served(served)
        assert (served.names, served.changed, list(served.refused)) == ([], [], [path])
        assert [pack.name for pack in await bot.store.content.packs()] == ["heartstopper-s2"]
    finally:
        await bot.store.close()
    assert any("usurper.toml refused: " in r.getMessage() for r in caplog.records)
