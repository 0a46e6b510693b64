"""The console's prompt, driven with keys through a pipe: TAB's menu, history, printing."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest
from prompt_toolkit import PromptSession
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output import DummyOutput
from prompt_toolkit.output.plain_text import PlainTextOutput

from bot.clock import Clock
from bot.config import Settings
from bot.emulator import Emulator, populate_demo_world
from bot.emulator.state import Message
from bot.local import running_bot
from bot.playground import Console
from bot.playground.prompt import printing_above_the_prompt, prompt_session

REPO = Path(__file__).resolve().parents[1]
JULY_22 = datetime(2023, 7, 22, 7, 0, tzinfo=UTC)
UP = "\x1b[A"
T = TypeVar("T")


@dataclasses.dataclass
class AtPrompt:
    """A console at its prompt, the keys typed into it and the terminal's text."""

    console: Console
    screen: io.StringIO
    session: PromptSession[str]
    keys: PipeInput
    emulator: Emulator
    done: asyncio.Task[int]


@pytest.fixture
async def at_prompt(tmp_path: Path) -> AsyncIterator[Callable[[Path], AtPrompt]]:
    """Start the bot on an emulator; the fixture's function opens a prompt with a history."""
    settings = dataclasses.replace(
        Settings(),
        db_path=tmp_path / "fanbot.sqlite3",
        content_dir=REPO / "data" / "content",
        clock_start=JULY_22,
    )
    emulator = Emulator()
    world = populate_demo_world(emulator)
    await emulator.start()
    prompts: list[AtPrompt] = []
    try:
        async with running_bot(emulator, settings):
            screen = io.StringIO()
            terminal = PlainTextOutput(screen)
            with create_pipe_input() as keys, create_app_session(input=keys, output=terminal):

                def start(history: Path) -> AtPrompt:
                    console = Console(emulator, world, Clock(JULY_22), io.StringIO())
                    session = prompt_session(console, history)
                    done = asyncio.create_task(console.run_interactive(session))
                    prompts.append(AtPrompt(console, screen, session, keys, emulator, done))
                    return prompts[-1]

                yield start
                for prompt in prompts:
                    prompt.done.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await prompt.done
    finally:
        await emulator.stop()


async def until(found: Callable[[], T | None]) -> T:
    """What `found` returns once it returns something, within 10 seconds."""
    async with asyncio.timeout(10):
        while True:
            value = found()
            if value is not None:
                return value
            await asyncio.sleep(0.01)


async def test_tab_opens_a_menu_of_the_bots_own_suggestions(
    at_prompt: Callable[[Path], AtPrompt], tmp_path: Path
) -> None:
    prompt = at_prompt(tmp_path / "history")
    prompt.keys.send_text("/character name: \t")
    menu = await until(lambda: prompt.session.default_buffer.complete_state)
    shown = await until(lambda: [c.display_text for c in menu.completions] or None)
    assert "Nick Nelson — Kit Connor" in shown
    assert "Tao Xu — William Gao" in shown
    # Typing on narrows what the bot suggests; a single suggestion is put in the line.
    prompt.keys.send_text("william\t")
    await until(lambda: prompt.session.default_buffer.text.endswith("Gao ") or None)
    assert prompt.session.default_buffer.text == "/character name: Tao Xu — William Gao "
    prompt.keys.send_text("\r")
    await until(lambda: "Played by William Gao" in prompt.screen.getvalue() or None)
    prompt.keys.send_text("quit\r")
    assert await asyncio.wait_for(prompt.done, 10) == 0


async def test_history_keeps_the_lines_for_the_next_console(
    at_prompt: Callable[[Path], AtPrompt], tmp_path: Path
) -> None:
    history = tmp_path / "history"
    first = at_prompt(history)
    first.keys.send_text("/character name: Tao\r")
    await until(lambda: "Played by William Gao" in first.screen.getvalue() or None)
    first.keys.send_text("quit\r")
    assert await asyncio.wait_for(first.done, 10) == 0
    assert "/character name: Tao" in history.read_text(encoding="utf-8")

    second = at_prompt(history)
    second.keys.send_text(UP + UP)
    await until(lambda: second.session.default_buffer.text.startswith("/") or None)
    assert second.session.default_buffer.text == "/character name: Tao"


async def test_a_history_file_that_cannot_be_written_keeps_the_console_going(
    at_prompt: Callable[[Path], AtPrompt], tmp_path: Path
) -> None:
    prompt = at_prompt(tmp_path / "no such folder" / "history")
    prompt.keys.send_text("time\r")
    await until(lambda: prompt.session.history.get_strings() or None)
    prompt.keys.send_text(UP)
    await until(lambda: prompt.session.default_buffer.text or None)
    assert prompt.session.default_buffer.text == "time"
    prompt.keys.send_text("\r\x04")  # run it again, then Ctrl-D leaves
    assert await asyncio.wait_for(prompt.done, 10) == 0


async def test_posts_print_above_the_line_being_typed(
    at_prompt: Callable[[Path], AtPrompt], tmp_path: Path
) -> None:
    prompt = at_prompt(tmp_path / "history")
    prompt.keys.send_text("/cast filter")
    await until(lambda: prompt.session.default_buffer.text.endswith("filter") or None)
    world = prompt.console.world
    post = Message(
        id=1,
        channel_id=world.announcements.id,
        guild_id=world.guild.id,
        author=prompt.emulator.bot_user,
        content="12 days to go!",
    )
    prompt.console.on_post(post)
    await until(lambda: "12 days to go!" in prompt.screen.getvalue() or None)
    assert "── #announcements · Saturday 22 July 2023 07:00 UTC ──" in prompt.screen.getvalue()
    assert prompt.session.default_buffer.text == "/cast filter"


async def test_log_lines_print_above_the_prompt() -> None:
    handler = logging.StreamHandler()
    logging.getLogger().addHandler(handler)
    try:
        with create_app_session(output=DummyOutput()), printing_above_the_prompt() as out:
            assert handler.stream is out
        assert handler.stream is not out
    finally:
        logging.getLogger().removeHandler(handler)
