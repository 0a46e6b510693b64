"""TAB completion and line input for the interactive console."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
from collections.abc import Coroutine, Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar

from bot.emulator.commands import (
    CHANNEL,
    ROLE,
)
from bot.emulator.state import Json
from bot.playground.parsing import (
    OPTION_BOUNDARY,
    has_subcommands,
)

if TYPE_CHECKING:
    from bot.playground.console import Console

log = logging.getLogger(__name__)

COMPLETION_TIMEOUT = 3.0
HISTORY_FILE = Path.home() / ".fanbot_history"
HISTORY_LENGTH = 1000
_CONSOLE_WORDS = ("help", "as ", "in ", "press ", "wait ", "time", "events", "event ", "quit")
_EVENT_WORDS = ("new ", "move ", "start ", "end ", "cancel ", "delete ")

T = TypeVar("T")


# ---------------------------------------------------------------- completion


class Completer:
    """readline TAB completion: commands, options, choices and the bot's autocomplete.

    readline calls it on the input thread with the whole line so far (no word delimiters);
    the bot's suggestions are fetched on the event loop with a deadline. It never raises.
    """

    def __init__(self, console: Console, loop: asyncio.AbstractEventLoop) -> None:
        self.console, self.loop = console, loop
        self.matches: list[str] = []
        self.shown: list[str] = []

    def complete(self, text: str, state: int) -> str | None:
        """The readline completer: the `state`-th full-line match for `text`."""
        if state == 0:
            try:
                self.matches = self.candidates(text)
            except Exception:  # the console must survive anything a completion does
                log.debug("completion of %r failed", text, exc_info=True)
                self.matches = []
        return self.matches[state] if state < len(self.matches) else None

    def display(self, substitution: str, matches: Sequence[str], longest: int) -> None:
        """Show the short form of the candidates, then the prompt and the line again."""
        out = self.console.out
        out.write("\n" + "   ".join(self.shown) + "\n")
        out.write(self.console.prompt() + self.console.line_buffer())
        out.flush()

    def candidates(self, line: str) -> list[str]:
        """Every full-line completion of `line`."""
        if not line.startswith("/"):
            return self._console_words(line)
        commands = self.console.commands()
        if " " not in line:
            names = list(dict.fromkeys([*(f"/{n}" for n in sorted(commands)), "/help", "/quit"]))
            return self._offer(line, [("", f"{n} ") for n in names if n.startswith(line.lower())])
        name, _, rest = line[1:].partition(" ")
        command = commands.get(name.lower())
        if command is None:
            return []
        options = list(command.get("options") or [])
        while has_subcommands(options):
            if " " not in rest.lstrip():
                partial = rest.lstrip()
                stem = line[: len(line) - len(partial)]
                subs = [o["name"] for o in options if o["name"].startswith(partial.lower())]
                return self._offer(line, [(stem, f"{sub} ") for sub in subs])
            word, _, rest = rest.lstrip().partition(" ")
            sub = next((o for o in options if o["name"] == word.lower()), None)
            if sub is None:
                return []
            options = list(sub.get("options") or [])
        return self._options(line, rest, options)

    def _options(self, line: str, rest: str, options: Sequence[Json]) -> list[str]:
        """Option names, and values for the option being typed."""
        names = [o["name"] for o in options]
        boundaries = [b for b in OPTION_BOUNDARY.finditer(rest) if b[1].lower() in names]
        given = {b[1].lower() for b in boundaries}
        partial = "" if not rest.strip() or rest.endswith(" ") else rest.split()[-1]
        stem = line[: len(line) - len(partial)]
        unused = [(stem, f"{n}: ") for n in names if n not in given and n.startswith(partial)]
        if not boundaries:
            return self._offer(line, unused)
        current = boundaries[-1]
        option = next(o for o in options if o["name"] == current[1].lower())
        value = rest[current.end() :].lstrip()
        if not (value.endswith(" ") or " " in value.strip()):
            unused = []  # a single word after "name:" is the value, not the next option
        if value.strip() and value.endswith(" "):
            return self._offer(line, unused)
        value_stem = line[: len(line) - len(value)]
        typed = value.lstrip("\"'“‘")
        suggestions = self._values(line, option, typed)
        prefixed = [s for s in suggestions if s.casefold().startswith(typed.casefold())]
        if not prefixed and len(suggestions) == 1:
            prefixed = suggestions
        pairs = [(value_stem, f"{s} ") for s in prefixed] + unused
        return self._offer(line, pairs, suggestions)

    def _values(self, line: str, option: Json, value: str) -> list[str]:
        """What the option may hold: its choices, channels, roles or the bot's suggestions."""
        guild = self.console.guild
        if option.get("choices"):
            return [str(c["name"]) for c in option["choices"]]
        if option["type"] == CHANNEL:
            return [f"#{c.name}" for c in guild.channels.values()]
        if option["type"] == ROLE:
            return [r.name for r in guild.roles.values() if r.id != guild.id]
        if not option.get("autocomplete"):
            return []
        choices = self._run(self.console.autocomplete(line, option["name"], value), [])
        return [str(c["name"]) for c in choices]

    def _run(self, coroutine: Coroutine[Any, Any, T], default: T) -> T:
        """Run `coroutine` on the event loop from the input thread, with a deadline."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result(timeout=COMPLETION_TIMEOUT)
        except Exception:
            future.cancel()
            log.debug("autocomplete failed", exc_info=True)
            return default

    def _console_words(self, line: str) -> list[str]:
        """The console's own words and their arguments: users, channels, button labels."""
        word, space, rest = line.partition(" ")
        if not space:
            return self._offer(
                line, [("", w) for w in _CONSOLE_WORDS if w.startswith(line.lower())]
            )
        console = self.console
        options: list[str] = []
        if word == "as":
            members = [u for u in console.emulator.users.values() if u.id in console.guild.members]
            options = ["fan", "admin", *(f"@{u.username}" for u in members)]
        elif word == "in":
            options = [f"#{c.name}" for c in console.guild.channels.values()]
        elif word == "press" and console.last_with_buttons is not None:
            options = [str(b.get("label")) for b in console.last_with_buttons.buttons()]
        elif word == "event":
            return self._event_words(line, rest)
        stem = f"{word} "
        return self._offer(
            line, [(stem, o) for o in options if o.casefold().startswith(rest.casefold())]
        )

    def _event_words(self, line: str, rest: str) -> list[str]:
        """`event` and its words, then the names of the server's events (quoted)."""
        sub, space, typed = rest.partition(" ")
        if not space:
            return self._offer(line, [("event ", w) for w in _EVENT_WORDS if w.startswith(sub)])
        if sub.lower() == "new":
            return []
        names = [f'"{e.name}"' for e in self.console.guild.scheduled_events.values()]
        wanted = typed.lstrip('"').casefold()
        stem = f"event {sub} "
        return self._offer(
            line, [(stem, n) for n in names if n.strip('"').casefold().startswith(wanted)]
        )

    def _offer(
        self, line: str, pairs: Sequence[tuple[str, str]], listing: Sequence[str] = ()
    ) -> list[str]:
        """Matches readline may insert; when they would cut what was typed, only a listing.

        Each pair is (the line up to the completed part, the completion); the listing shows
        the completions alone.
        """
        matches = [stem + text for stem, text in pairs]
        self.shown = [text.strip() for _, text in pairs] or list(listing)
        if len(matches) == 1 or (matches and len(_common_prefix(matches)) >= len(line)):
            return matches
        if self.shown:
            # Two entries whose common prefix is the line itself: readline keeps the line
            # as typed and lists the candidates (through `display`).
            return [line, line + " "]
        return []


def _common_prefix(items: Sequence[str]) -> str:
    if not items:
        return ""
    first, last = min(items), max(items)
    size = 0
    while size < min(len(first), len(last)) and first[size] == last[size]:
        size += 1
    return first[:size]


def setup_readline(completer: Completer) -> ModuleType | None:
    """Line editing, history and TAB completion where readline exists."""
    try:
        import readline
    except ImportError:
        return None
    readline.set_completer(completer.complete)
    readline.set_completer_delims("")
    if "libedit" in (readline.__doc__ or ""):
        readline.parse_and_bind("bind ^I rl_complete")
    else:
        readline.parse_and_bind("tab: complete")
        readline.parse_and_bind("set show-all-if-ambiguous on")
        readline.set_completion_display_matches_hook(completer.display)
    readline.set_history_length(HISTORY_LENGTH)
    with contextlib.suppress(OSError):
        readline.read_history_file(HISTORY_FILE)
    return readline


@contextlib.contextmanager
def terminal_restored() -> Iterator[None]:
    """Put the terminal back as it was, even if we leave in the middle of a line edit."""
    try:
        import termios
    except ImportError:  # not a POSIX terminal
        yield
        return
    try:
        fd = sys.stdin.fileno()
        saved = termios.tcgetattr(fd)
    except (termios.error, OSError, ValueError, AttributeError):  # stdin is not a terminal
        yield
        return
    try:
        yield
    finally:
        with contextlib.suppress(OSError, termios.error):
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)


async def read_line(prompt: str) -> str:
    """`input(prompt)` on a daemon thread, so Ctrl-C never waits for a pending read."""
    loop = asyncio.get_running_loop()
    answer: asyncio.Future[str] = loop.create_future()

    def settle(value: str | None, error: BaseException | None) -> None:
        if answer.done():
            return
        if error is not None:
            answer.set_exception(error)
        else:
            answer.set_result(value or "")

    def work() -> None:
        value: str | None = None
        error: BaseException | None = None
        try:
            value = input(prompt)
        except BaseException as exc:  # handed to the awaiting task
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop is already closed
            loop.call_soon_threadsafe(settle, value, error)

    threading.Thread(target=work, name="fanbot-console", daemon=True).start()
    return await answer
