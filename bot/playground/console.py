"""The console: one member of the demo server talking to the bot, or acting as a moderator.

Besides slash commands it knows a few words of its own (`CONSOLE_HELP`), among them the
server's scheduled events as a moderator manages them in Discord's Events: `events`,
`event new|move|start|end|cancel|delete …`.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TextIO

from discord import Permissions
from prompt_toolkit import PromptSession

from bot.clock import Clock
from bot.emulator import DemoWorld, Emulator, EmulatorError
from bot.emulator.commands import (
    OptionValue,
)
from bot.emulator.scheduling import STATUS_NAMES
from bot.emulator.state import (
    CHANNEL_STAGE,
    CHANNEL_VOICE,
    Channel,
    Guild,
    Json,
    Message,
    ScheduledEvent,
    User,
)
from bot.playground.parsing import (
    ConsoleError,
    Parsed,
    command_help,
    convert,
    find_button,
    find_channel,
    find_user,
    parse_command,
    parse_duration,
    parse_event_time,
    parse_new_event,
    parse_wait,
    split_event_name,
)
from bot.playground.prompt import printing_above_the_prompt, prompt_session
from bot.terminal import format_time, render_message

if TYPE_CHECKING:
    from bot.client import FanBot

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_UNREADABLE = 2
SCRIPT_WIDTH = 100
REPLY_TIMEOUT = 10.0


DEMO_COUNTDOWN = "/countdown setup channel: #announcements role: Premiere Pings event: Heartstopper"
EVENT_WORDS = ("new", "move", "start", "end", "cancel", "delete")
_EXAMPLES = {
    "as": "as fan",
    "in": "in #announcements",
    "press": "press next",
    "wait": "wait 5s",
    "event": "event new Quiz in 2d",
}
_DONE = {"start": "started", "end": "ended", "cancel": "canceled"}
_STATUS_FOR = {"start": "active", "end": "completed", "cancel": "canceled"}


class Outcome(enum.Enum):
    """What running one line came to."""

    OK = "ok"
    ERROR = "error"
    QUIT = "quit"


CONSOLE_HELP = """\
The console's own words:
  help                 this list
  as fan | as admin    act as another member (or: as @username)
  in #announcements    move to another channel
  press <label>        press a button on the last message that has buttons, e.g. press next
  wait 5s              let a few real seconds pass (the bot's clock may run faster)
  wait 3d              move the bot's clock ahead (h, d or w), posting all that falls due
  time                 the bot's clock
  events               the server's scheduled events
  event new <name> in 3d [at #voice-channel | at <place>]
                       schedule an event (a moderator's, as in Discord's Events)
  event move <name> to +2h | -1d | 2023-07-20 19:00
                       move an event (times in UTC)
  event start|end|cancel|delete <name>
                       start, end, cancel or delete an event
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
        self.bot: FanBot | None = None  # set once it runs: `wait 3d` moves its clock
        # The stand-alone emulator's console: the bot runs in another process.
        self.bot_elsewhere = False

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
        self.say(f"── {where} · {stamp} ──")
        self.show(message)

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
        elif word in ("as", "in", "press", "wait", "event") and not rest.strip():
            raise ConsoleError(f"Say more, e.g. {_EXAMPLES[word]}")
        elif word == "as":
            self.switch_user(rest)
        elif word == "in":
            self.channel = find_channel(self.guild, rest)
            self.say(f"You are now in #{self.channel.name}.")
        elif word == "press":
            await self.press(rest.strip())
        elif word == "wait":
            await self.wait(rest)
        elif word == "events":
            self.list_events()
        elif word == "event":
            await self.event(rest.strip())
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

    async def wait(self, text: str) -> None:
        """`wait 5s` lets real time pass; `wait 3d` moves the bot's clock ahead.

        Moving ahead goes from one due post to the next, so that each goes out in turn
        as it would have, not only the last one.
        """
        try:
            await asyncio.sleep(parse_wait(text))
            return
        except ConsoleError:
            ahead = parse_duration(text)  # refuses, with an example, what it cannot read
        if self.bot_elsewhere:
            raise ConsoleError(
                f"`wait {text}` moves the clock of a bot in this process, and the bot here runs "
                "in another one. `wait 5s` lets real time pass; to see weeks go by, start that "
                "bot with FANBOT_CLOCK_START and FANBOT_CLOCK_SPEED, or use `fanbot local`."
            )
        if self.bot is None:
            raise ConsoleError("The bot is not running.")
        end = self.clock.now() + ahead
        reminders = self.bot.reminders
        while (due := await reminders.next_due()) is not None and due <= end:
            self.clock.skip_to(due)
            await reminders.sweep()
        self.clock.skip_to(end)
        await reminders.sweep()
        self.say(f"The bot's clock: {format_time(self.clock.now(), 'F')}.")

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

    # --- the server's scheduled events (a moderator's, as in Discord's Events)

    def when(self, moment: datetime) -> str:
        """A moment in the bot's clock: "Thursday 20 July 2023 19:00 UTC (in 2 days)"."""
        return f"{format_time(moment, 'F')} ({format_time(moment, 'R', self.clock.now())})"

    def where(self, event: ScheduledEvent) -> str:
        """Where an event happens: its channel, or its location."""
        channel = self.guild.channels.get(event.channel_id or 0)
        return f"#{channel.name}" if channel is not None else event.location or "somewhere"

    def list_events(self) -> None:
        """Print the server's events: name, when, where, status and interested count."""
        events = sorted(self.guild.scheduled_events.values(), key=lambda e: e.scheduled_start_time)
        if not events:
            self.say(f"No events in {self.guild.name}. Make one: {_EXAMPLES['event']}")
            return
        self.say(f"Events in {self.guild.name}:")
        for event in events:
            self.say(
                f'  "{event.name}" · {self.when(event.scheduled_start_time)} · {self.where(event)}'
                f" · {STATUS_NAMES[event.status]} · {len(event.interested)} interested"
            )

    def find_event(self, name: str) -> ScheduledEvent:
        """The server's event called `name` (case ignored)."""
        wanted = name.strip().strip("\"“”'‘’").casefold()
        for event in self.guild.scheduled_events.values():
            if event.name.casefold() == wanted:
                return event
        names = ", ".join(f'"{e.name}"' for e in self.guild.scheduled_events.values()) or "none"
        raise ConsoleError(
            f'There is no event "{name.strip()}" in {self.guild.name}. Events: {names}'
        )

    def event_place(self, place: str | None) -> tuple[Channel | None, str | None]:
        """A voice or stage channel (#name, or its name) for the event, or a place outside."""
        if place is None:
            return None, None
        rooms = [
            c for c in self.guild.channels.values() if c.type in (CHANNEL_VOICE, CHANNEL_STAGE)
        ]
        for channel in rooms:
            if channel.name.casefold() == place.removeprefix("#").casefold():
                return channel, None
        if place.startswith("#"):
            names = ", ".join(f"#{c.name}" for c in rooms) or "none"
            raise ConsoleError(f"There is no voice channel {place} in {self.guild.name}: {names}")
        return None, place

    async def event(self, rest: str) -> None:
        """`event new|move|start|end|cancel|delete …`: what a moderator does in Events."""
        word, _, rest = rest.partition(" ")
        word = word.lower()
        if word not in EVENT_WORDS:
            raise ConsoleError(
                f'"event {word}" is not something I know: event {"|".join(EVENT_WORDS)}'
            )
        if not Permissions(self.guild.base_permissions(self.user.id)).manage_events:
            raise ConsoleError(f"{self.user.username} may not manage events in {self.guild.name}.")
        if word == "new":
            await self.new_event(rest)
        elif word == "move":
            await self.move_event(rest)
        elif word == "delete":
            event = self.find_event(rest)
            await self.emulator.delete_scheduled_event(self.guild, event.id)
            self.say(f'Event "{event.name}" deleted.')
        else:
            event = self.find_event(rest)
            status = _STATUS_FOR[word]
            await self.emulator.update_scheduled_event(self.guild, event.id, status=status)
            self.say(f'Event "{event.name}" {_DONE[word]}.')

    async def new_event(self, rest: str) -> None:
        """`event new NAME in 3d [at PLACE]`."""
        wanted = parse_new_event(rest)
        channel, location = self.event_place(wanted.place)
        starts_at = (self.clock.now() + wanted.ahead).replace(second=0, microsecond=0)
        event = await self.emulator.create_scheduled_event(
            self.guild, wanted.name, starts_at, channel=channel, location=location, by=self.user
        )
        self.say(
            f'Event "{event.name}" scheduled for {self.when(starts_at)} at {self.where(event)}.'
        )

    async def move_event(self, rest: str) -> None:
        """`event move NAME to +2h | -1d | 2023-07-20 19:00`: the end moves along."""
        name, when = split_event_name(rest, "to")
        event = self.find_event(name)
        starts_at = parse_event_time(when, event.scheduled_start_time)
        shift: timedelta = starts_at - event.scheduled_start_time
        end = event.scheduled_end_time
        changes: dict[str, object] = {"starts_at": starts_at}
        if end is not None:
            changes["ends_at"] = end + shift
        await self.emulator.update_scheduled_event(self.guild, event.id, **changes)
        self.say(f'Event "{event.name}" moved to {self.when(starts_at)}.')

    async def set_up_demo_countdown(self) -> None:
        """On a virtual clock, start the demo server's countdown as its admin would."""
        self.say("The bot's clock is virtual: setting up the demo server's countdown for you.")
        self.say(f"> {DEMO_COUNTDOWN}")
        user, self.user = self.user, self.world.admin
        try:
            await self.execute(DEMO_COUNTDOWN)
        finally:
            self.user = user
        self.say()

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

    async def run_interactive(self, session: PromptSession[str] | None = None) -> int:
        """Read lines at a prompt (`session`, or one of its own) until quit, Ctrl-D or Ctrl-C.

        While a line is typed, posts and log lines print above it.
        """
        session = session or prompt_session(self)
        self.say(self.welcome())
        with printing_above_the_prompt() as out:
            terminal, self.out = self.out, out
            try:
                while True:
                    try:
                        line = await session.prompt_async(self.prompt())
                    except (EOFError, KeyboardInterrupt):
                        break
                    if await self.execute(line) is Outcome.QUIT:
                        break
            except asyncio.CancelledError:  # Ctrl-C: leave the shell prompt on a line of its own
                self.say()
                raise
            finally:
                self.out = terminal
        return EXIT_OK
