"""Run the emulator on its own: `python -m bot.emulator [--port P] [--guilds N --shards K]`.

Without `--guilds` it serves the demo world (one fan server). With `--guilds N` it serves N
generated servers instead, spread evenly over `--shards` shards: for benchmarks and sharding
tests that want the emulator's work out of the bot's process. `--stats` makes it answer each
line "stats" on standard input with one JSON line of counters (requests, 429s, messages).
`--console` opens the playground's console on the demo server once a bot (`fanbot run` in
another process) has connected and registered its commands; `--script FILE` runs a file of
console lines instead and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import sys
import time
from collections import Counter
from typing import Any

from bot.emulator.crowd import add_crowd
from bot.emulator.server import Emulator
from bot.emulator.state import snowflake_time
from bot.emulator.world import DemoWorld, populate_demo_world


def stats(emulator: Emulator) -> dict[str, Any]:
    """Counters a benchmark reads: requests, 429s, messages and duplicates per channel."""
    live = [m for m in emulator.messages.values() if not m.deleted]
    per_channel = Counter(m.channel_id for m in live)
    stamps = [snowflake_time(m.id) for m in live]
    return {
        "first_message_at": min(stamps, default=None),
        "last_message_at": max(stamps, default=None),
        "requests": len(emulator.recorder.requests),
        "rate_limited": emulator.limits.rate_limited,
        "messages": sum(per_channel.values()),
        "channels_with_messages": len(per_channel),
        "duplicates": sum(n - 1 for n in per_channel.values() if n > 1),
        "breaches": list(emulator.breaches),
        "cpu_s": round(time.process_time(), 2),  # the emulator's own CPU, threads included
    }


async def _answer_stats(emulator: Emulator) -> None:
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        if line.strip() == "stats":
            sys.stdout.write(json.dumps(stats(emulator)) + "\n")
            sys.stdout.flush()


async def serve(
    host: str,
    port: int,
    token: str | None,
    *,
    guilds: int = 0,
    shards: int = 1,
    rate_limit: float | None = None,
    answer_stats: bool = False,
    heartbeat_ms: int = 41_250,
    console: bool = False,
    script: str | None = None,
) -> int:
    """Serve the demo world (or `guilds` generated ones) until interrupted."""
    emulator = Emulator(
        token=token, shard_count=shards, global_rate_limit=rate_limit, heartbeat_ms=heartbeat_ms
    )
    world = None
    if guilds:
        add_crowd(emulator, guilds)
        what = f"{guilds} generated servers on {shards} shard(s)"
        # Tens of thousands of objects that live as long as the process: kept out of the
        # garbage collector's full passes, whose pauses Discord's edge does not have (a
        # paused emulator counts a second's requests late and bunched).
        gc.collect()
        gc.freeze()
    else:
        world = populate_demo_world(emulator)
        what = f"the server {world.guild.name!r}"
    await emulator.start(host, port)
    sys.stdout.write(
        f"fanbot's Discord emulator is running with {what}. Point the bot at it with:\n"
        f"  DISCORD_API_BASE={emulator.api_base}\n"
        f"  DISCORD_GATEWAY_URL={emulator.gateway_url}\n"
        f"  DISCORD_TOKEN={emulator.token}\n"
        "(this token is the emulator's own, not a Discord secret). Ctrl-C stops it.\n"
    )
    sys.stdout.flush()
    try:
        if world is not None and (console or script is not None):
            return await _console(emulator, world, script)
        if answer_stats:
            await _answer_stats(emulator)
        else:
            await asyncio.Event().wait()
    finally:
        await emulator.stop()
    return 0


def _bot_is_in(emulator: Emulator, world: DemoWorld) -> bool:
    """A bot is connected and has registered its commands (globally or for the server)."""
    return bool(emulator.gateway.live_shard_ids()) and bool(
        emulator.commands.listing(None) or emulator.commands.listing(world.guild.id)
    )


async def _console(emulator: Emulator, world: DemoWorld, script: str | None) -> int:
    """The playground's console on the demo server, for a bot running in another process."""
    from bot.clock import Clock
    from bot.playground import Console, read_script

    lines: list[str] = []
    if script is None and not sys.stdin.isatty():
        script = "-"  # lines piped in: run them as a script, as `fanbot local` does
    if script is not None:
        try:
            lines = await read_script(script)
        except (OSError, UnicodeDecodeError) as exc:
            sys.stderr.write(f"emulator: cannot read the script {script}: {exc}\n")
            return 2
    sys.stdout.write("Waiting for the bot to connect and register its commands...\n")
    sys.stdout.flush()
    while not _bot_is_in(emulator, world):  # noqa: ASYNC110 - the emulator has no such event
        await asyncio.sleep(0.1)
    interactive = script is None
    shell = Console(emulator, world, Clock(), sys.stdout, color=interactive and sys.stdout.isatty())
    shell.bot_elsewhere = True
    emulator.on_message(shell.on_post)
    return await (shell.run_interactive() if interactive else shell.run_script(lines))


def main() -> int:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser(prog="python -m bot.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--token", help="the bot token to accept (default: a random one)")
    parser.add_argument(
        "--guilds", type=int, default=0, help="serve N generated servers instead of the demo"
    )
    parser.add_argument("--shards", type=int, default=1, help="the shard count (default 1)")
    parser.add_argument(
        "--rate-limit", type=float, help="enforce a global limit of R requests per second"
    )
    parser.add_argument(
        "--stats", action="store_true", help='answer "stats" lines on stdin with JSON counters'
    )
    parser.add_argument(
        "--heartbeat-ms",
        type=int,
        default=41_250,
        help="the gateway heartbeat interval it asks for (default 41250, as Discord)",
    )
    parser.add_argument(
        "--console",
        action="store_true",
        help="type slash commands to the bot, as in `fanbot local` (the demo world; quiet)",
    )
    parser.add_argument(
        "--script", metavar="FILE", help="run console lines from FILE ('-': stdin) and exit"
    )
    parser.add_argument("--quiet", action="store_true", help="log warnings only")
    args = parser.parse_args()
    if args.guilds < 0 or args.shards < 1:
        parser.error("--guilds must be 0 or more and --shards at least 1")
    if (args.console or args.script is not None) and (args.guilds or args.stats):
        parser.error("--console and --script serve the demo world: no --guilds or --stats")
    quiet = args.quiet or args.console  # the console's lines, not the emulator's chatter
    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return asyncio.run(
            serve(
                args.host,
                args.port,
                args.token,
                guilds=args.guilds,
                shards=args.shards,
                rate_limit=args.rate_limit,
                answer_stats=args.stats,
                heartbeat_ms=args.heartbeat_ms,
                console=args.console,
                script=args.script,
            )
        )
    except KeyboardInterrupt:
        return 0
    except OSError as exc:
        sys.stderr.write(f"emulator: cannot listen on {args.host}:{args.port}: {exc}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
