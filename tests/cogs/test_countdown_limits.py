"""The fan-out under Discord's limits and a stalling store: nothing lost, nothing twice, no 429."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from datetime import timedelta

import discord
import pytest
from discord import Permissions

from bot import limits
from bot.clock import Clock
from bot.config import Settings
from bot.emulator import DemoWorld, Emulator
from bot.local import running_bot
from bot.reminders import service
from bot.store import StoreError
from tests.cogs.countdown_helpers import (
    PREMIERE,
    PREMIERE_REF,
    add_fan_server,
    headlines,
    posts,
    set_up_countdown,
    wait_for,
)

SENDS = r"/channels/\d+/messages"


def frozen_at(lead: timedelta) -> Clock:
    """A real-speed clock `lead` before the premiere."""
    return Clock(PREMIERE - lead, speed=1)


async def test_a_burst_of_setups_during_a_fan_out_draws_no_429(
    emulator: Emulator, world: DemoWorld, settings: Settings
) -> None:
    emulator.limits.global_rate_limit = 50  # Discord's limit, over a sliding second
    hour_before = PREMIERE - timedelta(hours=1)
    clock = Clock(hour_before - timedelta(seconds=10), speed=1)
    emulator.clock = clock.now  # Discord refuses events in the past: one "now" for both
    fans = [add_fan_server(emulator, f"Fan Server {i}")[0] for i in range(60)]
    late = [add_fan_server(emulator, f"Late Server {i}")[0] for i in range(60)]
    for guild in fans + late:  # so that each setup also makes the premiere's server event
        bot_role = next(r for r in guild.roles.values() if r.managed)
        bot_role.permissions |= Permissions(manage_events=True).value

    async with running_bot(emulator, settings, clock=clock) as bot:
        for guild in fans:
            await set_up_countdown(emulator, guild, "1h")
        await wait_for(lambda: bot.clock.now() >= hour_before, within=30, what="the 1h mark")
        # As the "1h" fan-out runs, 60 more servers set up at once.
        await asyncio.gather(*(set_up_countdown(emulator, guild) for guild in late))
        await wait_for(
            lambda: all(len(posts(emulator, g)) == 1 for g in fans), within=60, what="every post"
        )
    assert emulator.limits.rate_limited == 0
    assert all(len(g.scheduled_events) == 1 for g in fans + late)  # every setup's event
    assert all(headlines(posts(emulator, g)) == ["One hour to go!"] for g in fans)


async def test_an_8_s_store_stall_and_503s_during_a_fan_out_lose_nothing(
    emulator: Emulator, world: DemoWorld, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.limits.global_rate_limit = 50
    servers = [add_fan_server(emulator, f"Fan Server {i}")[0] for i in range(40)]
    async with running_bot(emulator, settings, clock=frozen_at(timedelta(seconds=4))) as bot:
        for guild in servers:
            await set_up_countdown(emulator, guild)
        emulator.faults.inject_fault("POST", SENDS, 503, times=6)
        await wait_for(lambda: any(posts(emulator, g) for g in servers), what="the first post")
        # Another program write-locks the database for 8 s, in the middle of the fan-out.
        holder = sqlite3.connect(settings.db_path, isolation_level=None, check_same_thread=False)
        holder.execute("BEGIN EXCLUSIVE")
        released = threading.Event()

        def let_go() -> None:
            holder.execute("ROLLBACK")
            holder.close()
            released.set()

        threading.Timer(8.0, let_go).start()
        with caplog.at_level(logging.WARNING):
            await wait_for(released.is_set, within=20, what="the lock to go")
            await wait_for(
                lambda: all(len(posts(emulator, g)) == 1 for g in servers),
                within=60,
                what="one post in every server",
            )
            counts: dict[str, int] = {}
            for _ in range(200):
                counts = await bot.store.deliveries.counts(PREMIERE_REF)
                if counts == {"sent": len(servers)}:
                    break
                await asyncio.sleep(0.1)
        sweep = bot.reminders.scheduler.get_job("sweep")
        running = bot.reminders.scheduler.running
    assert counts == {"sent": len(servers)}  # none left `sending`, none given up
    assert all(headlines(posts(emulator, g)) == ["It's here!"] for g in servers)
    assert emulator.faults_injected["503"] == 6
    assert running and sweep is not None
    assert not [r for r in caplog.records if r.exc_info]  # no traceback anywhere
    assert any("locked by another writer" in r.getMessage() for r in caplog.records)


async def test_a_row_whose_settling_failed_is_taken_back_and_found_not_reposted(
    emulator: Emulator, world: DemoWorld, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    guild = add_fan_server(emulator, "Fan Server")[0]
    async with running_bot(emulator, settings, clock=frozen_at(timedelta(seconds=3))) as bot:
        bot.reminders.sending_lease = 1.0
        await set_up_countdown(emulator, guild)
        store = bot.store.deliveries
        record_sent = store.mark_sent_many
        failures = 0

        async def broken_once(*args: object, **kwargs: object) -> int:
            nonlocal failures
            if failures == 0:
                failures += 1
                raise StoreError("database is having a bad day")
            return await record_sent(*args, **kwargs)  # type: ignore[arg-type]

        store.mark_sent_many = broken_once  # type: ignore[method-assign]
        with caplog.at_level(logging.ERROR):
            await wait_for(lambda: failures == 1, what="the failed settling")
            await wait_for(lambda: bool(posts(emulator, guild)), what="the post")
            counts: dict[str, int] = {}
            for _ in range(100):  # the row is taken back after its 1 s lease
                counts = await store.counts(PREMIERE_REF)
                if counts == {"sent": 1}:
                    break
                await asyncio.sleep(0.1)
        history = await store.history(guild.id, PREMIERE_REF)
    assert counts == {"sent": 1}
    [row] = history
    assert len(posts(emulator, guild)) == 1  # found in the channel, not posted again
    assert row.message_id == posts(emulator, guild)[0].id
    [error] = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert "could not settle 0 for heartstopper/2/premiere" in error.getMessage()
    assert "bad day" in error.getMessage()


async def test_invalid_answers_hold_the_fan_out_until_they_fall_out_of_the_window(
    emulator: Emulator,
    world: DemoWorld,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Discord's ten minutes, scaled down to 10 s, and a hold at 10 instead of 5,000.
    monkeypatch.setattr(limits, "INVALID_WINDOW_SECONDS", 10.0)
    servers = [add_fan_server(emulator, f"Fan Server {i}")[0] for i in range(5)]
    with caplog.at_level(logging.WARNING):
        async with running_bot(emulator, settings, clock=frozen_at(timedelta(seconds=6))) as bot:
            bot.gate.invalid_threshold = 10
            # Something goes wrong everywhere at once: Discord answers 403 ten times.
            emulator.faults.inject_fault("GET", r"^/channels/\d+$", 403, times=10)
            for _ in range(10):
                with pytest.raises(discord.Forbidden):
                    await bot.fetch_channel(world.general.id)
            assert bot.gate.status().invalid_last_10_min == 10
            assert bot.gate.status().holding
            # Interactive requests go on while the fan-out is held: admins can still set up.
            for guild in servers:
                await set_up_countdown(emulator, guild)
            await wait_for(lambda: bot.clock.now() > PREMIERE + timedelta(seconds=1))
            assert not any(posts(emulator, g) for g in servers)  # held, not lost
            assert await bot.store.deliveries.counts(PREMIERE_REF) == {"pending": len(servers)}
            # The answers fall out of the window; the fan-out goes on by itself, within the
            # gate's 5-s re-check rather than the 30-s sweep.
            await wait_for(
                lambda: all(len(posts(emulator, g)) == 1 for g in servers),
                within=20,
                what="the held posts",
            )
            assert not bot.gate.status().holding
    assert all(headlines(posts(emulator, g)) == ["It's here!"] for g in servers)
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "holding the reminder fan-out" in errors[0]
    assert any("the fan-out goes on" in r.getMessage() for r in caplog.records)


async def test_a_slow_batch_is_not_taken_back_by_the_overlapping_claim(
    emulator: Emulator, world: DemoWorld, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Batches of 2, overlapping. The first batch's posts take 2.5 s and the second's 5 s,
    # both longer than the 1-s sending lease (claims are stored to the second): when the
    # first is done, the second is still going (slow, not dead) and the next claim must
    # leave its rows alone.
    monkeypatch.setattr(service, "CLAIM_BATCH", 2)
    servers = [add_fan_server(emulator, f"Fan Server {i}")[0] for i in range(4)]
    async with running_bot(emulator, settings, clock=frozen_at(timedelta(seconds=4))) as bot:
        bot.reminders.sending_lease = 1.0
        for guild in servers:
            await set_up_countdown(emulator, guild)
        emulator.faults.inject_delay("POST", SENDS, 2.5, times=2)
        emulator.faults.inject_delay("POST", SENDS, 5.0, times=2)
        await wait_for(
            lambda: all(len(posts(emulator, g)) == 1 for g in servers),
            within=30,
            what="one post in every server",
        )
        await asyncio.sleep(1.0)  # time for a second send of any row to arrive
        counts = await bot.store.deliveries.counts(PREMIERE_REF)
    sends = [p for m, p, _ in emulator.recorder.requests if m == "POST" and p.endswith("/messages")]
    assert len(sends) == len(servers)  # each row sent once: none claimed twice
    assert counts == {"sent": len(servers)}
