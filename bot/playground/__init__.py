"""`fanbot local`: the real bot on the built-in Discord emulator, driven from a console.

Lines are typed as in Discord's client: `/character name: Nick`, `/countdown setup
channel: #announcements role: Premiere Pings`. The console's own words: `help`, `as fan`,
`in #announcements`, `press Next`, `wait 5s`, `time`, `quit`, and a moderator's scheduled
events: `events`, `event new "Quiz" in 3d at #watch-party`, `event move Quiz to +2h`,
`event start|end|cancel|delete Quiz`. With `--script` the same lines run from a file (or
stdin) with a deterministic transcript, for demos and tests.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path
from typing import TextIO

from bot.clock import Clock
from bot.config import Settings
from bot.emulator import Emulator, populate_demo_world
from bot.local import BotStartError, running_bot
from bot.playground.completion import ConsoleCompleter
from bot.playground.console import EXIT_ERRORS, EXIT_UNREADABLE, SCRIPT_WIDTH, Console
from bot.playground.parsing import ConsoleError, convert, find_button, parse_command, parse_wait
from bot.store import PackError, StoreError

__all__ = [
    "Console",
    "ConsoleCompleter",
    "ConsoleError",
    "convert",
    "find_button",
    "parse_command",
    "parse_wait",
    "read_script",
    "run_playground",
]

# ---------------------------------------------------------------- entry point


async def read_script(script: str) -> list[str]:
    """The lines of a console script: a file, or standard input for '-'."""

    def read() -> str:
        if script == "-":
            return sys.stdin.read()
        return Path(script).read_text(encoding="utf-8")

    return (await asyncio.to_thread(read)).splitlines()


async def run_playground(
    settings: Settings, *, script: str | None, out: TextIO = sys.stdout
) -> int:
    """Start the emulator and the bot, run the console or the script, shut both down.

    The bot uses the database `settings` name (`fanbot local` makes it ":memory:" unless
    one is configured). With a virtual clock start, the demo server's countdown is set up
    first so its posts play out.
    """
    lines: list[str] = []
    if script is None and not sys.stdin.isatty():
        script = "-"  # commands piped in: run them as a script
    if script is not None:
        try:
            lines = await read_script(script)
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            out.write(f"fanbot: cannot read the script {script}: {reason}\n")
            return EXIT_UNREADABLE
    interactive = script is None
    color = interactive and out.isatty()
    width = min(shutil.get_terminal_size().columns, SCRIPT_WIDTH) if interactive else SCRIPT_WIDTH
    clock = Clock(settings.clock_start, settings.clock_speed)
    emulator = Emulator(clock=clock.now)
    world = populate_demo_world(emulator)
    console = Console(emulator, world, clock, out, color=color, width=width)
    emulator.on_message(console.on_post)
    await emulator.start()
    try:
        async with running_bot(emulator, settings, clock=clock) as bot:
            console.bot = bot
            if settings.clock_start is not None:
                await console.set_up_demo_countdown()
            return await (console.run_interactive() if interactive else console.run_script(lines))
    except BotStartError as exc:
        cause = exc.__cause__
        if isinstance(cause, PackError | StoreError):
            raise cause from None
        out.write(f"fanbot: the bot did not start: {cause or exc}\n")
        return EXIT_ERRORS
    finally:
        await emulator.stop()
