"""TAB completion for the console: what Discord's client would offer at the end of a line."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document

from bot.emulator.commands import CHANNEL, ROLE
from bot.emulator.state import Json
from bot.playground.parsing import OPTION_BOUNDARY, has_subcommands

if TYPE_CHECKING:
    from bot.playground.console import Console

log = logging.getLogger(__name__)

COMPLETION_TIMEOUT = 3.0
QUOTES = "\"'“‘"
_CONSOLE_WORDS = ("help", "as ", "in ", "press ", "wait ", "time", "events", "event ", "quit")
_EVENT_WORDS = ("new ", "move ", "start ", "end ", "cancel ", "delete ")

# What a completion inserts, and a note the menu shows beside it (a description).
Word = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Spot:
    """The end of a line being completed: the text a completion replaces, what may go there.

    `words` are what the console knows by itself, offered when they start like `typed`;
    `ask` names the option whose values the bot suggests (its own autocomplete).
    """

    typed: str
    words: Sequence[Word] = ()
    ask: str | None = None

    def offer(self, words: Iterable[Word]) -> Iterator[Completion]:
        """`words` as completions replacing `typed`, shown without their trailing space."""
        for text, note in words:
            yield Completion(text, -len(self.typed), display=text.strip(), display_meta=note)

    def matching(self) -> Iterator[Completion]:
        """The console's own words that start like what was typed (case and quotes ignored)."""
        typed = _bare(self.typed)
        return self.offer(w for w in self.words if _bare(w[0]).startswith(typed))


def _bare(text: str) -> str:
    return text.lstrip(QUOTES).casefold()


def _plain(words: Iterable[str]) -> list[Word]:
    return [(word, "") for word in words]


def _described(items: Iterable[Json], start: str = "", end: str = " ") -> list[Word]:
    """Commands or options by name, each with its description."""
    return [(f"{start}{i['name']}{end}", i.get("description", "")) for i in items]


class ConsoleCompleter(Completer):
    """Commands, options, choices, and the bot's own autocomplete answered by the emulator.

    It never raises: a completion that fails offers nothing and the line stays as typed.
    """

    def __init__(self, console: Console) -> None:
        self.console = console

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterator[Completion]:
        """What the console knows by itself; the bot's suggestions need the event loop."""
        for spot in self.spots(document.text_before_cursor):
            yield from spot.matching()

    async def get_completions_async(
        self, document: Document, complete_event: CompleteEvent
    ) -> AsyncGenerator[Completion, None]:
        """Everything, the bot's suggestions included (the form prompt_toolkit asks)."""
        line = document.text_before_cursor
        try:
            for spot in self.spots(line):
                if spot.ask is None:
                    for completion in spot.matching():
                        yield completion
                    continue
                async with asyncio.timeout(COMPLETION_TIMEOUT):
                    typed = spot.typed.lstrip(QUOTES)
                    choices = await self.console.autocomplete(line, spot.ask, typed)
                for completion in spot.offer(_plain(f"{c['name']} " for c in choices)):
                    yield completion
        except Exception:  # the console must survive anything a completion does
            log.debug("completion of %r failed", line, exc_info=True)

    def spots(self, line: str) -> list[Spot]:
        """Where `line` can be completed, and with what."""
        if not line.startswith("/"):
            return self._console_words(line)
        commands = self.console.commands()
        if " " not in line:
            names = sorted({*commands, "help", "quit"})
            return [Spot(line, _described((commands.get(n, {"name": n}) for n in names), "/"))]
        name, _, rest = line[1:].partition(" ")
        command = commands.get(name.lower())
        if command is None:
            return []
        options = list(command.get("options") or [])
        while has_subcommands(options):
            if " " not in rest.lstrip():
                return [Spot(rest.lstrip(), _described(options))]
            word, _, rest = rest.lstrip().partition(" ")
            sub = next((o for o in options if o["name"] == word.lower()), None)
            if sub is None:
                return []
            options = list(sub.get("options") or [])
        return self._options(rest, options)

    def _options(self, rest: str, options: Sequence[Json]) -> list[Spot]:
        """Option names, and values for the option being typed."""
        names = {o["name"] for o in options}
        boundaries = [b for b in OPTION_BOUNDARY.finditer(rest) if b[1].lower() in names]
        given = {b[1].lower() for b in boundaries}
        partial = "" if not rest.strip() or rest.endswith(" ") else rest.split()[-1]
        unused = Spot(partial, _described((o for o in options if o["name"] not in given), end=": "))
        if not boundaries:
            return [unused]
        option = next(o for o in options if o["name"] == boundaries[-1][1].lower())
        value = rest[boundaries[-1].end() :].lstrip()
        if value.strip() and value.endswith(" "):
            return [unused]
        value_spot = self._values(value, option)
        # A single word after "name:" is the value, not the start of the next option.
        return [value_spot, unused] if " " in value.strip() else [value_spot]

    def _values(self, value: str, option: Json) -> Spot:
        """What the option may hold: its choices, channels, roles or the bot's suggestions."""
        guild = self.console.guild
        if option.get("choices"):
            return Spot(value, _plain(f"{c['name']} " for c in option["choices"]))
        if option["type"] == CHANNEL:
            return Spot(value, _plain(f"#{c.name} " for c in guild.channels.values()))
        if option["type"] == ROLE:
            return Spot(
                value, _plain(f"{r.name} " for r in guild.roles.values() if r.id != guild.id)
            )
        return Spot(value, ask=option["name"] if option.get("autocomplete") else None)

    def _console_words(self, line: str) -> list[Spot]:
        """The console's own words and their arguments: users, channels, button labels."""
        word, space, rest = line.partition(" ")
        if not space:
            return [Spot(line, _plain(_CONSOLE_WORDS))]
        console = self.console
        words: list[str] = []
        if word == "as":
            members = [u for u in console.emulator.users.values() if u.id in console.guild.members]
            words = ["fan", "admin", *(f"@{u.username}" for u in members)]
        elif word == "in":
            words = [f"#{c.name}" for c in console.guild.channels.values()]
        elif word == "press" and console.last_with_buttons is not None:
            words = [str(b.get("label")) for b in console.last_with_buttons.buttons()]
        elif word == "event":
            return self._event_words(rest)
        return [Spot(rest, _plain(words))]

    def _event_words(self, rest: str) -> list[Spot]:
        """`event` and its words, then the names of the server's events (quoted)."""
        sub, space, typed = rest.partition(" ")
        if not space:
            return [Spot(sub, _plain(_EVENT_WORDS))]
        if sub.lower() == "new":
            return []
        events = self.console.guild.scheduled_events.values()
        return [Spot(typed, _plain(f'"{e.name}"' for e in events))]
