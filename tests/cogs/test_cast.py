"""/cast, /character and /actor, end to end through the emulator."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from bot.client import FanBot
from bot.config import Settings
from bot.emulator import DemoWorld, Emulator
from bot.local import running_bot
from tests.cogs.helpers import assert_nobody_pinged, visible_text
from tests.conftest import BUNDLED_CONTENT


async def test_cast_lists_everyone_the_article_names(emulator: Emulator, bot: FanBot) -> None:
    reply = await emulator.slash("cast")
    text = visible_text(reply)
    for name in ("Kit Connor", "Joe Locke", "Olivia Colman", "Thibault de Montalembert"):
        assert name in text
    assert "Nick Nelson" in text
    assert not reply.ephemeral
    assert reply.buttons() == []  # the bundled cast fits one page
    assert_nobody_pinged(emulator)


async def test_cast_filters_new_and_returning(emulator: Emulator, bot: FanBot) -> None:
    new = visible_text(await emulator.slash("cast", filter="new"))
    returning = visible_text(await emulator.slash("cast", filter="returning"))
    for name in ("Bel Priestley", "Ash Self", "Leila Khan", "Jack Barton", "Nima Taleghani"):
        assert name in new
        assert name not in returning
    for name in ("Kit Connor", "Yasmin Finney", "Chetna Pandya"):
        assert name in returning
        assert name not in new


async def test_unnamed_role_is_said_not_guessed(emulator: Emulator, bot: FanBot) -> None:
    text = visible_text(await emulator.slash("cast", filter="returning"))
    line = next(line for line in text.splitlines() if "Olivia Colman" in line)
    assert "not named" in line


async def test_character_shows_actor_and_storylines(emulator: Emulator, bot: FanBot) -> None:
    reply = await emulator.slash("character", name="Nick")
    text = visible_text(reply)
    assert "Nick Nelson" in text
    assert "Kit Connor" in text
    assert "Charlie" in text  # his storyline with Charlie


async def test_character_autocomplete_matches_any_part(emulator: Emulator, bot: FanBot) -> None:
    choices = await emulator.autocomplete("character", "name", "tao")
    assert choices[0]["name"].startswith("Tao Xu")
    by_actor = await emulator.autocomplete("character", "name", "montalembert")
    assert by_actor and "Stephane" in by_actor[0]["name"]
    accented = await emulator.autocomplete("character", "name", "STÉPHANE")
    assert accented == by_actor[:1] or accented[0] == by_actor[0]
    everyone = await emulator.autocomplete("character", "name", "")
    assert 1 <= len(everyone) <= 25


async def test_actor_by_surname_and_their_role(emulator: Emulator, bot: FanBot) -> None:
    choices = await emulator.autocomplete("actor", "name", "montalembert")
    assert choices[0]["name"].startswith("Thibault de Montalembert")
    reply = await emulator.slash("actor", name=choices[0]["value"])
    text = visible_text(reply)
    assert "Stephane" in text
    assert "Call My Agent" in text


async def test_actor_quotes_their_words(emulator: Emulator, bot: FanBot) -> None:
    text = visible_text(await emulator.slash("actor", name="Kit Connor"))
    assert "mental health" in text


async def test_unknown_name_gets_private_suggestions(emulator: Emulator, bot: FanBot) -> None:
    reply = await emulator.slash("character", name="Nik Nelsen")
    assert reply.ephemeral
    assert "couldn't find" in reply.content
    assert "Nick Nelson" in reply.content


async def test_hostile_input_never_pings_or_crashes(
    emulator: Emulator, world: DemoWorld, bot: FanBot
) -> None:
    hostile = [
        "@everyone",
        f"<@{world.fan.id}> <@&{world.premiere_pings.id}> @here",
        "'; DROP TABLE people; --",
        "%_%\\",
        "**bold** __under__ ||spoiler|| `code`",
        "𝓝𝓲𝓬𝓴 🍂 " * 10,
        "x" * 100,
    ]
    for text in hostile:
        for command in ("character", "actor"):
            reply = await emulator.slash(command, name=text)
            assert "error id" not in reply.content
            assert reply.ephemeral or reply.embeds  # a "not found" hint, or a real match
        await emulator.autocomplete("character", "name", text * 3)
    assert_nobody_pinged(emulator)


async def test_fancy_unicode_still_finds_the_character(emulator: Emulator, bot: FanBot) -> None:
    reply = await emulator.slash("character", name="𝓝𝓲𝓬𝓴")
    assert "Kit Connor" in visible_text(reply)


async def test_cast_pages_with_buttons(
    emulator: Emulator, world: DemoWorld, settings: Settings, tmp_path: Path
) -> None:
    content = tmp_path / "content"
    content.mkdir()
    shutil.copy(BUNDLED_CONTENT / "heartstopper-s2.toml", content)
    big = (BUNDLED_CONTENT / "heartstopper-s2.toml").read_text(encoding="utf-8")
    extra = "".join(
        f'\n[[people]]\nkey = "extra-{i}"\nname = "Extra Person {i:02d}"\n'
        f'\n[[castings]]\nperson = "extra-{i}"\nseason = 2\nstatus = "new"\n'
        for i in range(40)
    )
    (content / "heartstopper-s2.toml").write_text(big + extra, encoding="utf-8")
    settings = dataclasses.replace(settings, content_dir=content)
    async with running_bot(emulator, settings):
        first = await emulator.slash("cast")
        labels = [(b["label"], b.get("disabled", False)) for b in first.buttons()]
        assert labels == [("◀ Previous", True), ("Next ▶", False)]
        assert "Page 1 of" in visible_text(first)
        second = await emulator.click(first, "Next ▶")
        assert second.id == first.id  # edited in place
        assert "Page 2 of" in visible_text(second)
        back = await emulator.click(second, "◀ Previous")
        assert "Page 1 of" in visible_text(back)
    # the buttons carry their state: a new bot process still turns the page
    async with running_bot(emulator, settings):
        again = await emulator.click(back, "Next ▶")
        assert "Page 2 of" in visible_text(again)


async def test_an_actor_asked_as_a_character_is_pointed_to_actor(
    emulator: Emulator, bot: FanBot
) -> None:
    reply = await emulator.slash("character", name="Olivia Colman")
    assert reply.ephemeral
    assert "/actor" in reply.content
