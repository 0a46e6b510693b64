"""bot/reminders/fanout.py (the bounded pool) and bot/limits.py (the one gate it waits at)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from bot.limits import BULK, INTERACTIVE, RestGate, current_lane, fleet_share, gate_for, lane
from bot.reminders.fanout import Slot, fan_out


def most_in_a_window(starts: list[float], width: float) -> int:
    """The largest number of starts inside any window of `width` seconds."""
    return max(sum(1 for t in starts if s <= t < s + width) for s in starts)


async def gated(gate: RestGate, starts: list[float], n: int, which: str = INTERACTIVE) -> None:
    """`n` callers each waiting their turn at `gate`, recording when they got it."""
    loop = asyncio.get_running_loop()

    async def one() -> None:
        await gate.wait(which)  # type: ignore[arg-type]
        starts.append(loop.time())

    await asyncio.gather(*(one() for _ in range(n)))


async def test_the_gate_keeps_one_timer_however_many_wait(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A timer per waiter, each re-arming itself, once cost a 5,000-post fan-out 470,000
    # wake-ups: the CPU a fleet of processes on one machine did not have.
    loop = asyncio.get_running_loop()
    timers = 0
    call_at = loop.call_at

    def counted(when: float, callback: Any, *args: Any, **kwargs: Any) -> asyncio.TimerHandle:
        nonlocal timers
        timers += 1
        return call_at(when, callback, *args, **kwargs)

    monkeypatch.setattr(loop, "call_at", counted)
    gate = RestGate(1000, margin=1.0, burst=0)
    starts: list[float] = []
    await gated(gate, starts, 100)
    assert len(starts) == 100
    assert timers <= 100  # one per slot at most


async def test_gate_spaces_starts_evenly() -> None:
    gate = RestGate(100, margin=1.0, burst=0)
    starts: list[float] = []
    await gated(gate, starts, 21)
    # Slots are 10 ms apart: 21 starts span at least 200 ms (a gate that never waits
    # would span none), and no 100 ms window holds more than its share plus one.
    assert starts[-1] - starts[0] >= 0.19
    assert most_in_a_window(starts, 0.1) <= 11


async def test_gate_catches_up_a_short_pause_without_exceeding_the_window() -> None:
    gate = RestGate(400, margin=1.0, burst=10)  # 400/s, a catch-up of 10 slots
    starts: list[float] = []
    await gated(gate, starts, 200)
    await asyncio.sleep(0.1)  # 40 slots lost, of which 10 may be caught up
    await gated(gate, starts, 400)
    # 600 starts, but never more than rate + burst + 1 (= 411) in any one-second window:
    # a gate that lets everything through at once puts all 600 in one.
    assert len(starts) == 600
    assert most_in_a_window(starts, 1.0) <= 411
    # The catch-up: the first 11 of the second batch go at once, not 2.5 ms apart.
    second = starts[200:]
    assert second[10] - second[0] < 10 * gate.interval


async def test_lanes_take_turns_so_neither_starves() -> None:
    gate = RestGate(200, margin=1.0, burst=0)
    order: list[str] = []

    async def one(which: str) -> None:
        await gate.wait(which)  # type: ignore[arg-type]
        order.append(which)

    # 40 fan-out requests queue first, then a burst of 40 setups arrives.
    bulk = [asyncio.create_task(one(BULK)) for _ in range(40)]
    await asyncio.sleep(0)
    interactive = [asyncio.create_task(one(INTERACTIVE)) for _ in range(40)]
    await asyncio.gather(*bulk, *interactive)
    # While both wait they alternate: the first 40 slots are half and half.
    assert 18 <= order[:40].count(INTERACTIVE) <= 22
    assert 18 <= order[:40].count(BULK) <= 22


async def test_a_cancelled_waiter_gives_its_turn_away() -> None:
    gate = RestGate(50, margin=1.0, burst=0)
    await gate.wait()  # the first slot is now; the next are 20 ms apart
    doomed = asyncio.create_task(gate.wait())
    await asyncio.sleep(0)
    doomed.cancel()
    starts: list[float] = []
    await gated(gate, starts, 2)
    assert len(starts) == 2


async def test_one_failure_stops_nothing(caplog: pytest.LogCaptureFixture) -> None:
    done: list[int] = []

    async def send(item: int, slot: Slot) -> None:
        async with slot:
            if item == 1:
                raise RuntimeError("the store is on fire")
            await asyncio.sleep(0.01)  # still running when item 1 fails
        done.append(item)

    with caplog.at_level(logging.ERROR, logger="bot.reminders.fanout"):
        failed = await fan_out(range(8), send, concurrency=4)
    assert failed == 1
    assert sorted(done) == [0, 2, 3, 4, 5, 6, 7]
    [record] = caplog.records
    assert "1 failed: RuntimeError: the store is on fire" in record.getMessage()


async def test_fan_out_requests_wait_in_the_bulk_lane() -> None:
    seen: list[str] = []

    async def send(_: int, slot: Slot) -> None:
        seen.append(current_lane())

    await fan_out(range(3), send)
    assert seen == [BULK] * 3
    assert current_lane() == INTERACTIVE
    with lane(BULK):
        assert current_lane() == BULK


async def test_requests_in_flight_are_bounded_and_the_work_after_them_is_not() -> None:
    running = 0
    peak = 0
    recording = 0
    recording_peak = 0

    async def send(_: int, slot: Slot) -> None:
        nonlocal running, peak, recording, recording_peak
        async with slot:
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.01)
            running -= 1
        recording += 1  # e.g. waiting for the store's write lock: no slot held
        recording_peak = max(recording_peak, recording)
        await asyncio.sleep(0.05)
        recording -= 1

    await fan_out(range(30), send, concurrency=4)
    assert peak == 4
    assert recording_peak > 4


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        RestGate(0)


def test_a_late_gate_makes_up_what_its_window_leaves_at_most_two_slots() -> None:
    assert RestGate(500).burst == 2  # 485/s: 9 slots left under 99% of the limit, capped
    assert RestGate(50).burst == 0  # 48.5/s: 48.5 + 1 = 49.5, 99% of the limit
    assert gate_for(50, 4, (0,)).burst == 0  # 11.5/s of a 12.5/s share: nothing left
    assert gate_for(500, 4, (0,)).burst == 0.25  # 116.25 + 0.25 + 1 = 94% of 125
    assert gate_for(500, 2, (0,)).burst == 1.5  # 232.5 + 1.5 + 1 = 94% of 250


def test_a_fleet_shares_the_limit_by_shards_served() -> None:
    assert fleet_share(50, None, None) == 50
    assert fleet_share(50, 4, (0, 1, 2, 3)) == 50
    assert fleet_share(50, 4, (2,)) == 12.5
    assert fleet_share(500, 2, (1,)) == 250
    # Each process's worst window (rate + burst + 1) adds up to at most the token's limit.
    for limit, count in ((50, 2), (50, 4), (500, 2), (500, 4), (5000, 8)):
        gates = [gate_for(limit, count, (i,)) for i in range(count)]
        assert sum(g.rate + g.burst + 1 for g in gates) <= limit
        assert sum(g.rate for g in gates) >= 0.9 * limit
    # Discord counts invalid requests per IP: a fleet on one host holds at 5,000 together.
    assert sum(gate_for(50, 4, (i,)).invalid_threshold for i in range(4)) == 5000
    whole = gate_for(50, None, None)
    assert whole.rate == pytest.approx(48.5)
    assert whole.rate + whole.burst + 1 <= 50


async def test_invalid_answers_are_counted_and_hold_the_fan_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gate = RestGate(1000, invalid_threshold=20)
    for status in (200, 204, 404, 500):
        gate.record(status)
    gate.record(429, "shared")  # Discord does not count shared-scope 429s
    assert gate.invalid_count() == 0
    with caplog.at_level(logging.WARNING, logger="bot.limits"):
        for status in (401, 403, 429) * 7:
            gate.record(status, "user")
    assert gate.invalid_count() == 21
    assert gate.holding
    assert gate.status().invalid_last_10_min == 21
    assert gate.status().holding
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "21 invalid requests" not in errors[0].getMessage()  # logged once, at 20
    assert "20 invalid requests" in errors[0].getMessage()
    # The gate itself keeps pacing both lanes: a request waiting here is inside aiohttp's
    # timeout, so the fan-out is held before it claims and before it posts (the service).
    await asyncio.wait_for(gate.wait(INTERACTIVE), 5)
    await asyncio.wait_for(gate.wait(BULK), 5)
