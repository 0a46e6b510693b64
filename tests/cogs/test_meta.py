"""/about, the show option and the central error handler."""

from __future__ import annotations

import logging

import pytest

from bot import __version__
from bot.client import FanBot
from bot.emulator import Emulator
from tests.cogs.helpers import visible_text


async def test_about_names_the_pack_and_its_source(emulator: Emulator, bot: FanBot) -> None:
    text = visible_text(await emulator.slash("about"))
    assert "Everything We Know So Far About Season 2" in text
    assert __version__ in text


async def test_show_option_offers_the_loaded_seasons(emulator: Emulator, bot: FanBot) -> None:
    choices = await emulator.autocomplete("cast", "show", "heart")
    assert [c["name"] for c in choices] == ["Heartstopper season 2"]
    reply = await emulator.slash("cast", show=choices[0]["value"])
    assert "Heartstopper season 2" in visible_text(reply)


async def test_unknown_show_is_a_private_hint(emulator: Emulator, bot: FanBot) -> None:
    reply = await emulator.slash("premiere", show="Doctor Who")
    assert reply.ephemeral
    assert "Doctor Who" in reply.content


async def test_unexpected_error_is_logged_with_an_id(
    emulator: Emulator, bot: FanBot, caplog: pytest.LogCaptureFixture
) -> None:
    await bot.store.close()  # the database goes away under the running bot
    with caplog.at_level(logging.ERROR, logger="bot.errors"):
        reply = await emulator.slash("cast")
    assert reply.ephemeral
    error_id = reply.content.split("`")[1]
    assert any(error_id in record.getMessage() for record in caplog.records)
    assert any(record.exc_info for record in caplog.records)
