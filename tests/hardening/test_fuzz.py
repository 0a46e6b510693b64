"""Hypothesis drives every command's options through the emulator.

Any string (Unicode, markdown, mentions, ids of things that do not exist) in every option of
every command and every autocomplete: the bot always answers, never hits an unhandled error,
never sends a message that would ping anyone, and keeps every embed within Discord's limits
(the emulator records any breach of a limit; the check here fails on the first one).

FANBOT_HEAVY=1 tries many more inputs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import threading
from collections.abc import Coroutine, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.clock import Clock
from bot.config import Settings
from bot.emulator import DemoWorld, Emulator, populate_demo_world
from bot.emulator.commands import (
    BOOLEAN,
    CHANNEL,
    INTEGER,
    NUMBER,
    ROLE,
    STRING,
    runnable_paths,
)
from bot.emulator.rules import pinged
from bot.local import running_bot
from tests.cogs.countdown_helpers import PREMIERE
from tests.conftest import BUNDLED_CONTENT

T = TypeVar("T")
HEAVY = os.environ.get("FANBOT_HEAVY") == "1"
EXAMPLES = 400 if HEAVY else 30  # per command (and per autocomplete option)
TRIED: list[str] = []

NASTY = [
    "@everyone", "@here", "<@1>", "<@!1>", "<@&1>", "<#1>", "<@&123456789012345678>",
    "**bold**", "__u__", "`code`", "```", "||spoiler||", "> quote", "# heading", "[x](http://e)",
    "\u202e", "\u200b", "\x00", "\n", "🏳️‍🌈", "Ñíçk", "NICK", "Nick", "Charlie", "Paris",
    "heartstopper/2/premiere", "heartstopper/99/nothing", "a/b/c", "/", "123456789012345678",
    "-1", "0", "18:00", "25:99", "off", "Europe/London", "Mars/Olympus", "999999d", "1h,0",
    "30d,14d,7d,3d,1d,1h,0,5m,2w,3h,9d,10d,11d", "' OR 1=1 --", "%s%n", "${x}", " ",
]  # fmt: skip


def texts(low: int, high: int) -> st.SearchStrategy[str]:
    """Any text, often built from the nasty fragments, within an option's length bounds."""
    pieces = st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=12)), max_size=8)
    built = pieces.map("".join)
    long = st.text(min_size=min(max(low, 90), high), max_size=high)
    return (
        st.one_of(built, st.text(max_size=high), long)
        .map(lambda t: t[:high])
        .filter(lambda t: len(t) >= low)
    )


class BotThread:
    """The emulator and the real bot on their own event loop, for synchronous hypothesis."""

    def __init__(self, settings: Settings) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.settings = settings
        self.errors: list[logging.LogRecord] = []
        self.emulator: Emulator
        self.world: DemoWorld
        self._stop: asyncio.Event | None = None
        self._task: Any = None

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 30) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    async def _serve(self, ready: asyncio.Event) -> None:
        # One clock for the bot and the emulator: the demo server's watch party, a week
        # ahead, comes before the premiere, so that setups without an `event` count down
        # to a server event and the fuzz covers both kinds of countdown.
        clock = Clock(PREMIERE - timedelta(days=10))
        self.emulator = Emulator(clock=clock.now)
        await self.emulator.start()
        self.world = populate_demo_world(self.emulator)
        self._stop = asyncio.Event()
        try:
            async with running_bot(self.emulator, self.settings, clock=clock):
                ready.set()
                await self._stop.wait()
        finally:
            await self.emulator.stop()

    def start(self) -> None:
        async def begin() -> None:
            ready = asyncio.Event()
            self._task = asyncio.ensure_future(self._serve(ready))
            await ready.wait()

        self.run(begin())

    def stop(self) -> None:
        async def end() -> None:
            assert self._stop is not None
            self._stop.set()
            await self._task

        self.run(end())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


class ErrorCatcher(logging.Handler):
    def __init__(self, into: list[logging.LogRecord]) -> None:
        super().__init__(logging.ERROR)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotThread]:
    db: Path = tmp_path_factory.mktemp("fuzz") / "fanbot.sqlite3"
    bot = BotThread(dataclasses.replace(Settings(), db_path=db, content_dir=BUNDLED_CONTENT))
    catcher = ErrorCatcher(bot.errors)
    logging.getLogger().addHandler(catcher)
    bot.start()
    try:
        yield bot
    finally:
        bot.stop()
        logging.getLogger().removeHandler(catcher)
        # Print the count docs/reliability.md quotes (shown with -s).
        print(f"fuzz: {len(TRIED)} inputs tried")


def leaves(live: BotThread) -> list[tuple[str, list[dict[str, Any]]]]:
    return [
        leaf
        for command in live.emulator.commands.listing(None)
        if command.get("type", 1) == 1
        for leaf in runnable_paths(command)
    ]


def option_strategy(option: dict[str, Any], world: DemoWorld) -> st.SearchStrategy[Any]:
    kind = option["type"]
    if option.get("choices"):
        value: st.SearchStrategy[Any] = st.sampled_from([c["value"] for c in option["choices"]])
    elif kind == STRING:
        value = texts(option.get("min_length", 0), min(option.get("max_length", 6000), 6000))
    elif kind in (INTEGER, NUMBER):
        low, high = option.get("min_value", -(2**53)), option.get("max_value", 2**53)
        value = st.integers(int(low), int(high))
    elif kind == BOOLEAN:
        value = st.booleans()
    elif kind == CHANNEL:
        value = st.sampled_from([world.general, world.announcements])
    elif kind == ROLE:
        value = st.sampled_from([world.premiere_pings, world.moderators, world.guild.everyone])
    else:
        raise AssertionError(f"no fuzz strategy for option type {kind}")
    return value if option.get("required") else st.one_of(st.none(), value)


def check_clean(live: BotThread, label: str) -> None:
    emu = live.emulator
    assert emu.breaches == [], emu.breaches
    assert live.errors == [], [r.getMessage() for r in live.errors]
    for message in emu.messages.values():
        assert message.allowed_mentions is not None, f"{label}: no allowed_mentions"
        text = message.content + "".join(str(e) for e in message.embeds)
        assert pinged(text, message.allowed_mentions) == set(), f"{label} would ping"


def command_ids(live: BotThread) -> list[str]:
    return [path for path, _ in leaves(live)]


def fuzz_command(live: BotThread, path: str, options: list[dict[str, Any]]) -> None:
    strategy = st.fixed_dictionaries({o["name"]: option_strategy(o, live.world) for o in options})

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=not HEAVY,  # the same inputs on every CI run; new ones when heavy
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(values=strategy)
    def one(values: dict[str, Any]) -> None:
        TRIED.append(path)
        interaction = live.run(live.emulator.interact(path, values, timeout=10))
        assert interaction.acknowledged, f"/{path} {values!r} was not answered"
        check_clean(live, f"/{path} {values!r}")

    one()


def fuzz_autocomplete(live: BotThread, path: str, name: str) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=not HEAVY)
    @given(text=texts(0, 100))
    def one(text: str) -> None:
        TRIED.append(f"{path} {name}:")
        interaction = live.run(live.emulator.interact(path, {}, focused=(name, text), timeout=10))
        assert interaction.acknowledged
        for choice in interaction.choices:
            assert 1 <= len(choice["name"]) <= 100
        check_clean(live, f"/{path} {name}: {text!r}")

    one()


def test_every_command_survives_any_options(live: BotThread) -> None:
    commands = leaves(live)
    assert len(commands) >= 10
    for path, options in commands:
        fuzz_command(live, path, options)


def test_every_autocomplete_survives_any_text(live: BotThread) -> None:
    fields = [
        (path, option["name"])
        for path, options in leaves(live)
        for option in options
        if option.get("autocomplete")
    ]
    assert fields
    for path, name in fields:
        fuzz_autocomplete(live, path, name)


async def test_a_typed_event_that_is_no_reference_is_answered_kindly(
    emulator: Emulator, world: DemoWorld, settings: Settings
) -> None:
    # Found by the fuzz: "a/b/c" reached int("b") and ended in "Something went wrong".
    async with running_bot(emulator, settings, clock=Clock(PREMIERE - timedelta(days=10))):
        for typed in ("a/b/c", "heartstopper/2/nothing", "heartstopper/two/premiere"):
            reply = await emulator.slash(
                "countdown setup", channel=world.announcements, event=typed
            )
            assert reply.ephemeral
            assert "I don't know" in reply.content and "Pick one from the list" in reply.content
