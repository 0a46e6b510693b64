"""Run the emulator on its own: `python -m bot.emulator [--host H] [--port P] [--token T]`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bot.emulator.server import Emulator
from bot.emulator.world import populate_demo_world


async def serve(host: str, port: int, token: str | None) -> None:
    """Serve the demo world until interrupted, after printing how to connect."""
    emulator = Emulator(token=token)
    world = populate_demo_world(emulator)
    await emulator.start(host, port)
    sys.stdout.write(
        "fanbot's Discord emulator is running with the server "
        f"{world.guild.name!r}. Point the bot at it with:\n"
        f"  DISCORD_API_BASE={emulator.api_base}\n"
        f"  DISCORD_GATEWAY_URL={emulator.gateway_url}\n"
        f"  DISCORD_TOKEN={emulator.token}\n"
        "(this token is the emulator's own, not a Discord secret). Ctrl-C stops it.\n"
    )
    sys.stdout.flush()
    try:
        await asyncio.Event().wait()
    finally:
        await emulator.stop()


def main() -> int:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser(prog="python -m bot.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--token", help="the bot token to accept (default: a random one)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        asyncio.run(serve(args.host, args.port, args.token))
    except KeyboardInterrupt:
        return 0
    except OSError as exc:
        sys.stderr.write(f"emulator: cannot listen on {args.host}:{args.port}: {exc}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
