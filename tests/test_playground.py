"""bot.playground: the console's parser, and script mode end to end against the real bot."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from bot.clock import Clock
from bot.config import Settings
from bot.emulator import Emulator, populate_demo_world
from bot.emulator.state import Message
from bot.playground import (
    Console,
    ConsoleCompleter,
    ConsoleError,
    convert,
    find_button,
    parse_command,
    parse_wait,
    run_playground,
)

REPO = Path(__file__).resolve().parents[1]
CONTENT = REPO / "data" / "content"
JULY_22 = datetime(2023, 7, 22, 7, 0, tzinfo=UTC)
TAB = CompleteEvent(completion_requested=True)

# A schema shaped like what discord.py registers, with a subcommand group to walk.
SCHEMA: dict[str, dict[str, Any]] = {
    "character": {
        "name": "character",
        "description": "Who plays a character",
        "options": [
            {"type": 3, "name": "name", "description": "d", "required": True, "autocomplete": True},
            {"type": 3, "name": "show", "description": "d", "autocomplete": True},
        ],
    },
    "cast": {
        "name": "cast",
        "description": "The cast",
        "options": [
            {
                "type": 3,
                "name": "filter",
                "description": "d",
                "choices": [
                    {"name": "all", "value": "all"},
                    {"name": "returning", "value": "returning"},
                    {"name": "new", "value": "new"},
                ],
            },
        ],
    },
    "countdown": {
        "name": "countdown",
        "description": "Premiere reminders",
        "options": [
            {
                "type": 1,
                "name": "setup",
                "description": "d",
                "options": [
                    {"type": 7, "name": "channel", "description": "d", "required": True},
                    {"type": 8, "name": "role", "description": "d"},
                    {"type": 3, "name": "milestones", "description": "d"},
                    {"type": 4, "name": "hour", "description": "d"},
                    {"type": 5, "name": "daily", "description": "d"},
                ],
            },
            {"type": 1, "name": "status", "description": "d"},
        ],
    },
}


@pytest.fixture
def playground_settings(tmp_path: Path) -> Settings:
    """Its own database, the bundled content, and a clock 12 days before the premiere."""
    return dataclasses.replace(
        Settings(), db_path=tmp_path / "fanbot.sqlite3", content_dir=CONTENT, clock_start=JULY_22
    )


async def run_script(settings: Settings, tmp_path: Path, text: str) -> tuple[int, str]:
    script = tmp_path / "script.txt"
    script.write_text(text, encoding="utf-8")
    out = io.StringIO()
    code = await run_playground(settings, script=str(script), out=out)
    return code, out.getvalue()


# ---------------------------------------------------------------- parsing


async def test_options_run_until_the_next_known_option() -> None:
    parsed = parse_command("/character name: Nick Nelson show: Heartstopper 2", SCHEMA)
    assert parsed.label == "/character"
    assert parsed.given == {"name": "Nick Nelson", "show": "Heartstopper 2"}


async def test_subcommands_and_a_colon_that_is_not_an_option() -> None:
    line = "/countdown setup channel: #announcements role: Premiere Pings milestones: 7d, at: 1d"
    parsed = parse_command(line, SCHEMA)
    assert parsed.path == ("countdown", "setup")
    assert parsed.given == {
        "channel": "#announcements",
        "role": "Premiere Pings",
        "milestones": "7d, at: 1d",
    }


async def test_quoted_values_may_hold_option_names() -> None:
    parsed = parse_command('/character name: "Nick show: Nelson" show:“S2”', SCHEMA)
    assert parsed.given == {"name": "Nick show: Nelson", "show": "S2"}


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("/charcter name: Nick", 'Unknown command "/charcter". Did you mean /character?'),
        ("/character nmae: Nick", 'Unknown option "nmae" for /character. Did you mean name?'),
        ("/character nmae: Nick", "Options: name, show"),
        ("/character", '/character needs the option "name"'),
        ("/character Nick", 'Give options as "name: value", e.g. /character name: Nick'),
        ("/character name:", 'The option "name" of /character needs a value.'),
        ("/character name: a name: b", 'The option "name" is given twice.'),
        ('/character name: "Nick', "opens a quote that never closes"),
        ("/countdown", "/countdown needs a subcommand: setup, status"),
        ("/countdown stop", 'Unknown subcommand "stop" for /countdown.'),
        ("/countdown status now", '/countdown status takes no options, but got "now".'),
        ("/", "Type a command after the slash"),
    ],
)
async def test_refusals_are_one_friendly_line(line: str, error: str) -> None:
    with pytest.raises(ConsoleError) as caught:
        parse_command(line, SCHEMA)
    assert error in str(caught.value)
    assert "\n" not in str(caught.value)


async def test_values_convert_by_the_schema_type() -> None:
    emulator = Emulator()
    world = populate_demo_world(emulator)
    line = "/countdown setup channel: #announcements role: @premiere pings hour: 9 daily: yes"
    parsed = parse_command(line, SCHEMA)
    options = {o["name"]: o for o in parsed.options}

    def value(name: str) -> Any:
        return convert(parsed, options[name], parsed.given[name], world.guild, emulator.users)

    assert value("channel") is world.announcements
    assert value("role") is world.premiere_pings
    assert value("hour") == 9
    assert value("daily") is True
    with pytest.raises(ConsoleError, match="needs a whole number"):
        convert(parsed, options["hour"], "nine", world.guild, emulator.users)
    with pytest.raises(ConsoleError, match="no channel #random"):
        convert(parsed, options["channel"], "#random", world.guild, emulator.users)
    with pytest.raises(ConsoleError, match=r"Roles: .*Premiere Pings"):
        convert(parsed, options["role"], "Nobody", world.guild, emulator.users)
    cast = parse_command("/cast filter: NEW", SCHEMA)
    assert convert(cast, cast.options[0], "NEW", world.guild, emulator.users) == "new"


async def test_buttons_are_found_by_their_words() -> None:
    buttons = [{"label": "◀ Previous"}, {"label": "Next ▶"}]
    assert find_button(buttons, "Next ▶") is buttons[1]
    assert find_button(buttons, "next") is buttons[1]
    assert find_button(buttons, "prev") is buttons[0]
    with pytest.raises(ConsoleError, match='No button "last"'):
        find_button(buttons, "last")


async def test_wait_durations() -> None:
    assert parse_wait("5s") == 5
    assert parse_wait("500ms") == 0.5
    assert parse_wait("2m") == 120
    assert parse_wait("1.5") == 1.5
    with pytest.raises(ConsoleError):
        parse_wait("soon")


# ---------------------------------------------------------------- script mode, end to end


async def test_script_shows_the_articles_facts(
    playground_settings: Settings, tmp_path: Path
) -> None:
    code, out = await run_script(
        playground_settings,
        tmp_path,
        "# the article's facts\n\n/character name: Nick\n/cast filter: new\n/premiere\n",
    )
    assert code == 0, out
    assert "> /character name: Nick\n│ Heartstopper season 2\n│ Nick Nelson\n" in out
    assert "Played by Kit Connor" in out
    assert "Thibault de Montalembert as Stephane" in out
    assert "Thursday 3 August 2023 07:00 UTC (in 12 days)" in out
    assert "the article's facts" not in out
    assert "\x1b" not in out


async def test_script_errors_print_and_carry_on_then_exit_1(
    playground_settings: Settings, tmp_path: Path
) -> None:
    code, out = await run_script(
        playground_settings, tmp_path, "/character nmae: Nick\n/cast filter: old\n/about\n"
    )
    assert code == 1
    assert 'Unknown option "nmae" for /character. Did you mean name? Options: name, show' in out
    assert '"old" is not one of the choices for the option "filter" of /cast' in out
    assert "About fanbot" in out
    assert "Traceback" not in out


async def test_script_console_words(playground_settings: Settings, tmp_path: Path) -> None:
    code, out = await run_script(
        playground_settings,
        tmp_path,
        "as fan\nin #announcements\ntime\nwait 10ms\n/plot storyline: Paris\nquit\n/about\n",
    )
    assert code == 0, out
    assert "You are now nick (member)." in out
    assert "You are now in #announcements." in out
    assert "The bot's clock: Saturday 22 July 2023" in out
    assert "Exams, a school trip to Paris, and prom" in out
    assert "> /about" not in out  # quit stops the script


async def test_help_lists_the_registered_commands(
    playground_settings: Settings, tmp_path: Path
) -> None:
    code, out = await run_script(playground_settings, tmp_path, "/help\n")
    assert code == 0
    assert "/cast [filter: all|returning|new] [show: …]" in out
    assert "/character name: … [show: …]" in out
    assert "press <label>" in out


async def test_press_turns_the_cast_page(playground_settings: Settings, tmp_path: Path) -> None:
    pack = (CONTENT / "heartstopper-s2.toml").read_text(encoding="utf-8")
    for number in range(1, 8):
        pack += (
            f'\n[[people]]\nkey = "extra-{number}"\nname = "Extra Person {number}"\n'
            f'\n[[castings]]\nperson = "extra-{number}"\nseason = 2\nstatus = "new"\n'
        )
    content = tmp_path / "content"
    content.mkdir()
    (content / "big.toml").write_text(pack, encoding="utf-8")
    settings = dataclasses.replace(playground_settings, content_dir=content)
    code, out = await run_script(
        settings, tmp_path, "press next\n/cast\npress next\npress next\npress prev\n"
    )
    assert "No message with buttons yet." in out
    assert "[ ◀ Previous (disabled) ] [ Next ▶ ]" in out
    assert "Page 2 of 2" in out
    assert 'The button "Next ▶" is disabled.' in out
    assert out.count("Page 1 of 2") == 2
    assert code == 1  # the two refused presses


async def test_unreadable_script_exits_2(playground_settings: Settings, tmp_path: Path) -> None:
    out = io.StringIO()
    missing = tmp_path / "nope.txt"
    code = await run_playground(playground_settings, script=str(missing), out=out)
    assert code == 2
    assert out.getvalue().startswith(f"fanbot: cannot read the script {missing}")


async def test_cli_script_from_stdin(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "FANBOT_DB": str(tmp_path / "fanbot.sqlite3"),
        "FANBOT_CLOCK_START": "2023-07-22T07:00Z",
        "PYTHONPATH": str(REPO),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "local",
        "--script",
        "-",
        cwd=REPO,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(
        process.communicate(b"/character name: Tao\n/premiere\n"), timeout=60
    )
    out = stdout.decode()
    assert process.returncode == 0, stderr.decode()
    assert "> /character name: Tao" in out
    assert "Played by William Gao" in out
    assert "Thursday 3 August 2023" in out


# ---------------------------------------------------------------- console pieces


async def test_posts_print_with_channel_and_clock() -> None:
    emulator = Emulator()
    world = populate_demo_world(emulator)
    out = io.StringIO()
    console = Console(emulator, world, Clock(JULY_22, 1.0), out)
    post = Message(
        id=1,
        channel_id=world.announcements.id,
        guild_id=world.guild.id,
        author=emulator.bot_user,
        content=f"<@&{world.premiere_pings.id}> 12 days to go!",
    )
    console.on_post(post)
    assert out.getvalue() == (
        "── #announcements · Saturday 22 July 2023 07:00 UTC ──\n@Premiere Pings 12 days to go!\n"
    )


async def test_completion_uses_the_bots_autocomplete(
    playground_settings: Settings,
) -> None:
    from bot.local import running_bot

    emulator = Emulator()
    world = populate_demo_world(emulator)
    await emulator.start()
    try:
        async with running_bot(emulator, playground_settings):
            console = Console(emulator, world, Clock(JULY_22), io.StringIO())
            completer = ConsoleCompleter(console)

            async def complete(line: str) -> list[str]:
                return [
                    line[: len(line) + c.start_position] + c.text
                    async for c in completer.get_completions_async(Document(line), TAB)
                ]

            assert await complete("/ch") == ["/character "]
            assert await complete("/character ") == ["/character name: ", "/character show: "]
            assert await complete("/cast filter: r") == ["/cast filter: returning "]
            found = await complete("/character name: tao")
            assert found == ["/character name: Tao Xu — William Gao "]
            assert console.offered[("/character", "name")]["Tao Xu — William Gao"] == "tao-xu"
            # What the bot suggests is sent as its value, as Discord does.
            reply = await console.execute("/character name: Tao Xu — William Gao")
            assert reply.value == "ok"
            assert console.offered == {}
            # The bot's suggestions replace what was typed, whatever they start with.
            assert await complete("/character name: william") == [
                "/character name: Tao Xu — William Gao "
            ]
            assert await complete("as f") == ["as fan"]
            assert await complete("in #a") == ["in #announcements"]
            assert await complete("/nope x") == []
    finally:
        await emulator.stop()


def test_commands_piped_into_the_console_run_as_a_script(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "FANBOT_"))}
    env.update(PYTHONPATH=str(REPO), FANBOT_CONTENT_DIR=str(CONTENT))
    done = subprocess.run(
        [sys.executable, "-m", "bot", "local"],
        input="/character name: Tao\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "William Gao" in done.stdout
    assert "Traceback" not in done.stderr


# ---------------------------------------------------------------- scheduled events


async def test_event_lines_parse_like_a_moderator_writes_them() -> None:
    from bot.playground.parsing import NewEvent, parse_event_time, parse_new_event

    day = timedelta(days=1)
    assert parse_new_event('"Fan-art deadline" in 3d') == NewEvent(
        "Fan-art deadline", 3 * day, None
    )
    assert parse_new_event("Watch party in 2h at #watch-party") == NewEvent(
        "Watch party", timedelta(hours=2), "#watch-party"
    )
    assert parse_new_event('Quiz in 1d 12h at "Stage of the Globe"') == NewEvent(
        "Quiz", 1.5 * day, "Stage of the Globe"
    )
    start = datetime(2023, 7, 29, 19, 0, tzinfo=UTC)
    assert parse_event_time("+2h", start) == start + timedelta(hours=2)
    assert parse_event_time("-1w", start) == start - 7 * day
    assert parse_event_time("2023-07-20 19:00", start) == datetime(2023, 7, 20, 19, tzinfo=UTC)
    assert parse_event_time("2023-07-20T19:00Z", start) == datetime(2023, 7, 20, 19, tzinfo=UTC)
    for bad in ("Quiz", "Quiz in", "Quiz in soon", '"Quiz in 2d'):
        with pytest.raises(ConsoleError):
            parse_new_event(bad)
    with pytest.raises(ConsoleError, match="is not a time"):
        parse_event_time("tomorrow", start)


async def test_script_event_words(playground_settings: Settings, tmp_path: Path) -> None:
    script = "\n".join(
        [
            "events",
            'event new "Fan-art deadline" in 3d',
            "event new Watch-along in 2h at #watch-party",
            'event new Quiz in 5d at "Stage of the Globe"',
            'event move "WATCH PARTY" to +2h',
            "event move Quiz to 2023-07-20 19:00",
            "event move Quiz to 2023-07-30T18:00Z",
            "event start watch-along",
            "event cancel Quiz",
            "event delete Fan-art deadline",
            "event start Nope",
            "events",
            "as fan",
            "event cancel Watch party",
        ]
    )
    code, out = await run_script(playground_settings, tmp_path, script + "\n")
    assert code == 1  # the refused lines
    assert (
        '"Watch party" · Saturday 29 July 2023 19:00 UTC (in 7 days) · #watch-party'
        " · scheduled · 3 interested"
    ) in out
    assert (
        'Event "Fan-art deadline" scheduled for Tuesday 25 July 2023 07:00 UTC (in 3 days)'
        " at Online." in out
    )
    assert 'Event "Watch-along" scheduled for Saturday 22 July 2023 09:00 UTC' in out
    assert "at #watch-party." in out
    assert "(in 5 days) at Stage of the Globe." in out
    assert 'Event "Watch party" moved to Saturday 29 July 2023 21:00 UTC (in 8 days).' in out
    assert "Cannot schedule an event in the past." in out
    assert 'Event "Quiz" moved to Sunday 30 July 2023 18:00 UTC (in 8 days).' in out
    assert 'Event "Watch-along" started.' in out
    assert 'Event "Quiz" canceled.' in out
    assert 'Event "Fan-art deadline" deleted.' in out
    assert (
        'There is no event "Nope" in Heartstopper Fans. Events: "Watch party", "Watch-along",'
        ' "Quiz"' in out
    )
    assert "· #watch-party · active · 0 interested" in out
    assert "· Stage of the Globe · canceled · 0 interested" in out
    assert "nick may not manage events in Heartstopper Fans." in out


async def test_event_words_complete(playground_settings: Settings) -> None:
    emulator = Emulator(clock=Clock(JULY_22).now)
    world = populate_demo_world(emulator)
    console = Console(emulator, world, Clock(JULY_22), io.StringIO())
    completer = ConsoleCompleter(console)

    def complete(line: str) -> list[str]:
        found = completer.get_completions(Document(line), TAB)
        return [line[: len(line) + c.start_position] + c.text for c in found]

    assert complete("even") == ["events", "event "]
    assert complete("event mo") == ["event move "]
    assert complete("event move w") == ['event move "Watch party"']
    assert complete("event new ") == []
