"""What the running bot tells `fanbot status`: its heartbeat and the pack files it refused.

Kept out of `bot.client` so that the client stays about Discord.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from bot.store import StoreError
from bot.store.operations import Heartbeat, PackProblem
from bot.store.pack_files import declared_name

if TYPE_CHECKING:
    from bot.client import FanBot

log = logging.getLogger(__name__)

# What writing to the database can raise when it is locked, full, or closed under the bot.
UNUSABLE_DATABASE = (StoreError, sqlite3.Error, ValueError)


async def refuse_packs(bot: FanBot, refused: dict[Path, str], good: set[str]) -> set[str]:
    """Log and record each refused pack file; return the pack names those files declare.

    A bad file does not take the bot down: the pack it declares keeps its last good import
    if the database has one (the file is imported once a start finds it fixed).
    """
    served = {pack.name: pack for pack in await bot.store.content.packs()}
    problems: list[PackProblem] = []
    declared: set[str] = set()
    for path, problem in refused.items():
        name = declared_name(path)
        if name is not None and name in served and name not in good:
            serving = f"its last good import, {name} v{served[name].version}"
            declared.add(name)
        else:
            serving = "nothing from this file"
        one_line = "; ".join(line.removeprefix(f"{path}: ") for line in problem.splitlines())
        log.error("content pack file %s refused: %s; serving %s", path, one_line, serving)
        problems.append(PackProblem(str(path), one_line, serving))
    await bot.store.operations.record_pack_problems(problems, bot.clock.now())
    return declared


class HeartbeatWriter:
    """Writes this process's heartbeat every FANBOT_HEARTBEAT_SECONDS; removes it at stop."""

    def __init__(self, bot: FanBot) -> None:
        self.bot = bot
        self.started_at = bot.clock.real_now()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Beat now and then every interval (real seconds, whatever the bot's clock)."""
        self._task = asyncio.create_task(self._beat_forever())

    async def beat(self) -> None:
        """Write the heartbeat now (e.g. once the server count is known)."""
        if self._task is None:
            return
        bot = self.bot
        heartbeat = Heartbeat(
            shard_set=bot.settings.shard_set,
            pid=os.getpid(),
            host=socket.gethostname(),
            started_at=self.started_at,
            beat_at=bot.clock.real_now(),
            interval_seconds=bot.settings.heartbeat_seconds,
            servers=len(bot.guilds),
            invalid_requests=bot.gate.invalid_count(),
        )
        try:
            await bot.store.operations.beat(heartbeat)
        except UNUSABLE_DATABASE as exc:  # busy, full or gone: status calls the process stale
            log.warning("could not write the heartbeat: %s", exc)

    async def _beat_forever(self) -> None:
        while True:
            await self.beat()
            await asyncio.sleep(self.bot.settings.heartbeat_seconds)

    async def stop(self) -> None:
        """A clean stop: no more beats, and the heartbeat row goes.

        Called before the store closes, so `fanbot status` then sees nothing running
        rather than a stale process.
        """
        if self._task is None:
            return
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None
        try:
            await self.bot.store.operations.stopped(self.bot.settings.shard_set, os.getpid())
        except UNUSABLE_DATABASE as exc:  # status will call this process stale
            log.warning("could not remove the heartbeat: %s", exc)
