"""Reading console lines the way Discord's client reads a slash command."""

from __future__ import annotations

import contextlib
import difflib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

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
from bot.emulator.state import Channel, Guild, Json, Role, User

_OPTION_AT = re.compile(r"([^\s:]+):\s*")
OPTION_BOUNDARY = re.compile(r"(?<!\S)([A-Za-z0-9_-]+):")
_QUOTES = {'"': '"', "'": "'", "“": "”", "‘": "’"}
_TRUE = {"true", "yes", "y", "on", "1"}
_FALSE = {"false", "no", "n", "off", "0"}
_DURATION_PART = re.compile(r"(\d+)\s*(w|d|h|m)", re.I)
_DURATION = re.compile(r"(?:\d+\s*[wdhm]\s*)+", re.I)
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}
_WAIT = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|sec|secs|seconds?|m|min|mins|minutes?)?", re.I)


class ConsoleError(Exception):
    """A line the console refuses, as Discord's client would; the message is for the user."""


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


def has_subcommands(options: Sequence[Json]) -> bool:
    """Whether a command's options are subcommands (or groups) rather than values."""
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
    while has_subcommands(options):
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
    for boundary in OPTION_BOUNDARY.finditer(text, start):
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


# ---------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class NewEvent:
    """`event new NAME in DURATION [at PLACE]`: what to schedule, how far ahead, and where."""

    name: str
    ahead: timedelta
    place: str | None


def parse_duration(text: str) -> timedelta:
    """A span written "3d", "2h", "1w", "90m" or "1d 12h"."""
    if _DURATION.fullmatch(text.strip()) is None:
        raise ConsoleError(f'"{text.strip()}" is not a duration, e.g. 2h, 3d, 1w, 1d 12h')
    span = timedelta()
    for amount, unit in _DURATION_PART.findall(text):
        span += timedelta(**{_UNITS[unit.lower()]: int(amount)})
    return span


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and _QUOTES.get(text[0]) == text[-1]:
        return text[1:-1].strip()
    return text


def split_event_name(text: str, keyword: str) -> tuple[str, str]:
    """The event name (quoted, or everything up to ` keyword `) and what follows the keyword."""
    text = text.strip()
    close = _QUOTES.get(text[:1])
    if close is not None:
        end = text.find(close, 1)
        name, rest = (text[1:end], text[end + 1 :].lstrip()) if end > 0 else ("", "")
        if not rest.lower().startswith(f"{keyword} "):
            rest = ""
        rest = rest[len(keyword) + 1 :]
    else:
        at = text.lower().find(f" {keyword} ")
        name, rest = (text[:at], text[at + len(keyword) + 2 :]) if at > 0 else (text, "")
    if not name.strip() or not rest.strip():
        raise ConsoleError(f'Say the event and then "{keyword} …", e.g. {_EVENT_EXAMPLES[keyword]}')
    return name.strip(), rest.strip()


_EVENT_EXAMPLES = {
    "in": 'event new "Fan-art deadline" in 3d',
    "to": 'event move "Watch party" to +2h',
}


def parse_new_event(text: str) -> NewEvent:
    """`NAME in DURATION [at PLACE]`: a channel (#name) or any place for an external event."""
    name, rest = split_event_name(text, "in")
    when, _, place = rest.partition(" at ")
    return NewEvent(name, parse_duration(when), _unquote(place) or None)


def parse_event_time(text: str, start: datetime) -> datetime:
    """A new start: "+2h" or "-1d" from `start`, or "2023-07-20 19:00" (UTC; ISO with Z too)."""
    raw = text.strip()
    if raw[:1] in ("+", "-"):
        span = parse_duration(raw[1:])
        return start + span if raw[0] == "+" else start - span
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ConsoleError(
            f'"{raw}" is not a time: say +2h, -1d or 2023-07-20 19:00 (UTC)'
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


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
        if has_subcommands(options):
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
