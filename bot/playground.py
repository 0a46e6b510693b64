"""`fanbot local`: the real bot on the built-in Discord emulator, driven from a console.

Lines are typed as in Discord's client: `/character name: Nick`, `/countdown setup
channel: #announcements role: Premiere Pings`. The console's own words: `help`, `as fan`,
`in #announcements`, `press Next`, `wait 5s`, `time`, `quit`. With `--script` the same lines
run from a file (or stdin) with a deterministic transcript, for demos and tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import enum
import logging
import re
import shutil
import sys
import threading
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO, TypeVar

from bot.clock import Clock
from bot.config import Settings
from bot.emulator import DemoWorld, Emulator, EmulatorError, populate_demo_world
from bot.emulator.commands import (
    BOOLEAN,
    CHANNEL,
    INTEGER,
    MENTIONABLE,
    NUMBER,
    ROLE,
    SUB_COMMAND,
    SUB_COMMAND_GROUP,
    USER,
    OptionValue,
)
from bot.emulator.state import Channel, Guild, Json, Message, Role, User
from bot.local import BotStartError, running_bot
from bot.store import PackError, StoreError
from bot.terminal import format_time, render_message

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_UNREADABLE = 2
SCRIPT_WIDTH = 100
REPLY_TIMEOUT = 10.0
COMPLETION_TIMEOUT = 3.0
HISTORY_FILE = Path.home() / ".fanbot_history"
HISTORY_LENGTH = 1000

_OPTION_AT = re.compile(r"([^\s:]+):\s*")
_BOUNDARY = re.compile(r"(?<!\S)([A-Za-z0-9_-]+):")
_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’"}
_TRUE = {"true", "yes", "y", "on", "1"}
_FALSE = {"false", "no", "n", "off", "0"}
_WAIT = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|sec|secs|seconds?|m|min|mins|minutes?)?", re.I)
_CONSOLE_WORDS = ("help", "as ", "in ", "press ", "wait ", "time", "quit")

T = TypeVar("T")


class ConsoleError(Exception):
    """A line the console refuses, as Discord's client would; the message is for the user."""


class Outcome(enum.Enum):
    """What running one line came to."""

    OK = "ok"
    ERROR = "error"
    QUIT = "quit"


# ---------------------------------------------------------------- parsing


@dataclass(frozen=True, slots=True)
class Parsed:
    """A slash command line split into its command path and raw option values."""

    path: tuple[str, ...]
    options: tuple[Json, ...]
    given: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The command as the user would write it: "/countdown setup"."""
        return "/" + " ".join(self.path)


def _listing(names: Sequence[str]) -> str:
    return ", ".join(names) or "none"


def _suggest(word: str, names: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, names, n=1)
    return f" Did you mean {close[0]}?" if close else ""


def _has_subcommands(options: Sequence[Json]) -> bool:
    return any(o.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in options)


def parse_command(line: str, commands: Mapping[str, Json], *, partial: bool = False) -> Parsed:
    """Split `/name [sub …] opt: value …` by the registered schema; refuse what Discord would.

    `partial` takes a line still being typed: no required options, empty values allowed.
    """
    body = line.strip().removeprefix("/")
    name, _, rest = body.partition(" ")
    name = name.lower()
    if not name:
        raise ConsoleError("Type a command after the slash, e.g. /cast. `help` lists them all.")
    command = commands.get(name)
    if command is None:
        known = [f"/{n}" for n in sorted(commands)]
        raise ConsoleError(
            f'Unknown command "/{name}".{_suggest("/" + name, known)} Commands: {_listing(known)}'
        )
    path = [name]
    options: list[Json] = list(command.get("options") or [])
    while _has_subcommands(options):
        word, _, rest = rest.strip().partition(" ")
        subs = [o["name"] for o in options]
        label = "/" + " ".join(path)
        if not word:
            raise ConsoleError(f"{label} needs a subcommand: {_listing(subs)}")
        sub = next((o for o in options if o["name"] == word.lower()), None)
        if sub is None:
            raise ConsoleError(
                f'Unknown subcommand "{word}" for {label}.{_suggest(word, subs)} '
                f"Subcommands: {_listing(subs)}"
            )
        path.append(sub["name"])
        options = list(sub.get("options") or [])
    bare = Parsed(tuple(path), tuple(options))
    parsed = Parsed(bare.path, bare.options, dict(split_options(rest, bare, partial=partial)))
    for option in options:
        if option.get("required") and option["name"] not in parsed.given and not partial:
            raise ConsoleError(
                f'{parsed.label} needs the option "{option["name"]}", '
                f"e.g. {parsed.label} {option['name']}: …"
            )
    return parsed


def split_options(text: str, parsed: Parsed, *, partial: bool = False) -> Iterator[tuple[str, str]]:
    """Yield (option, raw value) pairs; a value runs until the next known `name:`.

    `partial` accepts a line still being typed: empty values and an unclosed quote.
    """
    names = [o["name"] for o in parsed.options]
    seen: set[str] = set()
    text = text.strip()
    position = 0
    while position < len(text):
        match = _OPTION_AT.match(text, position)
        if match is None:
            word = text[position:].split()[0]
            if not names:
                raise ConsoleError(f'{parsed.label} takes no options, but got "{word}".')
            raise ConsoleError(
                f'Give options as "name: value", e.g. {parsed.label} {names[0]}: {word}. '
                f"Options: {_listing(names)}"
            )
        key = match[1].lower()
        if key not in names:
            raise ConsoleError(
                f'Unknown option "{match[1]}" for {parsed.label}.{_suggest(key, names)} '
                f"Options: {_listing(names)}"
            )
        if key in seen:
            raise ConsoleError(f'The option "{key}" is given twice.')
        seen.add(key)
        value, position = _value_at(text, match.end(), names, key, partial=partial)
        if not value and not partial:
            raise ConsoleError(f'The option "{key}" of {parsed.label} needs a value.')
        yield key, value


def _value_at(
    text: str, start: int, names: Sequence[str], key: str, *, partial: bool = False
) -> tuple[str, int]:
    """The value starting at `start` and where the next option begins."""
    opening = text[start : start + 1]
    if opening in _QUOTES:
        close = text.find(_QUOTES[opening], start + 1)
        while close != -1 and close + 1 < len(text) and not text[close + 1].isspace():
            close = text.find(_QUOTES[opening], close + 1)
        if close == -1 and partial:
            return text[start + 1 :], len(text)
        if close == -1:
            raise ConsoleError(f'The value of "{key}" opens a quote that never closes.')
        following = len(text[close + 1 :]) - len(text[close + 1 :].lstrip())
        return text[start + 1 : close], close + 1 + following
    for boundary in _BOUNDARY.finditer(text, start):
        if boundary[1].lower() in names:
            return text[start : boundary.start()].strip(), boundary.start()
    return text[start:].strip(), len(text)


# ---------------------------------------------------------------- option values


def convert(
    parsed: Parsed, option: Json, raw: str, guild: Guild, users: Mapping[int, User]
) -> OptionValue:
    """`raw` as the value the option's schema type asks for; a friendly error if it can't be."""
    kind, name = option["type"], option["name"]
    where = f'the option "{name}" of {parsed.label}'
    choices = option.get("choices")
    if choices:
        for choice in choices:
            if raw.casefold() in (str(choice["name"]).casefold(), str(choice["value"]).casefold()):
                value: OptionValue = choice["value"]
                return value
        names = _listing([str(c["name"]) for c in choices])
        raise ConsoleError(f'"{raw}" is not one of the choices for {where}: {names}')
    if kind == INTEGER:
        try:
            return int(raw.replace("_", ""))
        except ValueError:
            raise ConsoleError(f'{where} needs a whole number, not "{raw}".') from None
    if kind == NUMBER:
        try:
            return float(raw)
        except ValueError:
            raise ConsoleError(f'{where} needs a number, not "{raw}".') from None
    if kind == BOOLEAN:
        if raw.lower() in _TRUE | _FALSE:
            return raw.lower() in _TRUE
        raise ConsoleError(f'{where} needs true or false, not "{raw}".')
    if kind == CHANNEL:
        return find_channel(guild, raw)
    if kind == ROLE:
        return find_role(guild, raw)
    if kind == USER:
        return find_user(guild, users, raw)
    if kind == MENTIONABLE:
        with contextlib.suppress(ConsoleError):
            return find_role(guild, raw)
        return find_user(guild, users, raw)
    return raw


def find_channel(guild: Guild, text: str) -> Channel:
    """The guild's channel written as `#name`, `name` or `<#id>`."""
    raw = text.strip()
    mention = re.fullmatch(r"<#(\d+)>", raw)
    if mention and int(mention[1]) in guild.channels:
        return guild.channels[int(mention[1])]
    wanted = raw.lstrip("#").lower()
    for channel in guild.channels.values():
        if channel.name.lower() == wanted:
            return channel
    names = _listing([f"#{c.name}" for c in guild.channels.values()])
    raise ConsoleError(f"There is no channel #{wanted} in {guild.name}. Channels: {names}")


def find_role(guild: Guild, text: str) -> Role:
    """The guild's role written as `Name`, `@Name` or `<@&id>`."""
    raw = text.strip()
    mention = re.fullmatch(r"<@&(\d+)>", raw)
    if mention and int(mention[1]) in guild.roles:
        return guild.roles[int(mention[1])]
    for role in guild.roles.values():
        if role.name.lower() in (raw.lower(), raw.lower().removeprefix("@")):
            return role
    names = _listing([r.name for r in guild.roles.values() if r.id != guild.id])
    raise ConsoleError(f'There is no role "{raw}" in {guild.name}. Roles: {names}')


def find_user(guild: Guild, users: Mapping[int, User], text: str) -> User:
    """A member of the guild written as `name`, `@name` or `<@id>`."""
    raw = text.strip()
    mention = re.fullmatch(r"<@!?(\d+)>", raw)
    wanted = raw.lower().removeprefix("@")
    for user_id in guild.members:
        user = users.get(user_id)
        if user is None:
            continue
        if (mention and int(mention[1]) == user.id) or user.username.lower() == wanted:
            return user
    names = _listing([f"@{users[u].username}" for u in guild.members if u in users])
    raise ConsoleError(f'There is no member "{raw}" in {guild.name}. Members: {names}')


def find_button(buttons: Sequence[Json], wanted: str) -> Json:
    """The button labelled `wanted`: exactly, ignoring case, or by its words ("next")."""

    def words(text: str) -> str:
        return " ".join(re.findall(r"\w+", text.casefold()))

    labels = [str(b.get("label") or "") for b in buttons]
    for test in (
        lambda label: label == wanted,
        lambda label: label.casefold() == wanted.casefold(),
        lambda label: words(label) == words(wanted),
        lambda label: bool(words(wanted)) and words(label).startswith(words(wanted)),
    ):
        found = [b for b, label in zip(buttons, labels, strict=True) if test(label)]
        if len(found) == 1:
            return found[0]
    shown = _listing([f'"{label}"' for label in labels])
    raise ConsoleError(f'No button "{wanted}" on the last message. Buttons: {shown}')


def parse_wait(text: str) -> float:
    """Seconds in "5s", "500ms", "2m" or "3"."""
    match = _WAIT.fullmatch(text.strip())
    if match is None:
        raise ConsoleError(f'"wait {text}" needs a duration, e.g. wait 5s, wait 500ms, wait 2m')
    amount, unit = float(match[1]), (match[2] or "s").lower()
    if unit == "ms":
        return amount / 1000
    return amount * 60 if unit.startswith("m") else amount


# ---------------------------------------------------------------- help


def usage(parsed_path: str, options: Sequence[Json]) -> str:
    """One usage line: `/cast [filter: all|returning|new] [show: …]`."""
    parts = [parsed_path]
    for option in options:
        choices = option.get("choices")
        hint = "|".join(str(c["name"]) for c in choices) if choices else _hint(option)
        part = f"{option['name']}: {hint}"
        parts.append(part if option.get("required") else f"[{part}]")
    return " ".join(parts)


def _hint(option: Json) -> str:
    return {CHANNEL: "#channel", ROLE: "role", USER: "@user", BOOLEAN: "true|false"}.get(
        option["type"], "…"
    )


def command_help(commands: Mapping[str, Json]) -> list[str]:
    """Every command and subcommand with its options and description, from the schema."""
    lines: list[str] = []

    def walk(path: str, options: Sequence[Json], description: str) -> None:
        if _has_subcommands(options):
            for sub in options:
                walk(f"{path} {sub['name']}", sub.get("options") or [], sub.get("description", ""))
            return
        lines.append(f"  {usage(path, options)}")
        if description:
            lines.append(f"      {description}")

    for name in sorted(commands):
        command = commands[name]
        walk(f"/{name}", command.get("options") or [], command.get("description", ""))
    return lines


CONSOLE_HELP = """\
The console's own words:
  help                 this list
  as fan | as admin    act as another member (or: as @username)
  in #announcements    move to another channel
  press <label>        press a button on the last message that has buttons, e.g. press next
  wait 5s              let a few real seconds pass (the bot's clock may run faster)
  time                 the bot's clock
  quit                 leave (also /quit, Ctrl-D or Ctrl-C)
Options are written name: value; quote a value holding a colon: name: "a: b".
TAB completes commands, options and the bot's own suggestions."""


# ---------------------------------------------------------------- the console


class Console:
    """One member of the demo server talking to the bot through the emulator."""

    def __init__(
        self,
        emulator: Emulator,
        world: DemoWorld,
        clock: Clock,
        out: TextIO,
        *,
        color: bool = False,
        width: int = SCRIPT_WIDTH,
    ) -> None:
        self.emulator, self.world, self.clock, self.out = emulator, world, clock, out
        self.color, self.width = color, width
        self.guild: Guild = world.guild
        self.channel: Channel = world.general
        self.user: User = world.admin
        self.last_with_buttons: Message | None = None
        self.offered: dict[tuple[str, str], dict[str, str]] = {}
        self.prompting = False
        self.line_buffer: Callable[[], str] = str

    # --- output

    def say(self, text: str = "") -> None:
        """Write `text` and a newline to the console."""
        self.out.write(text + "\n")
        self.out.flush()

    def refuse(self, text: str) -> None:
        """Write an error line (red when colour is on)."""
        self.say(f"\x1b[31m{text}\x1b[0m" if self.color else text)

    def names(self) -> dict[int, str]:
        """How mentions read: `@Role`, `#channel`, `@user`."""
        found: dict[int, str] = {u.id: f"@{u.username}" for u in self.emulator.users.values()}
        for guild in self.emulator.guilds.values():
            found.update({r.id: "@" + r.name.lstrip("@") for r in guild.roles.values()})
            found.update({c.id: f"#{c.name}" for c in guild.channels.values()})
        return found

    def show(self, message: Message) -> None:
        """Render a message the bot sent."""
        text = render_message(
            message, width=self.width, now=self.clock.now(), names=self.names(), color=self.color
        )
        self.say(text)
        if message.buttons():
            self.last_with_buttons = message

    def on_post(self, message: Message) -> None:
        """A message the bot posted to a channel by itself (a reminder): print it as it lands."""
        channel = self.guild.channels.get(message.channel_id)
        where = f"#{channel.name}" if channel else f"channel {message.channel_id}"
        stamp = format_time(self.clock.now(), "F")
        if self.prompting and self.out.isatty():
            self.out.write("\r\x1b[K")
        self.say(f"── {where} · {stamp} ──")
        self.show(message)
        if self.prompting and self.out.isatty():
            self.out.write(self.prompt() + self.line_buffer())
            self.out.flush()

    def prompt(self) -> str:
        """The prompt: who you are and where."""
        return f"{self.user.username} in #{self.channel.name}> "

    def welcome(self) -> str:
        """The greeting of the interactive console."""
        role = "admin" if self.user.id == self.guild.owner_id else "member"
        return (
            "fanbot playground: the real bot on a local Discord emulator.\n"
            f"You are {self.user.username} ({role}) in #{self.channel.name}"
            f' on "{self.guild.name}".\n'
            f"The bot's clock: {format_time(self.clock.now(), 'F')}.\n"
            "Try /cast, /character name: Nick, /plot, /premiere. TAB completes.\n"
            "/help lists everything · as fan / as admin · in #announcements · press <label>\n"
            "/quit or Ctrl-D leaves.\n"
        )

    # --- commands

    def commands(self) -> dict[str, Json]:
        """The chat-input commands a member of the guild sees (guild ones over global)."""
        found: dict[str, Json] = {}
        for scope in (None, self.guild.id):
            for command in self.emulator.commands.listing(scope):
                if command.get("type", 1) == 1:
                    found[command["name"]] = command
        return found

    def values(self, parsed: Parsed, *, lenient: bool = False) -> dict[str, OptionValue]:
        """The parsed options converted by their schema types (autocomplete names mapped).

        `lenient` leaves out what does not convert instead of refusing (for autocomplete).
        """
        by_name = {o["name"]: o for o in parsed.options}
        result: dict[str, OptionValue] = {}
        for key, raw in parsed.given.items():
            mapped = self.offered.get((parsed.label, key), {}).get(raw, raw)
            try:
                result[key] = convert(parsed, by_name[key], mapped, self.guild, self.emulator.users)
            except ConsoleError:
                if not lenient:
                    raise
        return result

    async def interact(
        self,
        parsed: Parsed,
        values: dict[str, OptionValue],
        focused: tuple[str, str] | None = None,
    ) -> tuple[Message | None, list[Message], list[Json]]:
        """Send the interaction (run or autocomplete); return reply, follow-ups and choices."""
        interaction = await self.emulator.interact(
            " ".join(parsed.path),
            values,
            in_guild=self.guild,
            in_channel=self.channel,
            by=self.user,
            focused=focused,
            timeout=REPLY_TIMEOUT,
        )
        return interaction.response, list(interaction.followups), interaction.choices

    async def autocomplete(self, line: str, option: str, text: str) -> list[Json]:
        """The bot's suggestions for `option` while `line` is being typed; remembered."""
        try:
            parsed = parse_command(line, self.commands(), partial=True)
        except ConsoleError:
            return []
        given = {key: raw for key, raw in parsed.given.items() if key != option and raw}
        context = Parsed(parsed.path, parsed.options, given)
        values = self.values(context, lenient=True)
        _, _, choices = await self.interact(context, values, (option, text))
        remembered = self.offered.setdefault((parsed.label, option), {})
        remembered.update({str(c["name"]): str(c["value"]) for c in choices})
        return choices

    async def execute(self, line: str) -> Outcome:
        """Run one console line; print the reply or one friendly error line."""
        line = line.strip()
        try:
            return await self._execute(line)
        except (ConsoleError, EmulatorError) as exc:
            self.refuse(str(exc))
        except Exception as exc:  # one line failing must never end the console
            log.debug("console line %r failed", line, exc_info=True)
            self.refuse(f"That did not work: {exc}")
        finally:
            self.offered.clear()
        return Outcome.ERROR

    async def _execute(self, line: str) -> Outcome:
        word, _, rest = line.partition(" ")
        word = word.lower()
        commands = self.commands()
        if word in ("quit", "exit", "/quit", "/exit"):
            return Outcome.QUIT
        if word == "help" or (word == "/help" and "help" not in commands):
            self.say("Commands of the bot:\n" + "\n".join(command_help(commands)))
            self.say(CONSOLE_HELP)
        elif word.startswith("/"):
            await self.slash(line, commands)
        elif word in ("as", "in", "press", "wait") and not rest.strip():
            example = {"as": "as fan", "in": "in #announcements", "press": "press next"}
            raise ConsoleError(f"Say more, e.g. {example.get(word, 'wait 5s')}")
        elif word == "as":
            self.switch_user(rest)
        elif word == "in":
            self.channel = find_channel(self.guild, rest)
            self.say(f"You are now in #{self.channel.name}.")
        elif word == "press":
            await self.press(rest.strip())
        elif word == "wait":
            await asyncio.sleep(parse_wait(rest))
        elif word == "time":
            speed = f", running {self.clock.speed:g}× real time" if self.clock.speed != 1 else ""
            self.say(f"The bot's clock: {format_time(self.clock.now(), 'F')}{speed}.")
        elif word in commands:
            raise ConsoleError(f"Commands start with a slash: /{line}")
        else:
            raise ConsoleError(
                f'"{word}" is not something I know. Commands start with "/" (e.g. /cast); '
                "help lists everything."
            )
        return Outcome.OK

    async def slash(self, line: str, commands: Mapping[str, Json]) -> None:
        """Run a slash command and show what the bot answered."""
        parsed = parse_command(line, commands)
        reply, followups, _ = await self.interact(parsed, self.values(parsed))
        for message in [m for m in (reply, *followups) if m is not None and not m.deleted]:
            self.show(message)

    async def press(self, label: str) -> None:
        """Press a button on the last message that has buttons."""
        message = self.last_with_buttons
        if message is None:
            raise ConsoleError("No message with buttons yet.")
        current = self.emulator.messages.get(message.id, message)
        button = find_button(current.buttons(), label)
        if button.get("disabled"):
            raise ConsoleError(f'The button "{button.get("label")}" is disabled.')
        self.show(await self.emulator.click(current, str(button.get("label")), by=self.user))

    def switch_user(self, who: str) -> None:
        """Act as the fan, the admin, or any member by username."""
        wanted = who.strip().lower()
        if wanted in ("fan", "admin"):
            self.user = self.world.fan if wanted == "fan" else self.world.admin
        else:
            self.user = find_user(self.guild, self.emulator.users, wanted)
        role = "admin" if self.user.id == self.guild.owner_id else "member"
        self.say(f"You are now {self.user.username} ({role}).")

    # --- modes

    async def run_script(self, lines: Sequence[str]) -> int:
        """Run each line, echoing it and the reply; 1 if any line failed."""
        failed = 0
        for raw in lines:
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            self.say(f"> {line}")
            outcome = await self.execute(line)
            self.say()
            if outcome is Outcome.QUIT:
                break
            failed += outcome is Outcome.ERROR
        return EXIT_ERRORS if failed else EXIT_OK

    async def run_interactive(self) -> int:
        """Read lines until quit, Ctrl-D or Ctrl-C."""
        loop = asyncio.get_running_loop()
        readline = _setup_readline(Completer(self, loop))
        if readline is not None:
            self.line_buffer = readline.get_line_buffer
        self.say(self.welcome())
        with _terminal_restored():
            try:
                while True:
                    self.prompting = True
                    try:
                        line = await read_line(self.prompt())
                    except EOFError:
                        self.say()
                        break
                    finally:
                        self.prompting = False
                    if await self.execute(line) is Outcome.QUIT:
                        break
            except asyncio.CancelledError:  # Ctrl-C: leave the shell prompt on a line of its own
                self.say()
                raise
            finally:
                if readline is not None:
                    with contextlib.suppress(OSError):
                        readline.write_history_file(HISTORY_FILE)
        return EXIT_OK


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
        while _has_subcommands(options):
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
        boundaries = [b for b in _BOUNDARY.finditer(rest) if b[1].lower() in names]
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
        stem = f"{word} "
        return self._offer(
            line, [(stem, o) for o in options if o.casefold().startswith(rest.casefold())]
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


def _setup_readline(completer: Completer) -> ModuleType | None:
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
def _terminal_restored() -> Iterator[None]:
    """Put the terminal back as it was, even if we leave in the middle of a line edit."""
    try:
        import termios

        fd = sys.stdin.fileno()
        saved = termios.tcgetattr(fd)
    except (ImportError, OSError, ValueError, AttributeError):
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


# ---------------------------------------------------------------- entry point


async def _read_script(script: str) -> list[str]:
    def read() -> str:
        if script == "-":
            return sys.stdin.read()
        return Path(script).read_text(encoding="utf-8")

    return (await asyncio.to_thread(read)).splitlines()


async def run_playground(
    settings: Settings, *, script: str | None, out: TextIO = sys.stdout
) -> int:
    """Start the emulator and the bot, run the console or the script, shut both down."""
    lines: list[str] = []
    if script is not None:
        try:
            lines = await _read_script(script)
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            out.write(f"fanbot: cannot read the script {script}: {reason}\n")
            return EXIT_UNREADABLE
    interactive = script is None
    color = interactive and out.isatty()
    width = min(shutil.get_terminal_size().columns, SCRIPT_WIDTH) if interactive else SCRIPT_WIDTH
    emulator = Emulator()
    world = populate_demo_world(emulator)
    clock = Clock(settings.clock_start, settings.clock_speed)
    console = Console(emulator, world, clock, out, color=color, width=width)
    emulator.on_message(console.on_post)
    await emulator.start()
    try:
        async with running_bot(emulator, settings, clock=clock):
            return await (console.run_interactive() if interactive else console.run_script(lines))
    except BotStartError as exc:
        cause = exc.__cause__
        if isinstance(cause, PackError | StoreError):
            raise cause from None
        out.write(f"fanbot: the bot did not start: {cause or exc}\n")
        return EXIT_ERRORS
    finally:
        await emulator.stop()
