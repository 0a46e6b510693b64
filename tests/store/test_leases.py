"""bot/store/leases.py and bot/lease.py: one live process per shard on a database."""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import Clock
from bot.lease import ShardLease, ShardsTakenError, process_alive
from bot.store import Store
from bot.store.leases import Lease

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
STALE = timedelta(seconds=45)


def lease(owner: str, shards: tuple[int, frozenset[int]] | None, *, pid: int = 1) -> Lease:
    return Lease(owner, "host-a", pid, shards, NOW)


def always(_host: str, _pid: int) -> bool:
    return True


async def test_overlapping_live_leases_refuse_and_disjoint_ones_coexist(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "db.sqlite3") as store:
        leases = store.leases
        assert (
            await leases.acquire(lease("a", (2, frozenset({0}))), stale_after=STALE, alive=always)
            is None
        )
        assert (
            await leases.acquire(lease("b", (2, frozenset({1}))), stale_after=STALE, alive=always)
            is None
        )
        refused = await leases.acquire(
            lease("c", (2, frozenset({1}))), stale_after=STALE, alive=always
        )
        assert refused is not None and refused.owner == "b"
        # Every shard overlaps everything; so does another shard count.
        everything = await leases.acquire(lease("d", None), stale_after=STALE, alive=always)
        assert everything is not None
        recount = await leases.acquire(
            lease("e", (4, frozenset({3}))), stale_after=STALE, alive=always
        )
        assert recount is not None
        assert {x.owner for x in await leases.all()} == {"a", "b"}


async def test_stale_or_dead_leases_are_taken_over(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "db.sqlite3") as store:
        leases = store.leases
        old = Lease("old", "host-b", 7, None, NOW - STALE - timedelta(seconds=1))
        assert await leases.acquire(old, stale_after=STALE, alive=always) is None
        assert await leases.acquire(lease("new", None), stale_after=STALE, alive=always) is None
        assert [x.owner for x in await leases.all()] == ["new"]
        # A live lease whose process is gone (killed on this host) is taken over too.
        gone = await leases.acquire(
            lease("next", None), stale_after=STALE, alive=lambda _h, _p: False
        )
        assert gone is None
        assert [x.owner for x in await leases.all()] == ["next"]
        assert await leases.renew("next", NOW + timedelta(seconds=10))
        assert not await leases.renew("new", NOW)  # taken over: renewing says so
        await leases.release("next")
        assert await leases.all() == []


async def test_a_second_process_for_the_same_shards_is_refused_in_one_line(
    tmp_path: Path,
) -> None:
    async with await Store.open(tmp_path / "db.sqlite3") as store:
        first = ShardLease(store, Clock(), (2, frozenset({0, 1})))
        await first.take()
        second = ShardLease(store, Clock(), (2, frozenset({1})))
        with pytest.raises(ShardsTakenError) as refused:
            await second.take()
        message = str(refused.value)
        assert "\n" not in message
        assert "shard 1 of 2" in message
        assert f"already served by process {os.getpid()}" in message
        await first.release()
        await second.take()  # free again
        await second.release()


def test_only_processes_of_this_host_can_be_seen_dead() -> None:
    here = socket.gethostname()
    assert process_alive(here, os.getpid())
    assert process_alive("elsewhere", 2**22 + 12345)
    assert not process_alive(here, 2**22 + 12345)
