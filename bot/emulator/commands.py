"""The application commands the bot registered, and interactions built from their schema.

Building an interaction checks what a Discord client checks before it lets a user send a
command: the command and its options exist, required options are there, values have the
option's type, lie in its range and, when it has choices, are one of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bot.emulator.state import Channel, Json, Role, Snowflakes, User

if TYPE_CHECKING:
    from bot.emulator.state import Guild

OptionValue = str | int | float | bool | Channel | Role | User

SUB_COMMAND = 1
SUB_COMMAND_GROUP = 2
STRING = 3
INTEGER = 4
BOOLEAN = 5
USER = 6
CHANNEL = 7
ROLE = 8
MENTIONABLE = 9
NUMBER = 10

Resolver = Callable[["Guild", int, Any], tuple[str, Json]]


class EmulatorError(Exception):
    """The test asked for something Discord (or its client) would not allow."""


class CommandRegistry:
    """Global and per-guild command lists, as the bot last overwrote them."""

    def __init__(self, ids: Snowflakes, application_id: int) -> None:
        self._ids = ids
        self._application_id = application_id
        self._by_scope: dict[int | None, list[Json]] = {}

    @staticmethod
    def validate(commands: list[Json]) -> None:
        """Refuse a command list Discord would refuse (names, descriptions, counts)."""
        seen: set[tuple[int, str]] = set()
        for command in commands:
            name = command.get("name")
            kind = int(command.get("type", 1))
            if not isinstance(name, str) or not 1 <= len(name) <= 32:
                raise EmulatorError(f"command name {name!r} must be 1 to 32 characters")
            if (kind, name) in seen:
                raise EmulatorError(f"command {name!r} is registered twice")
            seen.add((kind, name))
            if kind == 1:
                description = command.get("description", "")
                if not 1 <= len(description) <= 100:
                    raise EmulatorError(f"/{name}: description must be 1 to 100 characters")
                _validate_options(f"/{name}", command.get("options") or [])

    def replace(self, guild_id: int | None, commands: list[Json]) -> list[Json]:
        """Bulk overwrite: keep ids of commands that already existed, as Discord does."""
        old = {c["name"]: c for c in self._by_scope.get(guild_id, [])}
        stored: list[Json] = []
        for command in commands:
            entry = dict(command)
            previous = old.get(command["name"])
            entry["id"] = previous["id"] if previous else str(self._ids.next())
            entry["application_id"] = str(self._application_id)
            entry["version"] = str(self._ids.next())
            entry.setdefault("type", 1)
            entry.setdefault("default_member_permissions", None)
            entry.setdefault("nsfw", False)
            if guild_id is not None:
                entry["guild_id"] = str(guild_id)
            stored.append(entry)
        self._by_scope[guild_id] = stored
        return stored

    def listing(self, guild_id: int | None) -> list[Json]:
        """The commands of one scope (None: global)."""
        return list(self._by_scope.get(guild_id, []))

    def find(self, name: str, guild_id: int) -> Json:
        """The chat-input command called `name` that a user in `guild_id` sees."""
        for scope in (guild_id, None):
            for command in self._by_scope.get(scope, []):
                if command["name"] == name and command.get("type", 1) == 1:
                    return command
        known = sorted({c["name"] for s in (guild_id, None) for c in self._by_scope.get(s, [])})
        raise EmulatorError(f"no command /{name} is registered (known: {', '.join(known)})")

    def build(
        self,
        path: str,
        guild: Guild,
        values: dict[str, Any],
        *,
        resolve: Resolver,
        focused: tuple[str, str] | None = None,
    ) -> Json:
        """The `data` of an interaction that runs `/path` with option `values`."""
        names = path.strip().lstrip("/").split()
        if not names:
            raise EmulatorError("no command given")
        command = self.find(names[0], guild.id)
        data: Json = {
            "id": command["id"],
            "name": command["name"],
            "type": 1,
            "guild_id": str(guild.id) if command.get("guild_id") else None,
        }
        if data["guild_id"] is None:
            del data["guild_id"]
        options_schema: list[Json] = command.get("options") or []
        container: list[Json] = []
        data["options"] = container
        label = f"/{names[0]}"
        for name in names[1:]:
            sub = next(
                (
                    o
                    for o in options_schema
                    if o["name"] == name and o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)
                ),
                None,
            )
            if sub is None:
                raise EmulatorError(f"{label} has no subcommand {name!r}")
            label += f" {name}"
            entry: Json = {"name": name, "type": sub["type"], "options": []}
            container.append(entry)
            container = entry["options"]
            options_schema = sub.get("options") or []
        if any(o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP) for o in options_schema):
            subs = ", ".join(o["name"] for o in options_schema)
            raise EmulatorError(f"{label} needs a subcommand: one of {subs}")
        resolved: Json = {}
        by_name = {o["name"]: o for o in options_schema}
        for key in values:
            if key not in by_name:
                raise EmulatorError(
                    f"{label} has no option {key!r} (options: {', '.join(by_name) or 'none'})"
                )
        if focused is not None and focused[0] not in by_name:
            raise EmulatorError(f"{label} has no option {focused[0]!r}")
        for option in options_schema:
            name = option["name"]
            if focused is not None and name == focused[0]:
                if not option.get("autocomplete"):
                    raise EmulatorError(f"{label} {name}: this option has no autocomplete")
                container.append(
                    {"name": name, "type": option["type"], "value": focused[1], "focused": True}
                )
                continue
            if values.get(name) is None:  # None: the user left the option out
                if option.get("required") and focused is None:
                    raise EmulatorError(f"{label}: the option {name!r} is required")
                continue
            value, extra = _convert(label, option, values[name], guild, resolve)
            for group, items in extra.items():
                resolved.setdefault(group, {}).update(items)
            container.append({"name": name, "type": option["type"], "value": value})
        if resolved:
            data["resolved"] = resolved
        return data


def runnable_paths(command: Json) -> list[tuple[str, list[Json]]]:
    """(path, options) of every runnable command under one registered command.

    "countdown setup" and its options, "countdown stop" and its options, ...; a command
    without subcommands is its own single path.
    """
    found: list[tuple[str, list[Json]]] = []

    def walk(path: str, options: list[Json]) -> None:
        subs = [o for o in options if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)]
        if not subs:
            found.append((path, options))
        for sub in subs:
            walk(f"{path} {sub['name']}", sub.get("options") or [])

    walk(command["name"], command.get("options") or [])
    return found


def _validate_options(label: str, options: list[Json]) -> None:
    if len(options) > 25:
        raise EmulatorError(f"{label}: more than 25 options")
    required_done = False
    for option in options:
        name = option.get("name", "")
        if not 1 <= len(name) <= 32 or name != name.lower():
            raise EmulatorError(f"{label}: option name {name!r} must be 1-32 lowercase characters")
        if not 1 <= len(option.get("description", "")) <= 100:
            raise EmulatorError(f"{label} {name}: description must be 1 to 100 characters")
        if option.get("required") and required_done:
            raise EmulatorError(f"{label} {name}: required options must come first")
        if not option.get("required"):
            required_done = True
        if option.get("autocomplete") and option.get("choices"):
            raise EmulatorError(f"{label} {name}: autocomplete and choices are exclusive")
        if option["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP):
            _validate_options(f"{label} {name}", option.get("options") or [])


def _convert(
    label: str, option: Json, value: Any, guild: Guild, resolve: Resolver
) -> tuple[Any, Json]:
    kind = option["type"]
    name = f"{label} {option['name']}"
    if kind in (USER, CHANNEL, ROLE):
        return resolve(guild, kind, value)
    if kind == STRING:
        text = str(value)
        low, high = option.get("min_length", 0), option.get("max_length", 6000)
        if not low <= len(text) <= high:
            raise EmulatorError(f"{name}: length must be {low} to {high}")
        result: Any = text
    elif kind == INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            raise EmulatorError(f"{name}: expects a whole number, not {value!r}")
        result = value
    elif kind == NUMBER:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise EmulatorError(f"{name}: expects a number, not {value!r}")
        result = value
    elif kind == BOOLEAN:
        if not isinstance(value, bool):
            raise EmulatorError(f"{name}: expects true or false, not {value!r}")
        result = value
    else:
        raise EmulatorError(f"{name}: option type {kind} is not supported by the emulator")
    if kind in (INTEGER, NUMBER):
        low, high = option.get("min_value"), option.get("max_value")
        if (low is not None and result < low) or (high is not None and result > high):
            raise EmulatorError(f"{name}: must be between {low} and {high}")
    choices = option.get("choices")
    if choices and result not in [c["value"] for c in choices]:
        names = ", ".join(str(c["value"]) for c in choices)
        raise EmulatorError(f"{name}: must be one of {names}")
    return result, {}
