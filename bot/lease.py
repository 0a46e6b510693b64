"""One process per shard on a database: the lease a running bot holds for its shards.

Discord gives every process that IDENTIFYs for a shard that shard's events, so two processes
started for the same shards on one database would both answer and both post every reminder.
The bot takes a lease row (`store.leases`) for its shards before it connects, renews it every
`RENEW_SECONDS` and drops it when it stops. A lease not renewed for `STALE_SECONDS` (its
process died, perhaps on another machine) or held by a process of this host that no longer
exists (killed) is taken over at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from datetime import timedelta

from bot.clock import Clock
from bot.store import Store, StoreError
from bot.store.countdown_models import Shards
from bot.store.leases import Lease

log = logging.getLogger(__name__)

RENEW_SECONDS = 10.0
STALE_SECONDS = 45.0


class ShardsTakenError(StoreError):
    """Another live process serves some of these shards on this database."""


def process_alive(host: str, pid: int) -> bool:
    """Whether the process `pid` of `host` may still run (another host's: assume so)."""
    if host != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class ShardLease:
    """The lease of a running bot on its shards (`shards` None: every shard)."""

    def __init__(self, store: Store, clock: Clock, shards: Shards | None) -> None:
        self.store = store
        self.clock = clock
        self.shards = shards
        self.host = socket.gethostname()
        self.owner = f"{self.host}:{os.getpid()}:{secrets.token_hex(4)}"
        self._renewer: asyncio.Task[None] | None = None

    def _mine(self) -> Lease:
        return Lease(self.owner, self.host, os.getpid(), self.shards, self.clock.real_now())

    async def take(self) -> None:
        """Take the lease and keep renewing it, or raise `ShardsTakenError` in one clear line."""
        mine = self._mine()
        other = await self.store.leases.acquire(
            mine, stale_after=timedelta(seconds=STALE_SECONDS), alive=process_alive
        )
        if other is not None:
            age = (mine.renewed_at - other.renewed_at).total_seconds()
            raise ShardsTakenError(
                f"{mine.describe()} of database {self.store.path} already served by process "
                f"{other.pid} on {other.host} ({other.describe()}, alive {age:.0f} s ago); "
                "stop it first, or give this one other FANBOT_SHARD_IDS"
            )
        self._renewer = asyncio.create_task(self._renew_forever(), name="shard-lease")

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(RENEW_SECONDS)
            try:
                if not await self.store.leases.renew(self.owner, self.clock.real_now()):
                    log.error(
                        "the lease on %s was taken over by another process", self._mine().describe()
                    )
                    return
            except Exception as exc:  # the next renewal tries again
                log.warning("could not renew the shard lease: %s: %s", type(exc).__name__, exc)

    async def release(self) -> None:
        """Stop renewing and drop the lease."""
        if self._renewer is None:
            return
        self._renewer.cancel()
        self._renewer = None
        try:
            await self.store.leases.release(self.owner)
        except Exception as exc:  # e.g. the store is already closed: it goes stale
            log.warning("could not drop the shard lease: %s: %s", type(exc).__name__, exc)
