"""The `fanbot` command (`python -m bot`): run, local, sync, check, import, remove, backup, status.

With no subcommand it starts the bot on Discord when a token is configured, and the local
playground otherwise, so `make run` just works on a fresh clone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import discord

from bot import __version__
from bot.client import FanBot
from bot.clock import Clock
from bot.config import Settings, SettingsError, locate_env_file
from bot.endpoints import point_discord_at, silence_voice_warnings
from bot.logs import configure_logging
from bot.moments import MomentError, parse_moment
from bot.status import healthy, status_json, status_text
from bot.store import PackError, RemovedPack, Store, StoreError
from bot.store.db import backup_database, human_size
from bot.store.operations import read_status
from bot.store.pack_files import (
    cross_pack_problems,
    declared_name,
    import_order,
    no_packs_warning,
    pack_files,
)

if TYPE_CHECKING:
    from bot.store.packs import Pack

log = logging.getLogger("bot")

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C


def no_token(settings: Settings) -> str:
    """Why the bot cannot log in without a token, where it looked, and what to do."""
    where = settings.env_file or ".env"
    return (
        f"DISCORD_TOKEN is not set (looked in {settings.looked_in()}). Create a bot at "
        "https://discord.com/developers/applications (Bot -> Reset Token) and put the token "
        f"in {where}, or try the bot without Discord: `fanbot local`."
    )


def content_folder_problem(settings: Settings) -> str | None:
    """Why FANBOT_CONTENT_DIR cannot be used, checked before any database is created."""
    folder = settings.content_dir.absolute()
    if folder.is_dir():
        return None
    what = "is not a folder" if folder.exists() else "does not exist"
    return (
        f"the content folder {folder} {what} ({settings.origin('FANBOT_CONTENT_DIR')}); "
        "point FANBOT_CONTENT_DIR at the folder of content packs"
    )


def no_database(settings: Settings, action: str) -> str:
    """The database FANBOT_DB names is not there: where it looked, and that nothing happened."""
    where = settings.origin("FANBOT_DB")
    return f"there is no database at {settings.db_path.absolute()} ({where}): {action}"


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    print(f"fanbot: {message}", file=sys.stderr)
    return code


async def _run_bot(settings: Settings, *, sync_only: bool) -> int:
    point_discord_at(settings.api_base, settings.gateway_url)
    silence_voice_warnings()
    bot = FanBot(settings, force_sync=sync_only, serve=not sync_only)
    # A service manager stops the bot with SIGTERM: close cleanly, as Ctrl-C does.
    closing: set[asyncio.Task[None]] = set()
    asyncio.get_running_loop().add_signal_handler(
        signal.SIGTERM, lambda: closing.add(asyncio.create_task(bot.close()))
    )
    try:
        async with bot:
            if sync_only:
                await bot.login(settings.token.reveal())
                return EXIT_OK
            await bot.start(settings.token.reveal())
    except discord.LoginFailure:
        return _fail(
            "Discord rejected the token in DISCORD_TOKEN. Reset it in the Developer Portal "
            "(Bot -> Reset Token) and update .env."
        )
    except discord.PrivilegedIntentsRequired:
        return _fail(
            "Discord refused the gateway intents; fanbot needs only the guilds and "
            "scheduled events intents, neither of them privileged."
        )
    except (PackError, StoreError) as exc:
        return _fail(str(exc))
    except (OSError, discord.GatewayNotFound, discord.HTTPException) as exc:
        return _fail(f"could not reach Discord: {exc}", EXIT_FAILURE)
    finally:
        # `async with` waits only for discord.py's part of close(); finish ours (the
        # reminders, the heartbeat row, the database) before the event loop ends.
        await asyncio.gather(*closing)
    return EXIT_OK


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    """Connect to Discord (or DISCORD_API_BASE / DISCORD_GATEWAY_URL) and serve."""
    if not settings.token:
        return _fail(no_token(settings))
    if problem := content_folder_problem(settings):
        return _fail(problem)
    try:
        return asyncio.run(_run_bot(settings, sync_only=False))
    except KeyboardInterrupt:
        return EXIT_OK


def cmd_sync(settings: Settings, args: argparse.Namespace) -> int:
    """Register the slash commands and exit."""
    if not settings.token:
        return _fail(no_token(settings))
    if problem := content_folder_problem(settings):
        return _fail(problem)
    return asyncio.run(_run_bot(settings, sync_only=True))


def _summary(pack: Pack) -> str:
    counts = {
        "seasons": len(pack.seasons),
        "people": len(pack.people),
        "characters": len(pack.characters),
        "storylines": len(pack.storylines),
        "events": len(pack.events),
        "sources": len(pack.sources),
    }
    listed = ", ".join(f"{n} {name}" for name, n in counts.items())
    return f"{pack.title} v{pack.version}: {listed}"


def pack_paths(paths: Sequence[Path]) -> tuple[list[Path], list[str]]:
    """The pack files that `paths` name, as the bot reads them, and warnings.

    A folder stands for its `*.toml` files (sorted by name, hidden files skipped), as the bot
    reads FANBOT_CONTENT_DIR; a folder without any is a warning. A file named twice counts once.
    """
    files: list[Path] = []
    seen: set[Path] = set()
    warnings: list[str] = []
    for path in paths:
        found = pack_files(path) if path.is_dir() else [path]
        if path.is_dir() and not found:
            warnings.append(no_packs_warning(path))
        for file in found:
            if (key := file.resolve()) not in seen:
                seen.add(key)
                files.append(file)
    return files, warnings


def cmd_check(settings: Settings, args: argparse.Namespace) -> int:
    """Validate content packs, files or folders, without touching the database.

    Packs checked together must not clash: one `[pack] name` or one show's season in two
    files is reported, naming both, as the bot would refuse them in one folder.
    """
    files, warnings = pack_paths(args.paths)
    for warning in warnings:
        print(f"fanbot: warning: {warning}", file=sys.stderr)
    from bot.store.packs import load_pack  # the validator, only for the commands that use it

    failed = 0
    packs: list[Pack] = []
    for path in files:
        try:
            pack = load_pack(path)
        except PackError as exc:
            failed += 1
            print(str(exc), file=sys.stderr)
            continue
        packs.append(pack)
        print(f"ok: {path} ({_summary(pack)})")
    for clash in cross_pack_problems([pack.claim for pack in packs]):
        failed += 1
        print(clash, file=sys.stderr)
    return EXIT_USAGE if failed else EXIT_OK


async def _import(db_path: Path, packs: Sequence[Pack]) -> int:
    store = await Store.open(db_path)
    try:
        for pack in import_order(packs, (await store.content.pack_claims()).values()):
            changed = await store.import_pack(pack)
            print(f"{'imported' if changed else 'unchanged'}: {pack.path} into {db_path}")
    finally:
        await store.close()
    return EXIT_OK


def cmd_import(settings: Settings, args: argparse.Namespace) -> int:
    """Validate and import content packs into the database.

    Every pack is read and checked before the database is opened (or created). Each pack is
    imported in its own transaction: Ctrl-C rolls back the one in progress.
    """
    from bot.store.packs import load_pack  # the validator, only for the commands that use it

    try:
        files, warnings = pack_paths(args.paths)
        for warning in warnings:
            print(f"fanbot: warning: {warning}", file=sys.stderr)
        packs = [load_pack(path) for path in files]
        if clashes := cross_pack_problems([pack.claim for pack in packs]):
            raise PackError([*clashes, "nothing was imported"])
    except PackError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return _fail("interrupted while reading the packs; nothing was imported", EXIT_INTERRUPTED)
    try:
        return asyncio.run(_import(settings.db_path, packs))
    except StoreError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return _fail(
            "interrupted; the pack being imported was rolled back, those listed above are in",
            EXIT_INTERRUPTED,
        )


async def _remove(db_path: Path, names: Sequence[str]) -> list[RemovedPack]:
    store = await Store.open(db_path)
    try:
        return await store.remove_packs(names)
    finally:
        await store.close()


def cmd_remove(settings: Settings, args: argparse.Namespace) -> int:
    """Remove content packs, by their `[pack] name`, from the database."""
    folder = settings.content_dir
    kept_files = [
        f"{path} still holds pack {name!r}: delete or move that file first, or the next "
        "start imports it again"
        for path in (pack_files(folder) if folder.is_dir() else [])
        if (name := declared_name(path)) in args.names
    ]
    if kept_files:
        return _fail("; ".join(kept_files) + "; nothing was removed")
    if not settings.db_path.exists():
        return _fail(no_database(settings, "nothing to remove"))
    try:
        removed = asyncio.run(_remove(settings.db_path, args.names))
    except StoreError as exc:
        return _fail(str(exc))
    for pack in removed:
        print(f"removed: {pack.name}, with {', '.join(pack.seasons) or 'no seasons'}")
        if pack.countdowns:
            whose = (
                "1 server's countdown points"
                if pack.countdowns == 1
                else f"{pack.countdowns} servers' countdowns point"
            )
            print(f"  {whose} at its events: their next posts are recorded as failed")
    return EXIT_OK


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    """Copy the live database, consistently, to a new file (safe while the bot runs)."""
    if not settings.db_path.exists():
        return _fail(no_database(settings, "nothing to back up"))
    try:
        backup = backup_database(settings.db_path, args.path, force=args.force)
    except StoreError as exc:
        return _fail(str(exc))
    print(
        f"backed up {settings.db_path} (schema {backup.schema}) to {backup.path}: "
        f"{human_size(backup.size)}"
    )
    return EXIT_OK


def cmd_status(settings: Settings, args: argparse.Namespace) -> int:
    """What the database knows of the running bot; exit 1 when a process's heartbeat is stale.

    Read-only: safe while the bot runs, and it never creates or migrates a database.
    """
    if not settings.db_path.exists():
        return _fail(no_database(settings, "has the bot ever run with these settings?"))
    try:
        report = read_status(settings.db_path)
    except StoreError as exc:
        return _fail(str(exc))
    now = Clock().real_now()
    if args.json:
        print(json.dumps(status_json(report, settings.db_path, now), indent=2))
    else:
        print("\n".join(status_text(report, settings.db_path, now)))
    return EXIT_OK if healthy(report, now) else EXIT_FAILURE


def playground_stores(settings: Settings, content: Path | None, db: Path | None) -> Settings:
    """The content folder and database the playground uses, and a line saying which.

    `--content` and `--db` first, then FANBOT_CONTENT_DIR and FANBOT_DB when set in the
    environment or the env file; with no database configured it lives in memory, so that
    trying the bot never touches a deployment's database unasked.
    """
    configured = settings.from_file | settings.from_environment
    if content is not None:
        settings = replace(settings, content_dir=content)
        content_origin = "--content"
    else:
        content_origin = settings.origin("FANBOT_CONTENT_DIR")
    if db is not None:
        settings = replace(settings, db_path=db)
        where = f"{db.absolute()} (--db)"
    elif "FANBOT_DB" in configured:
        where = f"{settings.db_path.absolute()} ({settings.origin('FANBOT_DB')})"
    else:
        settings = replace(settings, db_path=Path(":memory:"))
        where = "in memory, gone at exit (FANBOT_DB is not set; --db PATH keeps one)"
    print(
        f"fanbot local: content packs from {settings.content_dir.absolute()} "
        f"({content_origin}); database {where}",
        file=sys.stderr,
    )
    if settings.db_path != Path(":memory:"):
        print(
            "fanbot local: the playground posts this database's due reminders to its emulator "
            "and records them: give it a copy (fanbot backup), not a live bot's database",
            file=sys.stderr,
        )
    return settings


def cmd_local(settings: Settings, args: argparse.Namespace) -> int:
    """The playground: the emulator and the real bot in one process, with a console."""
    from bot.playground import run_playground

    if args.content is not None and not args.content.is_dir():
        return _fail(f"--content {args.content}: there is no folder of content packs there")
    if problem := content_folder_problem(settings) if args.content is None else None:
        return _fail(problem)
    if args.db is not None and args.db.is_dir():
        return _fail(f"--db {args.db} is a folder; name the database file")
    settings = playground_stores(settings, args.content, args.db)
    if settings.log_level != "DEBUG":  # keep the console readable: problems only
        logging.getLogger().setLevel(logging.WARNING)
    if args.clock_start is not None or args.clock_speed is not None:
        settings = settings.with_clock(args.clock_start, args.clock_speed)
    try:
        return asyncio.run(run_playground(settings, script=args.script))
    except KeyboardInterrupt:
        return EXIT_OK
    except (PackError, StoreError) as exc:
        return _fail(str(exc))


def _moment(text: str) -> datetime:
    try:
        return parse_moment(text)
    except MomentError as exc:
        raise argparse.ArgumentTypeError(f"{text!r} {exc}") from None


def _speed(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError("the clock speed must be positive")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="fanbot", description="A Discord bot for TV-show fan communities."
    )
    parser.add_argument("--version", action="version", version=f"fanbot {__version__}")
    env_help = "read settings from this env file (default: FANBOT_ENV_FILE, else ./.env)"
    parser.add_argument("--env-file", metavar="PATH", help=env_help)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    # `fanbot run --env-file X` as well as `fanbot --env-file X run`.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--env-file", metavar="PATH", default=argparse.SUPPRESS, help=env_help)
    sub.add_parser("run", parents=[common], help="connect to Discord and serve").set_defaults(
        func=cmd_run
    )
    local = sub.add_parser(
        "local", parents=[common], help="try the bot on the built-in Discord emulator"
    )
    local.add_argument(
        "--script", metavar="FILE", help="run the commands in FILE ('-' for stdin) and exit"
    )
    local.add_argument(
        "--clock-start", type=_moment, help="virtual start time, e.g. 2023-07-03T07:00Z"
    )
    local.add_argument("--clock-speed", type=_speed, help="virtual seconds per real second")
    local.add_argument(
        "--content",
        type=Path,
        metavar="DIR",
        help="the folder of content packs (default: FANBOT_CONTENT_DIR, else data/content)",
    )
    local.add_argument(
        "--db",
        type=Path,
        metavar="PATH",
        help="the database (default: FANBOT_DB if set, else one in memory)",
    )
    local.set_defaults(func=cmd_local)
    sub.add_parser(
        "sync", parents=[common], help="register the slash commands and exit"
    ).set_defaults(func=cmd_sync)
    check = sub.add_parser(
        "check", parents=[common], help="validate content packs: files, or folders of them"
    )
    check.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    check.set_defaults(func=cmd_check)
    imp = sub.add_parser(
        "import",
        parents=[common],
        help="validate and import content packs: files, or folders of them",
    )
    imp.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    imp.set_defaults(func=cmd_import)
    remove = sub.add_parser(
        "remove", parents=[common], help="remove content packs from the database, by name"
    )
    remove.add_argument("names", nargs="+", metavar="NAME", help="the pack's [pack] name")
    remove.set_defaults(func=cmd_remove)
    backup = sub.add_parser(
        "backup",
        parents=[common],
        help="copy the database to PATH, consistently, even while the bot runs",
    )
    backup.add_argument("path", type=Path, metavar="PATH", help="the new backup file")
    backup.add_argument("--force", action="store_true", help="replace PATH if it exists")
    backup.set_defaults(func=cmd_backup)
    status = sub.add_parser(
        "status",
        parents=[common],
        help="what the database knows of the running bot (exit 1 when its heartbeat is stale)",
    )
    status.add_argument("--json", action="store_true", help="one JSON object, for scripts")
    status.set_defaults(func=cmd_status)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `fanbot` console script."""
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env(env_file=locate_env_file(args.env_file))
    except SettingsError as exc:
        return _fail(str(exc))
    configure_logging(settings.log_level, settings.log_format)
    if args.command is None:
        args.func = cmd_run if settings.token else cmd_local
        args.script = args.clock_start = args.clock_speed = args.content = args.db = None
    try:
        result: int = args.func(settings, args)
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED)
    return result


if __name__ == "__main__":
    sys.exit(main())
