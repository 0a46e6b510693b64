"""FanBot: opens the store, imports content packs, loads the cogs and syncs commands."""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Sequence
from types import TracebackType

import discord
from discord.ext import commands

from bot.clock import Clock
from bot.config import Settings
from bot.errors import FanTree
from bot.lease import ShardLease
from bot.limits import GatedConnector, amortize_bucket_sweep, gate_for
from bot.liveness import HeartbeatWriter, refuse_packs
from bot.reminders.service import ReminderService
from bot.store import Store
from bot.store.pack_files import (
    PackError,
    ServedPacks,
    no_packs_warning,
    pack_files,
    packs_to_serve,
)

log = logging.getLogger(__name__)

# A running bot outwaits another writer (a backup, a CLI import, a stalled disk) this long.
LOCK_PATIENCE_SECONDS = 60.0

IDENTIFY_WINDOW_SECONDS = 5.0  # Discord: max_concurrency IDENTIFYs per 5 s

EXTENSIONS: tuple[str, ...] = ("cogs.cast", "cogs.plot", "cogs.countdown", "cogs.meta")


def minimal_intents() -> discord.Intents:
    """Guilds and their scheduled events: no members, presences or message content."""
    return discord.Intents(guilds=True, guild_scheduled_events=True)


class FanBot(commands.AutoShardedBot):
    """The fanbot application. Everything feature-specific lives in the cogs."""

    store: Store

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        guild_ready_timeout: float = 2.0,
        extensions: Sequence[str] = EXTENSIONS,
        force_sync: bool = False,
        serve: bool = True,
    ) -> None:
        sharding: dict[str, object] = {}  # unset: Discord's recommended count, all here
        if settings.shard_count is not None:
            sharding["shard_count"] = settings.shard_count
        if settings.shard_ids is not None:
            sharding["shard_ids"] = list(settings.shard_ids)
        # Every REST request waits here (the connector `login` gives discord.py): one owner
        # of the limits.
        self.gate = gate_for(settings.global_rate_limit, settings.shard_count, settings.shard_ids)
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=minimal_intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=FanTree,
            guild_ready_timeout=guild_ready_timeout,
            chunk_guilds_at_startup=False,
            member_cache_flags=discord.MemberCacheFlags.none(),
            max_messages=None,
            **sharding,  # type: ignore[arg-type]
        )
        amortize_bucket_sweep(self.http)
        self.settings = settings
        self.clock = clock or Clock(settings.clock_start, settings.clock_speed)
        self._extensions = tuple(extensions)
        self._force_sync = force_sync
        self._serve = serve  # False for `fanbot sync`: no reminders, nothing left running
        self._closed_logged = False
        self._ready_logged = False
        self.heartbeat = HeartbeatWriter(self)
        self._shards_away: set[int] = set()  # disconnected, not yet resumed or re-identified
        self.reminders = ReminderService(self)
        self._max_concurrency: int | None = None
        self._identify_locks: dict[int, asyncio.Lock] = {}
        self._last_identify: dict[int, float] = {}
        self._closing: asyncio.Future[None] | None = None

    async def login(self, token: str) -> None:
        """Log in over a fresh connector with the gate in front (one needs a running loop)."""
        self.http.connector = GatedConnector(self.gate)
        await super().login(token)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Wait only as long as Discord's IDENTIFY limit needs, not discord.py's flat 5 s.

        Shards in the same `shard_id % max_concurrency` bucket IDENTIFY at most once per
        5 s; a reconnect long after the last IDENTIFY goes at once.
        """
        if self._max_concurrency is None:
            try:
                limits = await self.fetch_session_start_limits()
                self._max_concurrency = max(1, limits.max_concurrency)
            except (discord.HTTPException, discord.GatewayNotFound):
                self._max_concurrency = 1
        key = (shard_id or 0) % self._max_concurrency
        async with self._identify_locks.setdefault(key, asyncio.Lock()):
            last = self._last_identify.get(key)
            if last is not None:
                await asyncio.sleep(max(0.0, last + IDENTIFY_WINDOW_SECONDS - time.monotonic()))
            self._last_identify[key] = time.monotonic()

    async def setup_hook(self) -> None:
        """Open the store, import what changed in the content packs, load cogs, sync."""
        folder = self.settings.content_dir
        if not pack_files(folder):
            log.warning("%s", no_packs_warning(folder))
        self.store = await Store.open(
            self.settings.db_path, clock=self.clock, lock_patience=LOCK_PATIENCE_SECONDS
        )
        # Validated before the lease is taken: a big changed pack keeps the loop busy a while.
        served = packs_to_serve(folder, await self.store.content.pack_claims())
        self.lease = ShardLease(self.store, self.clock, self.reminders.shards)
        await self.lease.take()
        await self._import_served(served)
        for extension in self._extensions:
            await self.load_extension(extension)
        await self.sync_commands(only_if_changed=not self._force_sync)
        if self._serve:
            await self.reminders.start()
            self.heartbeat.start()

    async def _import_served(self, served: ServedPacks) -> None:
        """Import the changed packs, log each pack served, record the files refused."""
        folder = self.settings.content_dir
        imported: set[str] = set()
        for pack in list(served.changed):  # each on its own: one failure refuses one file
            try:
                if await self.store.import_pack(pack):
                    imported.add(pack.name)
            except PackError as exc:  # another process imported a clashing pack meanwhile
                served.refuse(pack, str(exc))
        for name in served.names:
            log.info("content pack %s: %s", name, "imported" if name in imported else "unchanged")
        in_folder = set(served.names)
        in_folder |= await refuse_packs(self, served.refused, in_folder)
        for info in await self.store.content.packs():
            if info.name not in in_folder:
                log.warning(
                    "content pack %s is served but has no file in %s (imported with `fanbot "
                    "import`, or its file was deleted); `fanbot remove %s` takes it out",
                    info.name,
                    folder,
                    info.name,
                )

    async def on_ready(self) -> None:
        """Say that every shard is in and how much it serves (INFO the first time only).

        discord.py fires it again after a shard had to identify anew, which
        `on_shard_ready` already reports as the shard being back.
        """
        log.log(
            logging.DEBUG if self._ready_logged else logging.INFO,
            "connected and ready as %s: %d shard(s) %s of %s, %d server(s)",
            self.user,
            len(self.shards),
            sorted(self.shards),
            self.shard_count,
            len(self.guilds),
        )
        self._ready_logged = True
        await self.heartbeat.beat()  # the server count is known now

    async def on_shard_disconnect(self, shard_id: int) -> None:
        """Remember the drop (discord.py logs it, and reconnects by itself)."""
        self._shards_away.add(shard_id)

    async def on_shard_resumed(self, shard_id: int) -> None:
        """A dropped gateway connection came back without losing any event."""
        self._shards_away.discard(shard_id)
        log.info("shard %s is back: gateway session resumed", shard_id)

    async def on_shard_ready(self, shard_id: int) -> None:
        """A shard identified; after a drop, say it is back (with a new session)."""
        if shard_id in self._shards_away:
            self._shards_away.discard(shard_id)
            log.info("shard %s is back: new gateway session", shard_id)

    async def sync_commands(self, *, only_if_changed: bool = False) -> int:
        """Register the slash commands: to the dev guild at once if set, else globally.

        With `only_if_changed`, nothing is sent when the commands are exactly those this
        database last registered for this application and target: a sync is a rate-limited
        bulk overwrite, and discord.py advises against one at every start.
        """
        guild = None
        if self.settings.dev_guild is not None:
            guild = discord.Object(self.settings.dev_guild)
            self.tree.copy_global_to(guild=guild)
        scope = f"{self.application_id}/" + (f"guild/{guild.id}" if guild else "global")
        payload = [command.to_dict(self.tree) for command in self.tree.get_commands(guild=guild)]
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        where = f"to guild {guild.id}" if guild else "globally"
        if only_if_changed and await self.store.command_syncs.last_hash(scope) == digest:
            log.info("%d commands unchanged since the last sync %s", len(payload), where)
            return len(payload)
        synced = await self.tree.sync(guild=guild)
        await self.store.command_syncs.record(scope, digest, self.clock.now())
        log.info("synced %d commands %s", len(synced), where)
        return len(synced)

    async def close(self) -> None:
        """Stop the reminders and the gateway, drop the heartbeat and lease, close the store.

        Called twice at once on SIGTERM (the signal, then `async with` unwinding): the
        second call waits for the first instead of closing the store under its feet.
        """
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close_everything())
        await asyncio.shield(self._closing)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Wait for the whole close: discord.py's own `__aexit__` skips ours once a close began."""
        await self.close()

    async def _close_everything(self) -> None:
        await self.reminders.stop()
        await super().close()
        await self.heartbeat.stop()
        lease: ShardLease | None = getattr(self, "lease", None)
        if lease is not None:
            await lease.release()
        store = getattr(self, "store", None)
        if store is not None:
            await store.close()
        if not self._closed_logged:  # close() runs again when `async with` exits
            self._closed_logged = True
            log.info("shut down: gateway and database closed")
